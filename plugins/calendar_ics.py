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

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.api import (
    Attendee,
    CalendarEvent,
    ProviderError,
    SyncResult,
    data_dir,
    default_end,
    hookimpl,
    iana_zone_name,
    zone_of,
)

if TYPE_CHECKING:
    from bot.api import Connection, Crewbot

MAX_BYTES = 5 * 1024 * 1024
VIDEO_LINK = re.compile(
    r"https://(?:[\w-]+\.)?(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com|"
    r"teams\.live\.com|chime\.aws|webex\.com)/\S+"
)
SAMPLE_CALENDAR = "sample:executive.ics"
#: The expansion's end is exclusive; the monitor's window includes its end, so one second more is read.
INCLUSIVE = timedelta(seconds=1)


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
            raise ProviderError(f"the ICS file {path} does not exist")
        return path.read_bytes()
    import requests

    try:
        url = check_url(source)
    except ValueError as exc:
        raise ProviderError(str(exc)) from None
    host = urlsplit(url).hostname
    try:
        with requests.get(url, timeout=20, stream=True, headers={"Accept": "text/calendar"}) as response:
            if response.status_code >= 400:
                raise ProviderError(
                    f"could not fetch the calendar: {host} answered HTTP {response.status_code}"
                    + (" (the link may be private or expired)" if response.status_code in (401, 403, 404) else "")
                )
            data = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.Timeout:
        raise ProviderError(f"could not fetch the calendar: {host} did not answer in time") from None
    except requests.ConnectionError:
        raise ProviderError(f"could not fetch the calendar: {host} could not be reached") from None
    except requests.RequestException:
        raise ProviderError(f"could not fetch the calendar from {host}") from None
    if len(data) > MAX_BYTES:
        raise ProviderError(f"the calendar at {urlsplit(url).hostname} is larger than 5 MB")
    return bytes(data)


def _zone(name: str | None) -> ZoneInfo | None:
    found = iana_zone_name(name)
    return ZoneInfo(found) if found else None


