"""Workflow steps waiting for a person, and the gauge published of them.

A workflow task that hands its task token to a person (an approval gate, a prep chat, a failed phase's
Retry / Stop) is declared with ``WorkflowTask(..., waits_for_person=True)``. When such a task's handler
is called, the wait is recorded here (:func:`tracking`; removed again if the handler fails): one item
per token, keyed by the token's SHA-256 digest (the token itself stays with the plugin that answers it),
with the task's name, when it opened and when its state's ``TimeoutSeconds`` ends it.
``send_task_success`` / ``send_task_failure`` through ``crewbot.workflows`` remove it (both engines call
:meth:`HumanWaits.answered`), and so does an answer refused because the token is already over. A wait
whose execution was stopped stays counted until its timeout; the item's TTL removes it from the table
later.

:func:`publish` (run every 5 minutes by the ``operations`` plugin's ``human-waits-gauge`` schedule)
prints ``HumanStepsWaiting`` and ``OldestHumanStepAge`` (seconds) as EMF, per service and per service and
task; a task with nothing waiting reports 0, so the graph falls back to zero instead of stopping.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.metrics import emf
from bot.storage.base import Table, TableSpec
from bot.storage.tables import register_table

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)

HUMAN_WAITS = register_table(
    TableSpec(
        "human_waits",
        pk="scope",
        sk="wait_id",  # scope = "open" (one partition: the gauge reads it with one query); wait_id = token digest
        ttl="expires_at",
        description="Workflow steps waiting for a person: one item per open task token (its digest); "
        "the waiting-steps gauge reads it.",
    )
)
SCOPE = "open"
#: A wait whose state sets no TimeoutSeconds ends with its execution, at the latest after a year (the
#: longest a Standard workflow runs).
LONGEST_WAIT = timedelta(days=365)

UNITS = {"HumanStepsWaiting": emf.COUNT, "OldestHumanStepAge": emf.SECONDS}
GROUPS = (emf.Group([("service",)], list(UNITS)),)
TASK_GROUPS = (emf.Group([("service", "task")], list(UNITS)),)


def digest(token: str) -> str:
    """The key a token's wait is stored under."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class WaitSummary:
    """What is waiting now: how many steps, and the oldest one's age, overall and per task."""

    count: int = 0
    oldest_s: float = 0.0
    by_task: dict[str, tuple[int, float]] = field(default_factory=dict)


class HumanWaits:
    """The open waits of the runtime's workflows."""

    def __init__(self, table: Table, now: Callable[[], datetime]):
        self.table = table
        self._now = now

    @classmethod
    def for_runtime(cls, crewbot: Crewbot) -> HumanWaits:
        return cls(crewbot.store.table(HUMAN_WAITS), crewbot.clock.now)

    def opened(self, token: str, task: str, timeout: timedelta | None = None) -> None:
        """Record that ``task`` handed ``token`` to a person, who has ``timeout`` to answer."""
        now = self._now()
        self.table.put(
            {
                "scope": SCOPE,
                "wait_id": digest(token),
                "task": task,
                "opened_at": now.isoformat(),
                "expires_at": int((now + (timeout or LONGEST_WAIT)).timestamp()),
            }
        )

    def answered(self, token: str) -> None:
        """The wait behind ``token`` is over (answered, or its token refused as over)."""
        self.table.delete({"scope": SCOPE, "wait_id": digest(token)})

    def summary(self) -> WaitSummary:
        """Every wait not yet over: counts and oldest ages (seconds), overall and per task."""
        now = self._now()
        found = WaitSummary()
        for item in self.table.query_all(SCOPE):
            if int(item.get("expires_at", 0)) <= now.timestamp():
                continue  # its state timed out: nobody can answer it any more
            age = max(0.0, (now - datetime.fromisoformat(str(item["opened_at"]))).total_seconds())
            task = str(item.get("task", "?"))
            count, oldest = found.by_task.get(task, (0, 0.0))
            found.by_task[task] = (count + 1, max(oldest, age))
            found.count += 1
            found.oldest_s = max(found.oldest_s, age)
        return found


def tracking(task: Any, timeout: Callable[[str], timedelta | None]) -> Any:
    """``task`` (a ``WorkflowTask``) whose handler records the wait it opens, when it waits for a person.

    ``timeout(name)`` is the longest ``TimeoutSeconds`` of the states running the task. Recording is best
    effort: a failure is logged and never fails the task (the person still gets their gate).
    """
    if not getattr(task, "waits_for_person", False):
        return task
    from dataclasses import replace

    handler = task.handler

    def handle(payload: Any, context: Any) -> Any:
        token = (payload.get("taskToken") if isinstance(payload, dict) else None) or context.task_token
        if not token or context.crewbot is None:
            return handler(payload, context)
        waits = HumanWaits.for_runtime(context.crewbot)
        # Recorded before the handler asks the person, so an answer (which ends the wait) always comes after.
        _best_effort(lambda: waits.opened(str(token), task.name, timeout(task.name)), task.name)
        try:
            return handler(payload, context)
        except BaseException:
            _best_effort(lambda: waits.answered(str(token)), task.name)  # nobody was asked
            raise

    return replace(task, handler=handle)


def _best_effort(write: Callable[[], None], task: str) -> None:
    try:
        write()
    except Exception:
        logger.exception("could not record the wait of %s for a person", task)


def person_tasks(crewbot: Crewbot) -> list[str]:
    """The registered workflow tasks that wait for a person."""
    return sorted(
        t.name for t in crewbot.plugins.items("register_workflow_tasks") if getattr(t, "waits_for_person", False)
    )


def publish(crewbot: Crewbot, *, emit: bool | None = None) -> WaitSummary:
    """Publish the gauge: EMF for the whole service and for each task that waits for a person (0 when
    none waits). ``emit`` defaults to ``runtime: aws``; locally the figure is only logged."""
    summary = HumanWaits.for_runtime(crewbot).summary()
    project = crewbot.config.project
    documents = [
        emf.record(
            project,
            {"service": project},
            {"HumanStepsWaiting": summary.count, "OldestHumanStepAge": round(summary.oldest_s)},
            UNITS,
            GROUPS,
        )
    ]
    for task in sorted({*person_tasks(crewbot), *summary.by_task}):
        count, oldest = summary.by_task.get(task, (0, 0.0))
        documents.append(
            emf.record(
                project,
                {"service": project, "task": task},
                {"HumanStepsWaiting": count, "OldestHumanStepAge": round(oldest)},
                UNITS,
                TASK_GROUPS,
            )
        )
    if crewbot.config.runtime == "aws" if emit is None else emit:
        for document in documents:
            emf.emit(document)
    logger.debug("%d workflow step(s) waiting for a person; the oldest for %.0f s", summary.count, summary.oldest_s)
    return summary
