"""The ICS calendar provider: an iCalendar file path or an https URL (icalendar + recurring-ical-events).

Recurring events are expanded into instances in the sync window; an instance's external id is
``<UID>#<its original start>`` so an exception (a moved instance, ``RECURRENCE-ID``) updates the same
meeting and a cancelled instance (``STATUS:CANCELLED`` or removed by ``EXDATE``) cancels it. All-day
events start at midnight in the user's time zone; floating times (no zone) are read in the calendar's
``X-WR-TIMEZONE``, else the user's time zone. Every ICS sync is a full listing of the window.

URLs must be ``https://`` (``http://`` only for ``localhost`` / ``127.0.0.1``, for tests and local
servers); ``webcal://`` is read as https. Responses over 5 MB are refused.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.api import Attendee, CalendarEvent, ProviderError, SyncResult, data_dir, hookimpl

if TYPE_CHECKING:
    from bot.api import Connection, Crewbot

MAX_BYTES = 5 * 1024 * 1024
VIDEO_LINK = re.compile(
    r"https://(?:[\w-]+\.)?(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com|"
    r"teams\.live\.com|chime\.aws|webex\.com)/\S+"
)
SAMPLE_CALENDAR = "sample:executive.ics"


def sample_path() -> Path:
    return data_dir("config") / "calendars" / "executive.ics"


def resolve_source(source: str) -> str:
    """``sample:NAME`` names a calendar shipped in ``config/calendars``; anything else is used as is."""
    if source.startswith("sample:"):
        return str(data_dir("config") / "calendars" / source.removeprefix("sample:"))
    return source


def check_url(source: str) -> str:
    """The URL to fetch for ``source``, or a ValueError saying why it is not allowed."""
    if source.startswith("webcal://"):
        source = "https://" + source.removeprefix("webcal://")
    parts = urlsplit(source)
    if parts.scheme == "https" and parts.hostname:
        return source
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"):
        return source
    raise ValueError(f"calendar URL {source!r} must use https://")


def read_source(source: str) -> bytes:
    source = resolve_source(source)
    if "://" not in source:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ProviderError(f"ICS file {path} does not exist")
        return path.read_bytes()
    import requests

    url = check_url(source)
    try:
        with requests.get(url, timeout=20, stream=True, headers={"Accept": "text/calendar"}) as response:
            response.raise_for_status()
            data = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise ProviderError(f"could not fetch the calendar ({type(exc).__name__}: {exc})") from exc
    if len(data) > MAX_BYTES:
        raise ProviderError(f"the calendar at {urlsplit(url).hostname} is larger than 5 MB")
    return bytes(data)


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _as_datetime(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def _email(value: Any) -> str:
    text = str(value or "")
    return text[7:] if text.lower().startswith("mailto:") else text


def _attendees(component: Any) -> list[Attendee]:
    found = component.get("ATTENDEE")
    if found is None:
        return []
    items = found if isinstance(found, list) else [found]
    result = []
    for item in items:
        params = getattr(item, "params", {})
        result.append(
            Attendee.model_validate(
                {
                    "email": _email(item),
                    "name": str(params.get("CN", "")),
                    "response": str(params.get("PARTSTAT", "unknown")),
                    "optional": str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT",
                }
            )
        )
    return result


def parse_calendar(data: bytes, start: datetime, end: datetime, default_zone: str = "UTC") -> list[CalendarEvent]:
    """The event instances of an iCalendar document that overlap ``[start, end]``."""
    import icalendar
    import recurring_ical_events

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise ProviderError(f"not a valid iCalendar file: {exc}") from exc
    zone = _zone(str(calendar.get("X-WR-TIMEZONE") or "")) or _zone(default_zone) or ZoneInfo("UTC")
    recurring = {
        str(c.get("UID")) for c in calendar.walk("VEVENT") if c.get("RRULE") or c.get("RDATE") or c.get("RECURRENCE-ID")
    }
    events = []
    for component in recurring_ical_events.of(calendar).between(start, end):
        uid = str(component.get("UID") or "")
        if not uid:
            continue
        raw_start = component.decoded("DTSTART")
        all_day = not isinstance(raw_start, datetime)
        begin = _as_datetime(raw_start, zone)
        finish = (
            _as_datetime(component.decoded("DTEND"), zone)
            if component.get("DTEND")
            else (begin + (timedelta(days=1) if all_day else timedelta(0)))
        )
        if component.get("DURATION") and not component.get("DTEND"):
            finish = begin + component.decoded("DURATION")
        external_id, recurrence_id = uid, None
        if uid in recurring:
            rid = component.get("RECURRENCE-ID")
            original = _as_datetime(rid.dt, zone) if rid is not None else begin
            recurrence_id = (
                original.date().isoformat() if all_day else original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            )
            external_id = f"{uid}#{recurrence_id}"
        description = str(component.get("DESCRIPTION") or "")
        location = str(component.get("LOCATION") or "") or None
        link = VIDEO_LINK.search(" ".join([str(component.get("URL") or ""), location or "", description]))
        organizer = _email(component.get("ORGANIZER")) or None
        tzid = getattr(raw_start, "tzinfo", None)
        events.append(
            CalendarEvent(
                external_id=external_id,
                title=str(component.get("SUMMARY") or ""),
                description=description,
                start=begin,
                end=max(finish, begin),
                timezone=str(getattr(tzid, "key", "") or zone.key),
                all_day=all_day,
                attendees=_attendees(component),
                organizer=organizer,
                location=location,
                video_link=link.group(0) if link else None,
                recurrence_id=recurrence_id,
                status="cancelled" if str(component.get("STATUS") or "").upper() == "CANCELLED" else "confirmed",
                etag=str(component.get("SEQUENCE") or "0"),
            )
        )
    return events


class IcsProvider:
    """Calendar provider ``ics``: the connection's ``source`` is a file path, ``sample:NAME`` or a URL."""

    name = "ics"
    label = "ICS calendar"
    uses_oauth = False

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        if not connection.source:
            raise ProviderError("the ICS connection has no file or URL; run /prep connect ics URL")
        user = crewbot.records.users.get(connection.user_id)
        events = parse_calendar(read_source(connection.source), start, end, user.timezone if user else "UTC")
        return SyncResult(events=events, complete=True, cursor=None, requests=1)

    def authorization_url(self, crewbot: Crewbot, state: str, redirect_uri: str) -> str:
        raise ProviderError("ICS calendars need no authorization")

    def complete_authorization(
        self,
        crewbot: Crewbot,
        code: str,
        redirect_uri: str,
        *,
        flow: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        raise ProviderError("ICS calendars need no authorization")


@hookimpl
def register_calendar_providers() -> list[IcsProvider]:
    return [IcsProvider()]
