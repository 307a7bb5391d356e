"""The calendar monitor at scale: the schedule enqueues one work item per active user, workers sync them.

The ``calendar-monitor`` schedule no longer syncs anybody itself: it reads the active users and sends
one message per user (``{"user_id", "run"}``) to the queue :data:`QUEUE` (SQS with a dead-letter queue
and an alarm in AWS; the local queue offline). The queue's consumer syncs one user per message —
:meth:`~plugins.meeting_prep.monitor.CalendarMonitor.sync_user`, the same code ``/prep sync`` runs — on
``sync_workers`` parallel workers (Lambda invocations in AWS, threads locally), batches reporting
partial failures, so one user's failure never holds back the others.

A throttled user (a provider raised ``ProviderThrottled``) is not slept on: the handler raises
:class:`~bot.api.RetryLater` with the provider's delay, so the message comes back after that
visibility timeout and the worker goes on with the next user. A message that keeps failing ends in the
dead-letter queue after ``max_receive_count`` receives.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bot.api import Message, QueueConsumer, QueueSpec, RetryLater, format_time
from plugins.meeting_prep.monitor import CalendarMonitor, UserCounts, emit_metrics
from plugins.meeting_prep.settings import Settings, monitor_options

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

#: The per-user calendar sync queue (``<project>-<env>-calendar-sync`` in AWS, with ``-dlq``).
QUEUE = "calendar-sync"
#: A message that failed this many receives (throttled repeatedly, or a defect) goes to the DLQ.
MAX_RECEIVES = 5
#: Sends in flight at once when enqueuing many users in AWS (each SendMessage is one request).
SEND_THREADS = 16


def consumer(settings: Settings | None = None) -> QueueConsumer:
    """The queue and its consumer (Terraform creates the queue, DLQ, alarm and worker from this)."""
    settings = settings or Settings()
    return QueueConsumer(
        queue=QueueSpec(QUEUE, max_receive_count=MAX_RECEIVES, visibility_timeout=settings.sync_timeout_s * 2),
        handler=_handle,
        description="One user's calendar sync: providers → meetings → prep prompts (the calendar monitor's work).",
        concurrency=settings.sync_workers,
        batch_size=settings.sync_batch_size,
        timeout_s=settings.sync_timeout_s,
    )


def enqueue_active_users(crewbot: Crewbot) -> int:
    """The schedule's whole job: one message per active user on :data:`QUEUE`; returns how many."""
    queue = crewbot.queues.get(QUEUE)
    run = format_time(crewbot.clock.now())
    user_ids = [user.user_id for user in crewbot.records.users.active()]
    bodies: list[dict[str, Any]] = [{"user_id": user_id, "run": run} for user_id in user_ids]
    if crewbot.config.runtime == "aws" and len(bodies) > 1:
        with ThreadPoolExecutor(max_workers=SEND_THREADS, thread_name_prefix="calendar-enqueue") as pool:
            list(pool.map(queue.send, bodies))
    else:
        for body in bodies:
            queue.send(body)
    logger.info("calendar monitor: %d users enqueued on %s", len(bodies), QUEUE)
    crewbot.records.audit.record(
        "system#calendar-monitor", "calendar-monitor", "calendar.enqueue", run, users=len(bodies)
    )
    return len(bodies)


def _handle(message: Message) -> None:
    sync_message(message.crewbot, message)


def sync_message(crewbot: Crewbot, message: Message) -> UserCounts:
    """Sync the user a queue message names. Raises :class:`RetryLater` when a provider throttled them, and
    lets unexpected errors through (the message is retried, then dead-lettered)."""
    body = message.body if isinstance(message.body, dict) else {}
    user_id = str(body.get("user_id") or "")
    counts = UserCounts(user_id)
    if not user_id:
        logger.warning("calendar-sync message %s names no user: dropped", message.message_id)
        return counts
    user = crewbot.records.users.get(user_id)
    if user is None or user.status != "active":
        return counts  # left or deactivated since the run was enqueued
    monitor = CalendarMonitor(crewbot, monitor_options(crewbot))
    monitor.sync_user(user_id, user, crewbot.clock.now(), counts)
    totals = {key: getattr(counts, key) for key in ("fetched", "new", "updated", "moved", "cancelled", "prep_events")}
    totals.update(users=1, failed_users=1 if counts.errors else 0)
    logger.info("calendar sync of %s: %s", user_id, totals)
    if crewbot.config.runtime == "aws":
        emit_metrics(crewbot.config.project, totals)
    if counts.retry_after is not None:
        delay = max(1, math.ceil(counts.retry_after))
        # Back on the queue, visible again after the provider's delay: nobody sleeps.
        raise RetryLater(delay, f"{user_id}: calendar provider throttled, retry in {delay} s")
    return counts
