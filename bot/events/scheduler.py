"""Schedulers: when recurring schedules run and one-off events are delivered.

* :class:`LocalScheduler` (``crewbot dev``): registered :class:`~bot.events.schedules.Schedule` objects
  and one-off events, on the runtime clock. It registers a clock listener, so ``advance 6h`` runs every
  occurrence that fell due in those six hours, in time order, synchronously. Its state (next firing of
  each schedule, pending one-offs) is in the store, so a restart neither repeats nor forgets a firing;
  each firing is claimed with a conditional write before it runs (at most once, even with two processes).
* :class:`EventBridgeScheduler` (AWS): one-off events become EventBridge Scheduler ``at()`` schedules
  whose target is the project's event bus (deleted after completion), retried for a while and then
  kept in the scheduler's dead-letter queue (``crewbot dlq show scheduler-dlq``) rather than dropped.
  Recurring schedules are EventBridge rules that Terraform creates from the same expressions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bot.clock import Clock
from bot.events.bus import EventBus
from bot.events.schedules import Schedule, ScheduledCall, at_expression, parse_expression
from bot.storage.base import ConflictError, IndexSpec, Store, TableSpec
from bot.storage.tables import register_table

logger = logging.getLogger(__name__)

SCHEDULES = register_table(
    TableSpec(
        "schedules",
        pk="group",
        sk="name",  # group = "recurring" | "once"
        indexes=(IndexSpec("by_due", pk="group", sk="due"),),
        description="Local scheduler only: next firing of each recurring schedule, and pending one-off events.",
    )
)

_ONE_OFF_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: Bounds the firings per clock advance (a huge jump cannot hang the bot; the rest run on the next tick).
MAX_CATCH_UP = 1000


def _iso(moment: datetime) -> str:
    # Always UTC with a fixed width, so due times sort as text in the store.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Scheduler(ABC):
    """One-off events at a given time (reminders), in both runtimes."""

    @abstractmethod
    def once(self, name: str, when: datetime, source: str, detail_type: str, detail: Mapping[str, Any]) -> None:
        """Publish the event on the bus at ``when``. ``name`` identifies it (scheduling the same name
        again replaces it)."""

    @abstractmethod
    def cancel(self, name: str) -> bool:
        """Forget a pending one-off event; ``False`` if there was none."""


def _check_name(name: str) -> None:
    if not _ONE_OFF_NAME.match(name):
        raise ValueError(f"schedule name {name!r} must be 1-64 letters, digits, '_', '-' or '.'")


class LocalScheduler(Scheduler):
    """Recurring schedules and one-off events on the runtime clock (``runtime: local``)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        bus: EventBus,
        schedules: Iterable[Schedule] = (),
        *,
        listen: bool = True,
        crewbot: Any = None,
    ):
        self.clock = clock
        #: The runtime each :class:`ScheduledCall` carries to its schedule's handler.
        self.crewbot = crewbot
        self.bus = bus
        self.table = store.table(SCHEDULES)
        self.schedules: dict[str, Schedule] = {}
        self._lock = threading.RLock()
        for schedule in schedules:
            if schedule.name in self.schedules:
                raise ValueError(f"schedule {schedule.name!r} is registered twice")
            self.schedules[schedule.name] = schedule
        now = clock.now()
        for schedule in self.schedules.values():
            self._state(schedule, now)
        if listen:
            clock.on_advance(self._on_advance)

    def _on_advance(self, now: datetime) -> None:
        self.run_due(now)

    def _state(self, schedule: Schedule, now: datetime) -> dict[str, Any]:
        key = {"group": "recurring", "name": schedule.name}
        state = self.table.get(key)
        if state is None or state.get("expression") != schedule.expression:
            # First sight (or a changed expression): a rate() counts from now, as a new rule would.
            first = schedule.parsed.next_after(now, anchor=now)
            item = {
                **key,
                "expression": schedule.expression,
                "anchor": _iso(now),
                "due": _iso(first) if first else None,
            }
            state = self.table.put(item) if state is None else self.table.put(item, expected_version=state["version"])
        return state

    def next_run(self, name: str) -> datetime | None:
        """When schedule ``name`` fires next."""
        state = self.table.get({"group": "recurring", "name": name})
        return datetime.fromisoformat(state["due"]) if state and state.get("due") else None

    def once(self, name: str, when: datetime, source: str, detail_type: str, detail: Mapping[str, Any]) -> None:
        _check_name(name)
        if when.tzinfo is None:
            raise ValueError(f"one-off schedule {name!r}: the time must have a time zone")
        self.table.put(
            {
                "group": "once",
                "name": name,
                "due": _iso(when),
                "source": source,
                "detail_type": detail_type,
                "detail": dict(detail),
            }
        )

    def cancel(self, name: str) -> bool:
        key = {"group": "once", "name": name}
        if self.table.get(key) is None:
            return False
        self.table.delete(key)
        return True

    def pending(self) -> list[dict[str, Any]]:
        """Pending one-off events, soonest first."""
        return self.table.query_all("once", index="by_due")

    def next_due(self) -> datetime | None:
        """When the earliest pending firing (a registered schedule or a one-off event) is due."""
        dues = [
            item["due"]
            for group in ("recurring", "once")
            for item in self.table.query_all(group, index="by_due")
            if item.get("due") and (group == "once" or item["name"] in self.schedules)
        ]
        return datetime.fromisoformat(min(dues)) if dues else None

    def run_due(self, now: datetime | None = None) -> list[ScheduledCall]:
        """Run everything due by ``now`` in time order; returns what fired."""
        moment = now or self.clock.now()
        fired: list[ScheduledCall] = []
        with self._lock:
            for _ in range(MAX_CATCH_UP * (len(self.schedules) + 1)):
                call = self._next_due(moment)
                if call is None:
                    break
                fired.append(call)
            else:
                logger.warning(
                    "scheduler: more than %d firings due at once; the rest run on the next tick", MAX_CATCH_UP
                )
        return fired

    def _next_due(self, moment: datetime) -> ScheduledCall | None:
        """Claim and run the earliest due firing (recurring or one-off); ``None`` when nothing is due."""
        limit = _iso(moment)
        candidates = [
            item
            for group in ("recurring", "once")
            for item in self.table.query_all(group, index="by_due")
            if item.get("due") and item["due"] <= limit
        ]
        candidates = [c for c in candidates if c["group"] == "once" or c["name"] in self.schedules]
        if not candidates:
            return None
        item = min(candidates, key=lambda c: c["due"])
        due = datetime.fromisoformat(item["due"])
        try:
            if item["group"] == "once":
                self.table.delete({"group": "once", "name": item["name"]}, expected_version=item["version"])
            else:
                schedule = self.schedules[item["name"]]
                anchor = datetime.fromisoformat(item["anchor"])
                following = schedule.parsed.next_after(due, anchor=anchor)
                self.table.put(
                    {**item, "due": _iso(following) if following else None, "last": item["due"]},
                    expected_version=item["version"],
                )
        except ConflictError:
            return ScheduledCall(item["name"], due)  # another process claimed it: it runs there
        if item["group"] == "once":
            call = ScheduledCall(item["name"], due, dict(item.get("detail") or {}))
            self._deliver(call, lambda: self.bus.publish(item["source"], item["detail_type"], call.payload))
        else:
            schedule = self.schedules[item["name"]]
            call = ScheduledCall(schedule.name, due, dict(schedule.payload), crewbot=self.crewbot)
            self._deliver(call, lambda: schedule.handler(call))
        return call

    @staticmethod
    def _deliver(call: ScheduledCall, run: Any) -> None:
        try:
            run()
        except Exception:  # a failing schedule is logged; the others still run
            logger.exception("schedule %s (due %s) failed", call.schedule, call.scheduled_time.isoformat())