def _as_datetime(value: date | datetime, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def _email(value: Any) -> str:
    text = str(value or "")
    return text[7:] if text.lower().startswith("mailto:") else text


def _people(component: Any, owner: frozenset[str]) -> tuple[list[Attendee], list[str], bool]:
    """``(attendees, rooms, declined)``: people (the owner marked), rooms/resources apart, the owner's answer."""
    found = component.get("ATTENDEE")
    if found is None:
        return [], [], False
    items = found if isinstance(found, list) else [found]
    people, rooms, declined = [], [], False
    for item in items:
        params = getattr(item, "params", {})
        email = _email(item)
        name = str(params.get("CN", ""))
        if str(params.get("CUTYPE", "")).upper() in ("ROOM", "RESOURCE"):
            rooms.append(name or email)
            continue
        response = str(params.get("PARTSTAT", "unknown"))
        is_self = bool(email) and email.lower() in owner
        declined = declined or (is_self and response.upper() == "DECLINED")
        people.append(
            Attendee.model_validate(
                {
                    "email": email,
                    "name": name,
                    "response": response if response.lower() in _RESPONSES else "unknown",
                    "optional": str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT",
                    "is_self": is_self,
                }
            )
        )
    return people, rooms, declined


_RESPONSES = {"accepted", "declined", "tentative", "needs-action", "unknown"}
#: Outlook/Exchange's free/busy property → CalendarEvent.show_as.
_BUSY_STATUS = {
    "FREE": "free",
    "TENTATIVE": "tentative",
    "BUSY": "busy",
    "OOF": "out_of_office",
    "WORKINGELSEWHERE": "working_elsewhere",
}


@dataclass
class ParsedCalendar:
    """What an iCalendar document gave for a window: its events, and sentences about what was left out."""

    events: list[CalendarEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Occurrences produced by the expansion (bounded by ``max_occurrences``); the work this calendar cost.
    occurrences: int = 0

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def skip(self, title: str, why: str) -> None:
        self.skipped.append(f"{title!r} {why}" if title else f"an untitled event {why}")


def _title(component: Any) -> str:
    try:
        return str(component.get("SUMMARY") or "").strip()[:80]
    except Exception:  # a broken value must not stop naming the event
        return ""


def _why(exc: BaseException) -> str:
    """A short sentence for what was wrong with an event (never the exception's repr)."""
    import icalendar
    from recurring_ical_events.errors import BadRuleStringFormat, PeriodEndBeforeStart

    if isinstance(exc, KeyError) and "DTSTART" in str(exc):
        return "has no start"
    if isinstance(exc, BadRuleStringFormat):
        return "has a repeat rule that cannot be read"
    if isinstance(exc, PeriodEndBeforeStart):
        return "ends before it starts"
    if isinstance(exc, icalendar.InvalidCalendar):
        return "is not valid iCalendar"
    if isinstance(exc, (ValueError, TypeError, OverflowError)):
        return "has a date, time or repeat rule that cannot be read"
    return "could not be read"


def _stable_uid(component: Any, seen: dict[str, int]) -> str:
    """A UID for an event that has none, derived from its content (the same event gets the same id)."""
    parts = []
    for name in ("DTSTART", "DTEND", "DURATION", "SUMMARY", "LOCATION", "RRULE", "DESCRIPTION", "URL"):
        value = component.get(name)
        try:
            parts.append(f"{name}:{value.to_ical().decode() if hasattr(value, 'to_ical') else value}")
        except Exception:
            parts.append(f"{name}:{value!s}")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    seen[digest] = seen.get(digest, 0) + 1
    # Identical copies stay distinct events, numbered in file order.
    return f"derived-{digest}" + (f"-{seen[digest]}" if seen[digest] > 1 else "")


def _series_cut(series: Any, start: datetime, end: datetime, cap: int) -> datetime | None:
    """Where a recurring series reaches ``cap`` occurrences inside ``[start, end]`` (``None``: it never does).

    Counted lazily with dateutil's ``xafter`` so a FREQ=SECONDLY rule costs ``cap`` steps, not millions.
    """
    from recurring_ical_events.util import convert_to_datetime

    recurrence = getattr(series, "recurrence", None)
    rules = getattr(recurrence, "rrules", None) or []
    zone = getattr(recurrence, "tzinfo", None)
    cut: datetime | None = None
    for rule in rules:
        after, before = convert_to_datetime(start, zone), convert_to_datetime(end, zone)
        if after.tzinfo is None and getattr(rule, "_dtstart", None) is not None and rule._dtstart.tzinfo is not None:
            after, before = after.replace(tzinfo=rule._dtstart.tzinfo), before.replace(tzinfo=rule._dtstart.tzinfo)
        last, count = None, 0
        for moment in rule.xafter(after, count=cap, inc=True):
            last, count = moment, count + 1
        if count >= cap and last is not None and last < before:
            moment = last if last.tzinfo is not None else last.replace(tzinfo=start.tzinfo)
            cut = moment if cut is None else min(cut, moment)
    return cut


def read_calendar(
    data: bytes,
    start: datetime,
    end: datetime,
    default_zone: str = "UTC",
    *,
    owner: frozenset[str] = frozenset(),
    max_occurrences: int = 500,
    max_events: int = 2000,
) -> ParsedCalendar:
    """The event instances of an iCalendar document that overlap ``[start, end]``, reading what can be read.

    A broken event or series is skipped and named (``"'Board dinner' has no start"``); the rest import.
    Events without a UID get one derived from their content. A recurring series contributes at most
    ``max_occurrences`` instances and the calendar at most ``max_events`` (with a warning naming what was
    cut), so one pathological calendar costs bounded work. ``owner`` are the calendar owner's e-mail
    addresses (lower case), to recognise them among the attendees. Raises ProviderError (a sentence) only
    when the document is not iCalendar at all.
    """
    import icalendar

    result = ParsedCalendar()
    if b"BEGIN:VCALENDAR" in data.upper() and b"END:VCALENDAR" not in data.upper():
        data = data.rstrip() + b"\r\nEND:VCALENDAR\r\n"  # a truncated download: read what arrived
        result.warn("the calendar file ends early (no END:VCALENDAR); the events before the cut were read")
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception:  # icalendar raises ValueError, but also KeyError/IndexError on some broken input
        raise ProviderError(
            "this is not an iCalendar (.ics) file that can be read; check that the link gives the calendar "
            "itself, not a web page"
        ) from None
    if not calendars:
        raise ProviderError("the file holds no calendar (no BEGIN:VCALENDAR)")
    for calendar in calendars:
        _read_one(calendar, start, end, default_zone, owner, max_occurrences, max_events, result)
    if result.skipped:
        count = len(result.skipped)
        reasons = Counter(result.skipped)
        shown = [f"{why} ({n} times)" if n > 1 else why for why, n in list(reasons.items())[:5]]
        more = "; …" if len(reasons) > 5 else ""
        result.warn(f"{count} event{'s' if count != 1 else ''} skipped: " + "; ".join(shown) + more)
    return result


def _read_one(
    calendar: Any,
    start: datetime,
    end: datetime,
    default_zone: str,
    owner: frozenset[str],
    max_occurrences: int,
    max_events: int,
    result: ParsedCalendar,
) -> None:
    wr_zone = str(calendar.get("X-WR-TIMEZONE") or "")
    zone = _zone(wr_zone) or _zone(default_zone) or ZoneInfo("UTC")
    if wr_zone and not _zone(wr_zone):
        result.warn(f"the calendar's time zone {wr_zone!r} is unknown here; its floating times are read in {zone.key}")
    seen: dict[str, int] = {}
    titles: dict[str, str] = {}
    for component in calendar.walk("VEVENT"):
        if not str(component.get("UID") or "").strip():
            component["UID"] = _stable_uid(component, seen)
        titles.setdefault(str(component.get("UID")), _title(component))
        _check_tzid(component, zone, result)
    recurring = {
        str(c.get("UID")) for c in calendar.walk("VEVENT") if c.get("RRULE") or c.get("RDATE") or c.get("RECURRENCE-ID")
    }
    series_list = _series(calendar, titles, result)
    for series in series_list:
        uid = str(getattr(series, "uid", ""))
        title = titles.get(uid, "")
        room = max_events - len(result.events)
        if room <= 0:
            result.warn(
                f"the calendar has more than {max_events} events in the window; only the first {max_events} are used"
            )
            return
        cap = min(max_occurrences, room)
        try:
            cut = _series_cut(series, start, end, cap)
            span_end = (end if cut is None else cut) + INCLUSIVE
            occurrences = list(islice(series.between(start, span_end), cap + 1))
        except Exception as exc:
            result.skip(title, _why(exc))
            continue
        if cut is not None or len(occurrences) > cap:
            occurrences = occurrences[:cap]
            if cap == max_occurrences:
                result.warn(
                    f"the repeating event {title or uid!r} has more than {max_occurrences} occurrences in the "
                    f"window; only the first {max_occurrences} are used"
                )
            else:
                result.warn(
                    f"the calendar has more than {max_events} events in the window; only the first {max_events} "
                    "are used"
                )
        result.occurrences += len(occurrences)
        for occurrence in occurrences:
            try:
                event = _event(occurrence, uid, uid in recurring, zone, owner, result)
            except Exception as exc:
                result.skip(title, _why(exc))
                break  # one broken series is skipped once
            if event is not None:
                result.events.append(event)


def _check_tzid(component: Any, zone: ZoneInfo, result: ParsedCalendar) -> None:
    """Warn about a TZID that neither icalendar nor a VTIMEZONE block resolves (its times are read as floating)."""
    value = component.get("DTSTART")
    named = getattr(value, "params", {}).get("TZID") if value is not None else None
    try:
        moment = getattr(value, "dt", None)
    except Exception:  # a broken DTSTART: the expansion skips and names this event
        return
    if named and isinstance(moment, datetime) and moment.tzinfo is None:
        result.warn(f"the time zone {str(named)!r} is unknown here; its events are read in {zone.key}")


def _series(calendar: Any, titles: dict[str, str], result: ParsedCalendar) -> list[Any]:
    """The calendar's recurring-ical-events series; a broken series is skipped and named with the reason."""
    import icalendar
    import recurring_ical_events

    if str(calendar.get("CALSCALE", "GREGORIAN")).upper() != "GREGORIAN":
        raise ProviderError("the calendar uses a non-Gregorian calendar scale, which cannot be read")
    try:
        series_list = list(recurring_ical_events.of(calendar, skip_bad_series=True).series)
        broken: set[str] = set(titles) - {str(getattr(s, "uid", "")) for s in series_list}
    except Exception:  # an error the library does not skip: read the series one by one below
        series_list, broken = [], set(titles)
    if not broken:
        return series_list
    # Expand each left-out series alone, errors not suppressed: it either works alone or says why not.
    groups: dict[str, list[Any]] = {}
    for component in calendar.walk("VEVENT"):
        groups.setdefault(str(component.get("UID")), []).append(component)
    timezones = list(calendar.walk("VTIMEZONE"))
    for uid in sorted(broken, key=list(titles).index):
        single = icalendar.Calendar()
        for part in (*timezones, *groups.get(uid, [])):
            single.add_component(part)
        try:
            found = list(recurring_ical_events.of(single).series)
            for series in found:
                series.between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))
        except Exception as exc:
            result.skip(titles[uid], _why(exc))
            continue
        series_list.extend(found)
    return series_list


