"""Time-zone names as calendars write them → IANA zones, without ever failing.

Calendars name zones in many ways: IANA (``Europe/Berlin``), Windows (``Eastern Standard Time``, from
Outlook, Exchange and Microsoft Graph's ``originalStartTimeZone``), "globally unique" ids with a vendor
prefix (``/mozilla.org/20050126_1/America/New_York``) and custom names defined only by a VTIMEZONE block
(``Customized Time Zone``). Windows names are mapped with icalendar's copy of CLDR's ``windowsZones``
table; vendor prefixes with icalendar's own look-up. What cannot be mapped falls back to the offset the
calendar gives for the event (``Etc/GMT+5`` for UTC-05:00) and the caller tells the user in a warning.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAMES = frozenset({"utc", "z", "gmt", "etc/utc", "etc/gmt", "zulu", "universal", "coordinated universal time"})


@lru_cache(maxsize=512)
def iana_zone_name(name: str | None) -> str | None:
    """The IANA zone a calendar's zone name stands for, or ``None`` when it cannot be identified."""
    if not name:
        return None
    cleaned = name.strip().strip('"').strip()
    if not cleaned:
        return None
    if cleaned.lower() in UTC_NAMES:
        return "UTC"
    if _valid(cleaned):
        return cleaned
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    mapped = WINDOWS_TO_OLSON.get(cleaned)
    if mapped is None:
        lowered = cleaned.lower()
        mapped = next((v for k, v in WINDOWS_TO_OLSON.items() if k.lower() == lowered), None)
    if mapped and _valid(mapped):
        return mapped
    # Vendor-prefixed ids: icalendar strips the prefix (it warns that this is a guess; the result is checked).
    from icalendar.timezone import tzp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = tzp.timezone(cleaned if cleaned.startswith("/") else "/" + cleaned)
        except Exception:  # a library look-up must not break a sync
            found = None
    key = getattr(found, "key", None)
    return key if isinstance(key, str) and _valid(key) else None


def _valid(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def offset_zone(offset: timedelta | None) -> str:
    """An IANA zone with this fixed UTC offset (``Etc/GMT-2`` is UTC+02:00); ``UTC`` when none fits."""
    if offset is None or offset == timedelta(0):
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    if minutes % 60 or not -12 * 60 <= minutes <= 14 * 60:
        return "UTC"  # IANA has fixed-offset zones for whole hours only; times stay exact, display is UTC
    hours = minutes // 60
    return f"Etc/GMT{-hours:+d}"


def format_offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def resolve_zone(name: str | None, moment: datetime | None = None) -> tuple[str, str | None]:
    """``(IANA zone, warning)`` for a zone ``name`` used at ``moment`` (an aware time, for its offset).

    The warning is a sentence for the user when the name could not be mapped and the offset was used.
    """
    found = iana_zone_name(name)
    if found:
        return found, None
    offset = moment.utcoffset() if moment is not None and moment.tzinfo is not None else None
    zone = offset_zone(offset)
    if not name:
        return zone, None
    if zone == "UTC" and offset not in (None, timedelta(0)):
        tail = f"shown in UTC (the calendar gives {format_offset(offset)})"
    else:
        tail = f"shown at the calendar's offset {format_offset(offset)}"
    return zone, f"the time zone {name!r} is unknown here; its events are {tail}"


def zone_of(value: tzinfo | None, moment: datetime | None = None) -> tuple[str, str | None]:
    """``(IANA zone, warning)`` for a parsed tzinfo (a ZoneInfo, a zone built from a VTIMEZONE block, ...)."""
    if value is None:
        return "UTC", None
    key = getattr(value, "key", None)
    if isinstance(key, str) and _valid(key):
        return key, None
    from icalendar.timezone import tzid_from_tzinfo

    try:
        name = tzid_from_tzinfo(value)
    except Exception:  # unusual tzinfo implementations: fall back to the offset
        name = None
    if name is None and moment is not None:
        name = moment.tzname()
    return resolve_zone(name, moment)


def zone_info(name: str | None) -> ZoneInfo:
    """A ZoneInfo for a stored zone name, never raising (Windows names mapped; unknown → UTC)."""
    return ZoneInfo(iana_zone_name(name) or "UTC")
