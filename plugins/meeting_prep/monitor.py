"""The calendar monitor: sync each active user's calendars, diff, store, emit prep events.

For every active user (or the users asked for) and each of their connections, the provider fetches the
window ``[now - days_behind, now + days_ahead]`` (or the changes since the stored cursor). Events are
matched to stored meetings by external id — the meeting id is derived from ``user#provider#event id``,
so the same event is always the same meeting — and sorted into new / updated / moved / cancelled /
unchanged; changed meetings are written in one batch. A meeting whose prep time has come (its type's
``prep_hours_before``, the user's override, outside the user's quiet hours) gets one
``MeetingRequiresPrep`` event per *prep version*: a moved meeting has a new version, so its prep is
planned again. One user's failure is recorded and the others go on; every run's counts are returned
and written to the audit log.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.api import (
    CalendarEvent,
    Connection,
    ConnectionRepository,
    Meeting,
    ProviderError,
    ProviderThrottled,
    ReauthorizationRequired,
    User,
    external_key,
    format_time,
)
from plugins.meeting_prep import timing
from plugins.meeting_prep.classify import Classification, MeetingTypes, classify_meeting, load_meeting_types
from plugins.meeting_prep.oauth import provider_named

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

EVENT_SOURCE = "crewbot.calendar-monitor"
PREP_EVENT = "MeetingRequiresPrep"
#: How often a prep that never reached its user is announced again, and how long after the last time.
PREP_ATTEMPTS = 3
STALLED_AFTER = timedelta(hours=2)


@dataclass(frozen=True)
class MonitorOptions:
    days_ahead: int = 14
    days_behind: int = 1
    #: ICS file or URL synced for users who connected no calendar (``runtime: local`` demos); None: off.
    fallback_ics: str | None = None
    meeting_types_file: str | None = None
    #: Called once when a connection starts needing the user to connect again (user id, provider, why).
    on_reauthorization: Callable[[str, str, str], None] | None = None


@dataclass
class UserCounts:
    user_id: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    moved: int = 0
    cancelled: int = 0
    unchanged: int = 0
    prep_events: int = 0
    #: Prep prompts scheduled for their exact prep time (delivered by the scheduler, not by a later run).
    prep_scheduled: int = 0
    errors: list[str] = field(default_factory=list)
    #: Sentences about what a sync left out or guessed (skipped events, unknown zones, cut series).
    warnings: list[str] = field(default_factory=list)
    #: Events the providers could not read (skipped, named in ``warnings``).
    skipped: int = 0
    #: Provider requests made (HTTP calls; one per ICS fetch).
    provider_calls: int = 0
    #: A provider asked to be left alone this long (seconds): sync this user again after it. None: not throttled.
    retry_after: float | None = None


@dataclass
class MonitorReport:
    started_at: str
    users: list[UserCounts] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        keys = ("fetched", "new", "updated", "moved", "cancelled", "unchanged", "prep_events", "prep_scheduled")
        totals = {k: sum(getattr(u, k) for u in self.users) for k in keys}
        totals["users"] = len(self.users)
        totals["failed_users"] = sum(1 for u in self.users if u.errors)
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "totals": self.totals(), "users": [asdict(u) for u in self.users]}


def emit_metrics(namespace: str, totals: dict[str, int]) -> None:
    """The run's counts as CloudWatch metrics (Powertools EMF lines on stdout: no API call)."""
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace=namespace, service="calendar-monitor")
    for key, name in (
        ("fetched", "CalendarEventsRead"),
        ("new", "MeetingsNew"),
        ("updated", "MeetingsUpdated"),
        ("moved", "MeetingsMoved"),
        ("cancelled", "MeetingsCancelled"),
        ("prep_events", "PrepEvents"),
        ("users", "UsersSynced"),
        ("failed_users", "UsersFailed"),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=totals.get(key, 0))
    metrics.flush_metrics()


def meeting_id_for(user_id: str, provider: str, external_id: str) -> str:
    """The stable meeting id of a calendar event (the same event always maps to the same meeting)."""
    return "m" + hashlib.sha256(external_key(user_id, provider, external_id).encode()).hexdigest()[:23]


def prep_version(meeting: Meeting) -> str:
    """What a prep is planned for: the meeting's time and type (moving it re-plans its prep)."""
    return hashlib.sha256(f"{format_time(meeting.start)}|{meeting.meeting_type}".encode()).hexdigest()[:10]


