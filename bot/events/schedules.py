"""Schedule expressions — ``rate()``, ``cron()`` and ``at()`` as EventBridge and EventBridge Scheduler
write them — and when each fires next.

``rate(5 minutes)``, ``rate(1 hour)``, ``rate(2 days)``; ``cron(0 */2 * * ? *)`` (six fields: minutes,
hours, day of month, month, day of week, year; parsed by ``pyawscron``); ``at(2026-01-05T10:00:00)``
(one-off). Times are UTC unless a schedule names a time zone (``at()`` and ``cron()`` are then read in
that zone, as EventBridge Scheduler does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pyawscron import AWSCron

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


@dataclass(frozen=True)
class Expression:
    """A parsed schedule expression."""

    text: str
    kind: str  # "rate", "cron" or "at"
    every: timedelta | None = None
    cron: AWSCron | None = None
    at: datetime | None = None

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first time strictly after ``moment`` this expression fires (``None`` when never again).
        A ``rate()`` counts from ``anchor`` (when the schedule was created)."""
        if self.kind == "at":
            assert self.at is not None
            return self.at if self.at > moment else None
        if self.kind == "rate":
            assert self.every is not None
            start = anchor or moment
            if start > moment:
                return start
            periods = int((moment - start) / self.every) + 1
            return start + periods * self.every
        assert self.cron is not None
        found = self.cron.occurrence(moment.astimezone(UTC)).next()
        return found if found is None else found.astimezone(UTC)


def parse_expression(text: str, timezone: str = "UTC") -> Expression:
    """Parse ``rate()`` / ``cron()`` / ``at()``; ``ValueError`` naming the expression otherwise."""
    text = text.strip()
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2)
        if value < 1:
            raise ValueError(f"{text!r}: a rate must be at least 1")
        if (value == 1 and unit.endswith("s")) or (value > 1 and not unit.endswith("s")):
            raise ValueError(f"{text!r}: write 'rate(1 {unit.rstrip('s')})' or 'rate({value} {unit.rstrip('s')}s)'")
        return Expression(text, "rate", every=timedelta(**{unit.rstrip("s") + "s": value}))
    if match := _CRON.match(text):
        fields = match.group(1).split()
        if len(fields) != 6:
            raise ValueError(f"{text!r}: cron() takes six fields (minutes hours day-of-month month day-of-week year)")
        if "?" not in (fields[2], fields[4]):
            raise ValueError(f"{text!r}: one of day-of-month and day-of-week must be '?'")
        try:
            cron = AWSCron(match.group(1))
        except Exception as exc:  # pyawscron raises plain exceptions
            raise ValueError(f"{text!r}: {exc}") from None
        if timezone != "UTC":
            raise ValueError(f"{text!r}: cron() schedules run in UTC here; convert the hours")
        return Expression(text, "cron", cron=cron)
    if match := _AT.match(text):
        local = datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(timezone))
        return Expression(text, "at", at=local.astimezone(UTC))
    raise ValueError(
        f"invalid schedule expression {text!r}: use rate(N minutes|hours|days), "
        f"cron(m h dom mon dow year) or at(YYYY-MM-DDThh:mm:ss)"
    )


def at_expression(moment: datetime) -> str:
    """``at()`` for a moment (written in UTC)."""
    return f"at({moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


@dataclass(frozen=True)
class ScheduledCall:
    """What a schedule's handler receives when it fires."""

    schedule: str
    scheduled_time: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    #: The runtime the handler runs in (``bot.runtime.Crewbot``), filled by the dispatcher locally and in
    #: Lambda alike; its plugin's settings are ``.crewbot.settings_for(Model)``.
    crewbot: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Schedule:
    """A recurring schedule a plugin registers (``register_schedules``): ``handler`` runs at each
    firing of ``expression``. In AWS Terraform creates the matching EventBridge rule."""

    name: str
    expression: str
    handler: Callable[[ScheduledCall], None]
    description: str = ""
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,63}", self.name):
            raise ValueError(f"schedule name {self.name!r} must be lower-case letters, digits, '_' or '-'")
        parsed = parse_expression(self.expression)
        if parsed.kind == "at":
            raise ValueError(
                f"schedule {self.name!r}: use rate() or cron() for a registered schedule; "
                f"one-off at() schedules are created with Scheduler.once()"
            )

    @property
    def parsed(self) -> Expression:
        return parse_expression(self.expression)
