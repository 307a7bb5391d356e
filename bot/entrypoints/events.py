"""Lambda entry points that run the same schedule and event handlers in AWS as the local scheduler and bus.

* ``bot.entrypoints.events.schedule_handler``: target of the EventBridge rule of a registered
  :class:`~bot.events.schedules.Schedule`; ``CREWBOT_SCHEDULE`` names the schedule. The scheduled time
  is the event's ``time``.
* ``bot.entrypoints.events.event_handler``: target of the EventBridge rule of a registered
  :class:`~bot.events.bus.EventHandler`; ``CREWBOT_EVENT_HANDLER`` names it. The rule's pattern is the
  handler's pattern, and it is checked again here so a mis-wired rule fails loudly.

A failing handler raises, so EventBridge's retry policy and the rule's dead-letter queue apply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from bot.events.bus import Event, EventHandler
from bot.events.patterns import matches
from bot.events.schedules import Schedule, ScheduledCall


@cache
def _runtime() -> Any:
    """The function's runtime, built once per container and reused by every invocation."""
    from bot.runtime import start

    return start()


@cache
def _registered() -> tuple[dict[str, Schedule], dict[str, EventHandler]]:
    plugins = _runtime().plugins
    schedules = {s.name: s for s in plugins.items("register_schedules") if isinstance(s, Schedule)}
    handlers = {h.name: h for h in plugins.items("register_event_handlers") if isinstance(h, EventHandler)}
    return schedules, handlers


def _named(variable: str) -> str:
    name = os.environ.get(variable, "")
    if not name:
        raise LookupError(f"{variable} is not set: which one should this function run?")
    return name


def run_schedule(schedules: Mapping[str, Schedule], name: str, event: Mapping[str, Any], crewbot: Any = None) -> None:
    """Run schedule ``name`` for an EventBridge scheduled event; the call carries the runtime ``crewbot``."""
    schedule = schedules.get(name)
    if schedule is None:
        raise LookupError(f"no schedule named {name!r} is registered (known: {', '.join(sorted(schedules))})")
    raw = event.get("time")
    when = datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else datetime.now(UTC)
    schedule.handler(ScheduledCall(schedule.name, when, dict(schedule.payload), crewbot=crewbot))


def run_event_handler(
    handlers: Mapping[str, EventHandler], name: str, event: Mapping[str, Any], crewbot: Any = None
) -> None:
    """Run event handler ``name`` for an EventBridge event (the envelope a rule target receives); the event
    carries the runtime ``crewbot``."""
    handler = handlers.get(name)
    if handler is None:
        raise LookupError(f"no event handler named {name!r} is registered (known: {', '.join(sorted(handlers))})")
    if not matches(handler.pattern, event):
        raise ValueError(
            f"event {event.get('id')} does not match the pattern of handler {name!r}: "
            f"the EventBridge rule and the registration disagree"
        )
    handler.handler(Event.from_eventbridge(event, crewbot))


def schedule_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any] | None:
    from bot.entrypoints.health import is_health_check, report
    from bot.logs import lambda_log_context

    name = _named("CREWBOT_SCHEDULE")
    if is_health_check(event):
        return report("schedule", name, _registered()[0])
    with lambda_log_context(context, event.get("id")):
        run_schedule(_registered()[0], name, event, _runtime())
    return None


def event_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any] | None:
    from bot.entrypoints.health import is_health_check, report
    from bot.logs import lambda_log_context

    name = _named("CREWBOT_EVENT_HANDLER")
    if is_health_check(event):
        return report("event handler", name, _registered()[1])
    with lambda_log_context(context, event.get("id")):  # the EventBridge event id follows it everywhere
        run_event_handler(_registered()[1], name, event, _runtime())
    return None