def _event(
    occurrence: Any, uid: str, recurring: bool, zone: ZoneInfo, owner: frozenset[str], result: ParsedCalendar
) -> CalendarEvent | None:
    component = occurrence.as_component(False)
    raw_start = component.decoded("DTSTART")
    all_day = not isinstance(raw_start, datetime)
    begin = _as_datetime(raw_start, zone)
    # The expansion writes a DTEND on every instance; whether the event gave one is on its source.
    source = getattr(getattr(occurrence, "_adapter", None), "_component", component)
    if source.get("DTEND") is None and source.get("DURATION") is None:
        finish = default_end(begin, all_day)
    elif component.get("DTEND") is not None:
        finish = _as_datetime(component.decoded("DTEND"), zone)
    else:
        finish = begin + component.decoded("DURATION")
    if isinstance(raw_start, datetime) and raw_start.tzinfo is not None:
        zone_name, warning = zone_of(raw_start.tzinfo, raw_start)
        if zone_name == "UTC" and raw_start.utcoffset() == timedelta(0):
            zone_name = zone.key  # a Z time: shown in the calendar's zone
        elif warning:
            result.warn(warning)
    else:
        zone_name = zone.key
    external_id, recurrence_id = uid, None
    if recurring:
        rid = component.get("RECURRENCE-ID")
        original = _as_datetime(rid.dt, zone) if rid is not None else begin
        if rid is not None and str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
            # Later instances of a THISANDFUTURE edit carry the edit's RECURRENCE-ID: each keeps its own
            # original start (its start less the edit's shift), so every instance stays its own meeting.
            shift = getattr(getattr(occurrence, "_adapter", None), "move_recurrences_by", timedelta(0))
            original = begin - shift if isinstance(shift, timedelta) else begin
        recurrence_id = original.date().isoformat() if all_day else original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        external_id = f"{uid}#{recurrence_id}"
    description = str(component.get("DESCRIPTION") or "")
    location = str(component.get("LOCATION") or "") or None
    link = VIDEO_LINK.search(" ".join([str(component.get("URL") or ""), location or "", description]))
    organizer = _email(component.get("ORGANIZER")) or None
    attendees, rooms, declined = _people(component, owner)
    busy = str(component.get("X-MICROSOFT-CDO-BUSYSTATUS") or "").upper()
    transparent = str(component.get("TRANSP") or "").upper() == "TRANSPARENT"
    show_as = _BUSY_STATUS.get(busy) or ("free" if transparent else "busy")
    return CalendarEvent(
        external_id=external_id[:1000],
        title=str(component.get("SUMMARY") or ""),
        description=description,
        start=begin,
        end=max(finish, begin),
        timezone=zone_name,
        all_day=all_day,
        attendees=attendees,
        organizer=organizer,
        location=location,
        video_link=link.group(0) if link else None,
        recurrence_id=recurrence_id,
        status="cancelled" if str(component.get("STATUS") or "").upper() == "CANCELLED" else "confirmed",
        kind="out_of_office" if show_as == "out_of_office" else "event",
        show_as=show_as,  # type: ignore[arg-type]
        declined=declined,
        rooms=rooms,
        etag=str(component.get("SEQUENCE") or "0"),
    )