def prep_settings(user: User | None) -> dict[str, Any]:
    """The user's ``/prep settings``."""
    return timing.prep_settings(user)


def in_quiet_hours(user: User | None, now: datetime) -> bool:
    """Whether ``now`` falls in the user's quiet hours (``HH:MM``-``HH:MM`` in their time zone)."""
    return timing.in_quiet_hours(user, now)


def prompt_schedule_name(meeting: Meeting) -> str:
    """The one-off schedule that delivers a meeting's prep prompt at its prep time (one per prep version)."""
    return f"prep-prompt-{meeting.meeting_id}-{prep_version(meeting)}"


class CalendarMonitor:
    """Runs the sync for a runtime (``crewbot.calendar_monitor`` is not a thing: build one per run)."""

    def __init__(self, crewbot: Crewbot, options: MonitorOptions | None = None, types: MeetingTypes | None = None):
        self.crewbot = crewbot
        self.options = options or MonitorOptions()
        self.types = types or load_meeting_types(self.options.meeting_types_file)
        self.connections = ConnectionRepository(crewbot)

    def run(self, user_ids: Iterable[str] | None = None) -> MonitorReport:
        now = self.crewbot.clock.now()
        report = MonitorReport(format_time(now))
        users = self.crewbot.records.users
        if user_ids is None:
            targets: list[tuple[str, User | None]] = [(u.user_id, u) for u in users.active()]
        else:
            targets = [(uid, users.get(uid)) for uid in user_ids]
        for user_id, user in targets:
            counts = UserCounts(user_id)
            try:
                self.sync_user(user_id, user, now, counts)
            except Exception as exc:  # one user's failure never stops the others
                logger.exception("calendar sync failed for %s", user_id)
                counts.errors.append(f"{type(exc).__name__}: {exc}")
            report.users.append(counts)
        totals = report.totals()
        logger.info("calendar monitor: %s", totals)
        if self.crewbot.config.runtime == "aws":
            emit_metrics(self.crewbot.config.project, totals)
        self.crewbot.records.audit.record(
            "system#calendar-monitor", "calendar-monitor", "calendar.sync", format_time(now), **totals
        )
        return report

    # -- one user -------------------------------------------------------------------------------------

    def _connections(self, user_id: str) -> list[Connection]:
        found = [c for c in self.connections.for_user(user_id) if c.status != "disconnected"]
        if not found and self.options.fallback_ics:
            found = [Connection(user_id=user_id, provider="ics", source=self.options.fallback_ics)]
        return found

    def sync_user(self, user_id: str, user: User | None, now: datetime, counts: UserCounts) -> None:
        """Sync all of one user's calendars, then announce the meetings whose prep time has come."""
        start = now - timedelta(days=self.options.days_behind)
        end = now + timedelta(days=self.options.days_ahead)
        for connection in self._connections(user_id):
            self.sync_connection(user_id, user, connection, now, start, end, counts)
        self._emit_due(user_id, user, now, end, counts)

    def sync_connection(
        self,
        user_id: str,
        user: User | None,
        connection: Connection,
        now: datetime,
        start: datetime,
        end: datetime,
        counts: UserCounts,
    ) -> None:
        """Fetch one calendar and store its changes; problems become sentences in ``counts`` (never raised).

        The provider may list beyond ``end`` (``SyncResult.window_end``): meetings up to there are stored,
        so a meeting is known before it enters the window; only those up to ``end`` are announced.
        A throttled provider sets ``counts.retry_after``.
        """
        provider = provider_named(self.crewbot, connection.provider)
        if provider is None:
            counts.errors.append(f"{connection.provider}: no such calendar provider is enabled")
            return
        label = getattr(provider, "label", provider.name)
        stored = connection.version > 0
        try:
            result = provider.sync(self.crewbot, connection, start, end)
        except ProviderThrottled as exc:
            counts.errors.append(f"{label}: {exc}")
            counts.retry_after = max(counts.retry_after or 0.0, exc.retry_after)
            return
        except ReauthorizationRequired as exc:
            counts.errors.append(f"{label}: {exc}")
            if stored:
                self.connections.record_error(connection, str(exc), reauthorize=True)
                if connection.status != "needs_reauthorization" and self.options.on_reauthorization:
                    try:
                        self.options.on_reauthorization(user_id, connection.provider, str(exc))
                    except Exception:
                        logger.exception("could not tell %s to reconnect %s", user_id, connection.provider)
            return
        except ProviderError as exc:
            logger.warning("calendar %s of %s failed: %s", connection.provider, user_id, exc)
            counts.errors.append(f"{label}: {exc}")
            if stored:
                self.connections.record_error(connection, str(exc))
            return
        except Exception:  # a defect, not the calendar's fault: logged in full, told in a sentence
            logger.exception("calendar %s of %s failed", connection.provider, user_id)
            message = "the calendar could not be synced because of an internal error (it was logged)"
            counts.errors.append(f"{label}: {message}")
            if stored:
                self.connections.record_error(connection, message)
            return
        counts.fetched += len(result.events)
        counts.provider_calls += result.requests
        counts.skipped += result.skipped
        counts.warnings.extend(f"{label}: {w}" for w in result.warnings)
        horizon = max(end, result.window_end or end)
        self._apply(user_id, user, provider.name, result.events, result.complete, start, horizon, counts)
        if stored:
            self.connections.record_sync(
                connection,
                cursor=result.cursor,
                window_end=result.window_end if result.window_end is not None else connection.window_end,
                tokens=result.tokens,
                at=now,
            )

    def _apply(
        self,
        user_id: str,
        user: User | None,
        provider: str,
        events: list[CalendarEvent],
        complete: bool,
        start: datetime,
        end: datetime,
        counts: UserCounts,
    ) -> None:
        meetings = self.crewbot.records.meetings
        in_window = {
            m.meeting_id: m
            for m in meetings.for_user(user_id, start - timedelta(days=1), end)
            if m.provider == provider
        }
        overrides = prep_settings(user).get("prep_hours") or {}
        created: list[Meeting] = []
        changes: dict[str, dict[str, Any]] = {}
        superseded: list[Meeting] = []
        seen: set[str] = set()
        for event in events:
            meeting_id = meeting_id_for(user_id, provider, event.external_id)
            seen.add(meeting_id)
            if event.start is None and event.status != "cancelled":
                counts.skipped += 1
                counts.warnings.append(f"{provider}: the event {event.title or event.external_id!r} has no start")
                continue
            existing = in_window.get(meeting_id) or meetings.get(meeting_id)
            if existing is None:
                if event.status == "cancelled" or event.start is None or not start <= event.start <= end:
                    continue  # deleted before we ever saw it, or outside what was listed
                fresh = event.to_meeting(meeting_id, user_id, provider)
                kind = self._classify(fresh, overrides)
                counts.new += 1
                created.append(
                    fresh.with_changes(
                        meeting_type=kind.meeting_type,
                        classification_rule=kind.rule,
                        content_hash=fresh.calendar_hash(),
                    )
                )
                continue
            fields = event.meeting_fields()
            updated = existing.with_changes(**fields)
            kind = self._classify(updated, overrides)
            digest = updated.calendar_hash()
            if digest == existing.content_hash and existing.meeting_type == kind.meeting_type:
                counts.unchanged += 1
                continue
            fields.update(meeting_type=kind.meeting_type, classification_rule=kind.rule, content_hash=digest)
            if updated.status == "cancelled" and existing.status != "cancelled":
                counts.cancelled += 1
                superseded.append(existing)
            elif updated.start != existing.start:
                counts.moved += 1
                # A moved meeting is prepared again for its new time (a new prep version).
                fields["prep_status"] = "not_started"
                superseded.append(existing)
            else:
                counts.updated += 1
            changes[meeting_id] = fields
        if complete:
            # A full listing: stored meetings of the window it no longer contains were deleted.
            for meeting_id, meeting in in_window.items():
                if meeting_id not in seen and meeting.status != "cancelled" and start <= meeting.start <= end:
                    counts.cancelled += 1
                    changes[meeting_id] = {"status": "cancelled"}
                    superseded.append(meeting)
        if created:
            meetings.save_many(created)  # new meetings in batches
        for meeting_id, fields in changes.items():
            # Changes are read-modify-write so a prep answer saved meanwhile is never overwritten.
            meetings.update(meeting_id, **fields)
        for meeting in superseded:
            self._supersede(meeting)

    def _classify(self, meeting: Meeting, overrides: dict[str, Any]) -> Classification:
        """The meeting's type, or the kind of non-meeting it is (out of office, declined, ...)."""
        return classify_meeting(self.types, meeting, overrides)

    def _supersede(self, meeting: Meeting) -> None:
        """The meeting moved or was cancelled: end a prep waiting for the old version, drop its scheduled
        prompt and its reminder."""
        from bot.api import TaskTokenError

        self.crewbot.scheduler.cancel(prompt_schedule_name(meeting))
        self.crewbot.scheduler.cancel(f"prep-reminder-{meeting.meeting_id}-{prep_version(meeting)}")
        token = getattr(meeting, "prep_token", None)
        if not token or meeting.prep_status in ("ready", "skipped"):
            return
        with contextlib.suppress(TaskTokenError):  # that prep had finished already
            self.crewbot.workflows.send_task_failure(
                token, "Prep.Superseded", "the meeting moved or was cancelled in the calendar"
            )
        chat = getattr(meeting, "prep_chat", None)
        closed = {**chat, "state": "closed", "closed_by": "calendar change"} if isinstance(chat, dict) else None
        self.crewbot.records.meetings.update(meeting.meeting_id, prep_token=None, prep_chat=closed)

    def replan_prompts(self, user_id: str) -> UserCounts:
        """Plan the user's prompts again after their settings changed (prep lead times, quiet hours, zone):
        prompts scheduled but not yet sent are dropped and planned anew; nothing already sent changes."""
        now = self.crewbot.clock.now()
        end = now + timedelta(days=self.options.days_ahead)
        meetings = self.crewbot.records.meetings
        for meeting in meetings.for_user(user_id, now, end):
            planned = getattr(meeting, "prep_requested_for", None) == prep_version(meeting)
            pending = str(getattr(meeting, "prep_requested_at", "") or "") > format_time(now)
            if planned and pending and meeting.prep_status == "not_started":
                self.crewbot.scheduler.cancel(prompt_schedule_name(meeting))
                meetings.update(meeting.meeting_id, prep_requested_for=None)
        counts = UserCounts(user_id)
        self._emit_due(user_id, self.crewbot.records.users.get(user_id), now, end, counts)
        return counts

    def _emit_due(self, user_id: str, user: User | None, now: datetime, end: datetime, counts: UserCounts) -> None:
        """Plan each meeting's prep prompt once per prep version: published now when its prep time has come,
        otherwise scheduled for that exact time (``scheduler.once``; a move or cancellation drops it)."""
        meetings = self.crewbot.records.meetings
        overrides = prep_settings(user).get("prep_hours") or {}
        for meeting in meetings.for_user(user_id, now, end):
            if meeting.status == "cancelled" or meeting.start <= now:
                continue
            version = prep_version(meeting)
            planned = getattr(meeting, "prep_requested_for", None) == version
            if not self.types.prepares(meeting.meeting_type):
                if planned and meeting.prep_status == "not_started":
                    # It became a non-meeting (declined, marked free ...) after its prompt was planned.
                    self.crewbot.scheduler.cancel(prompt_schedule_name(meeting))
                    meetings.update(meeting.meeting_id, prep_requested_for=None)
                continue
            hours = float(
                overrides.get(meeting.meeting_type or "default", self.types.get(meeting.meeting_type).prep_hours_before)
            )
            attempt = 1
            if planned:
                attempt = int(getattr(meeting, "prep_request_attempt", 1) or 1) + 1
                requested_at = str(getattr(meeting, "prep_requested_at", "") or "")
                # Planned already. Only a prep that never reached the user (its workflow failed, e.g. Slack
                # and SMS both down) is announced again, at most PREP_ATTEMPTS times, STALLED_AFTER apart.
                stalled = (
                    meeting.prep_status == "not_started"
                    and attempt <= PREP_ATTEMPTS
                    and requested_at
                    and requested_at <= format_time(now - STALLED_AFTER)
                )
                if not stalled:
                    continue
            due = timing.prompt_time(meeting.start, hours, now, user)
            detail = {
                "meeting_id": meeting.meeting_id,
                "user_id": user_id,
                "meeting_time": format_time(meeting.start),
                "prep_trigger_time": format_time(meeting.start - timedelta(hours=hours)),
                "meeting_type": meeting.meeting_type or "default",
                "prep_version": version,
                "attempt": attempt,
            }
            if due > now:
                self.crewbot.scheduler.once(prompt_schedule_name(meeting), due, EVENT_SOURCE, PREP_EVENT, detail)
                counts.prep_scheduled += 1
            else:
                self.crewbot.bus.publish(EVENT_SOURCE, PREP_EVENT, detail)
                counts.prep_events += 1
            meetings.update(
                meeting.meeting_id,
                prep_requested_for=version,
                prep_request_attempt=attempt,
                prep_requested_at=format_time(due),
            )