#: The logical name of the queue one-off events the Scheduler cannot deliver go to (``ResourceNamer.queue`` of it
#: is the SQS queue modules/dead_letters creates; ``crewbot dlq`` lists it).
SCHEDULER_DLQ = "scheduler-dlq"

#: How the Scheduler retries putting a one-off event on the bus: a reminder more than an hour late is of little
#: use, and what is still undeliverable then waits in the dead-letter queue (as for the fixed schedules).
RETRY_POLICY = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}


class EventBridgeScheduler(Scheduler):
    """One-off events as EventBridge Scheduler ``at()`` schedules targeting the project's event bus.

    ``dead_letter_arn`` is the SQS queue an event goes to when the Scheduler cannot deliver it (after
    :data:`RETRY_POLICY`); the schedules' role may send to it."""

    def __init__(
        self,
        client: Any,
        *,
        bus_arn: str,
        role_arn: str,
        dead_letter_arn: str | None = None,
        group: str = "default",
        prefix: str = "",
    ):
        self.client = client
        self.bus_arn = bus_arn
        self.role_arn = role_arn
        self.dead_letter_arn = dead_letter_arn
        self.group = group
        self.prefix = prefix

    def _name(self, name: str) -> str:
        _check_name(name)
        return f"{self.prefix}{name}"[:64]

    def once(self, name: str, when: datetime, source: str, detail_type: str, detail: Mapping[str, Any]) -> None:
        if when.tzinfo is None:
            raise ValueError(f"one-off schedule {name!r}: the time must have a time zone")
        parse_expression(at_expression(when))
        target: dict[str, Any] = {
            "Arn": self.bus_arn,
            "RoleArn": self.role_arn,
            "Input": json.dumps(dict(detail)),
            "EventBridgeParameters": {"DetailType": detail_type, "Source": source},
            "RetryPolicy": dict(RETRY_POLICY),
        }
        if self.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.dead_letter_arn}
        arguments = {
            "Name": self._name(name),
            "GroupName": self.group,
            "ScheduleExpression": at_expression(when),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": target,
        }
        try:
            self.client.create_schedule(**arguments)
        except self.client.exceptions.ConflictException:
            arguments.pop("ActionAfterCompletion")
            self.client.update_schedule(**arguments, ActionAfterCompletion="DELETE")

    def cancel(self, name: str) -> bool:
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_schedule(Name=self._name(name), GroupName=self.group)
            return True
        return False