def parse_calendar(data: bytes, start: datetime, end: datetime, default_zone: str = "UTC") -> list[CalendarEvent]:
    """The event instances of an iCalendar document that overlap ``[start, end]`` (see :func:`read_calendar`)."""
    return read_calendar(data, start, end, default_zone).events


class IcsProvider:
    """Calendar provider ``ics``: the connection's ``source`` is a file path, ``sample:NAME`` or a URL."""

    name = "ics"
    label = "ICS calendar"
    connect_kind = "url"
    uses_oauth = False
    connect_hint = "ics URL"

    def __init__(self, *, max_occurrences: int = 500, max_events: int = 2000):
        self.max_occurrences = max_occurrences
        self.max_events = max_events

    def check_source(self, source: str) -> str:
        """The source to store for ``/prep connect ics SOURCE``, or a ValueError saying why not."""
        return check_url(source)

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        if not connection.source:
            raise ProviderError("the ICS connection has no file or URL; run /prep connect ics URL")
        user = crewbot.records.users.get(connection.user_id)
        owner = frozenset(e.lower() for e in (user.email if user else None, connection.account) if e)
        parsed = read_calendar(
            read_source(connection.source),
            start,
            end,
            user.timezone if user else "UTC",
            owner=owner,
            max_occurrences=self.max_occurrences,
            max_events=self.max_events,
        )
        return SyncResult(
            events=parsed.events,
            complete=True,
            cursor=None,
            requests=1,
            warnings=parsed.warnings,
            skipped=len(parsed.skipped),
        )

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
