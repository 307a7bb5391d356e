"""When things happen for a meeting: the prep prompt, the prep chat's deadline, the reminder; the user's zone.

All times are computed here so the monitor, the workflow tasks and the buttons agree:

* **Prep prompt** at ``start - prep hours`` (the type's, or the user's override). A prompt that falls in
  the user's quiet hours moves to their end, unless that is too close to the meeting
  (:data:`PROMPT_MARGIN`), in which case it goes out just before the quiet hours begin; a prep time
  already past is due now.
* **Prep chat deadline**: an unanswered chat closes at the earlier of 24 hours after the prompt and
  :data:`MATERIALS_BEFORE` before the meeting, so the materials always arrive before it starts; with
  less time than that left, half of the remaining time (at least a minute).
* **Reminder** at the later of ``start - reminder hours`` and ``now + REMINDER_AFTER`` (a short prep
  lead, such as an incident review's 2 hours, still gets its reminder), provided that is at least
  :data:`REMINDER_MIN_BEFORE` before the start; otherwise none (the materials message already names
  the start).
* **The user's time zone** is their ``/prep settings`` override, else the zone Slack reports for
  them (``users.info``), else UTC.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

CHAT_TIMEOUT = timedelta(hours=24)
MATERIALS_BEFORE = timedelta(minutes=30)
REMINDER_AFTER = timedelta(minutes=5)
REMINDER_MIN_BEFORE = timedelta(minutes=1)
PROMPT_MARGIN = timedelta(minutes=30)
MIN_CHAT = timedelta(minutes=1)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Z", "Etc/Zulu", "Zulu", "Universal", "Etc/Universal"})


def prep_settings(user: Any) -> dict[str, Any]:
    """The user's ``/prep settings`` (``{}`` when none)."""
    settings = (getattr(user, "settings", None) or {}).get("meeting_prep") if user is not None else None
    return settings if isinstance(settings, dict) else {}


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name``, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def user_zone_name(user: Any) -> str:
    """The user's zone: the ``/prep settings`` override, else Slack's, else ``UTC``."""
    for candidate in (prep_settings(user).get("timezone"), getattr(user, "timezone", None)):
        if zone_named(candidate) is not None:
            return str(candidate)
    return "UTC"


def user_zone(user: Any) -> ZoneInfo:
    """:func:`user_zone_name` as a ZoneInfo."""
    return ZoneInfo(user_zone_name(user))


def _quiet(user: Any) -> tuple[time, time] | None:
    quiet = prep_settings(user).get("quiet_hours") or {}
    try:
        return time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    except (KeyError, TypeError, ValueError):
        return None


def in_quiet_hours(user: Any, moment: datetime) -> bool:
    """Whether ``moment`` falls in the user's quiet hours (``HH:MM``-``HH:MM`` in the user's zone)."""
    quiet = _quiet(user)
    if quiet is None:
        return False
    start, end = quiet
    local = moment.astimezone(user_zone(user)).time()
    return start <= local < end if start <= end else (local >= start or local < end)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def quiet_bounds(user: Any, moment: datetime) -> tuple[datetime, datetime] | None:
    """The quiet period containing ``moment`` as ``(begins, ends)``, or None outside quiet hours."""
    quiet = _quiet(user)
    if quiet is None or not in_quiet_hours(user, moment):
        return None
    start, end = quiet
    zone = user_zone(user)
    local = moment.astimezone(zone)
    today = local.date()
    if start <= end:
        return _local(today, start, zone), _local(today, end, zone)
    if local.time() >= start:  # the evening part: ends tomorrow morning
        return _local(today, start, zone), _local(today + timedelta(days=1), end, zone)
    return _local(today - timedelta(days=1), start, zone), _local(today, end, zone)


def prompt_time(start: datetime, prep_hours: float, now: datetime, user: Any) -> datetime:
    """When the prep prompt for a meeting starting at ``start`` goes out (never before ``now``)."""
    due = max(start - timedelta(hours=prep_hours), now)
    bounds = quiet_bounds(user, due)
    if bounds is not None:
        begins, ends = bounds
        if ends <= start - PROMPT_MARGIN:
            due = ends
        elif begins > now:
            due = begins - timedelta(minutes=1)  # just before the quiet hours, while there is time to prep
    return max(due, now)


def chat_deadline(start: datetime, prompted: datetime) -> datetime:
    """When an unanswered prep chat closes, so materials are generated before the meeting starts."""
    deadline = min(prompted + CHAT_TIMEOUT, start - MATERIALS_BEFORE)
    if deadline - prompted < MIN_CHAT:
        deadline = prompted + max(MIN_CHAT, (start - prompted) / 2)
    return deadline


def reminder_time(start: datetime, now: datetime, hours_before: float) -> datetime | None:
    """When the reminder goes out, or None when the meeting is too close for one."""
    when = max(start - timedelta(hours=hours_before), now + REMINDER_AFTER)
    return when if when <= start - REMINDER_MIN_BEFORE else None


def when_text(start: datetime, end: datetime, all_day: bool, meeting_zone: str | None, user_zone_id: str) -> str:
    """A meeting's time in the user's zone, with the meeting's own zone alongside when it differs.

    ``Mon 23 Nov 09:00-10:30 America/New_York``, or ``Mon 23 Nov 15:00-16:00 Europe/Paris (09:00-10:00
    America/New_York)``; all-day events read ``Mon 23 Nov (all day)`` (their date in the user's zone).
    """
    shown = zone_named(user_zone_id) or ZoneInfo("UTC")
    if all_day:
        # An all-day event is a date: it starts at midnight of the zone it was placed in.
        own = zone_named(meeting_zone) or shown
        first = start.astimezone(own).date()
        last = (end.astimezone(own) - timedelta(seconds=1)).date() if end > start else first
        if last > first:
            return f"{first:%a %d %b}-{last:%a %d %b} (all day)"
        return f"{first:%a %d %b} (all day)"
    local_start, local_end = start.astimezone(shown), end.astimezone(shown)
    text = f"{local_start:%a %d %b %H:%M}-{local_end:%H:%M} {shown.key}"
    theirs = zone_named(meeting_zone)
    # A meeting given in UTC (Z times) has no zone of its own worth showing.
    if theirs is not None and theirs.key not in _UTC_NAMES and theirs.key != shown.key:
        their_start, their_end = start.astimezone(theirs), end.astimezone(theirs)
        if their_start.utcoffset() != local_start.utcoffset():
            day = f"{their_start:%a %d %b} " if their_start.date() != local_start.date() else ""
            text += f" ({day}{their_start:%H:%M}-{their_end:%H:%M} {theirs.key})"
    return text


def log_skipped(kind: str, meeting_id: str, why: str) -> None:
    """A prompt or reminder that is not sent, and why (late after a clock jump, meeting started)."""
    logger.info("meeting prep: %s for %s skipped: %s", kind, meeting_id, why)
