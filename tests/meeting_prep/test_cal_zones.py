"""Windows and custom time-zone names map to IANA zones (CLDR's table as icalendar ships it); an unknown zone
falls back to the calendar's offset with a warning; every stored zone can be displayed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import responses

from bot.calendars.zones import iana_zone_name, resolve_zone, zone_info
from bot.storage.records import format_time
from plugins.meeting_prep import notify
from plugins.meeting_prep.monitor import meeting_id_for

from .cal_fakes import Calendars, calendars, graph_event, graph_page, ics

DELTA = "https://graph.microsoft.com/v1.0/me/calendarView/delta"
DAY = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 11:00 in New York (EST)


@pytest.fixture
def cals(crewbot_home: Path) -> Iterator[Calendars]:
    yield from calendars(crewbot_home)


def test_names_calendars_use_map_to_iana() -> None:
    assert iana_zone_name("Eastern Standard Time") == "America/New_York"
    assert iana_zone_name("W. Europe Standard Time") == "Europe/Berlin"
    assert iana_zone_name("/mozilla.org/20050126_1/America/New_York") == "America/New_York"
    assert iana_zone_name('"Europe/Paris"') == "Europe/Paris"
    assert iana_zone_name("Customized Time Zone") is None
    assert resolve_zone("Customized Time Zone", datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=-5))))[0] == (
        "Etc/GMT+5"
    )
    zone, warning = resolve_zone("Chennai custom", datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=5.5))))
    assert zone == "UTC" and warning is not None and "UTC+05:30" in warning
    assert zone_info("Eastern Standard Time").key == "America/New_York" and zone_info("nonsense").key == "UTC"


def _shown(cals: Calendars, meeting_id: str) -> str:
    meeting = cals.crewbot.records.meetings.get(meeting_id)
    assert meeting is not None
    view = {
        "start": format_time(meeting.start),
        "end": format_time(meeting.end),
        "timezone": meeting.timezone,
        "all_day": meeting.all_day,
    }
    return notify.when_text(view, meeting.timezone)


@responses.activate
def test_graph_windows_zone_names_are_stored_as_iana_and_shown(cals: Calendars) -> None:
    responses.get(
        DELTA,
        json=graph_page(
            graph_event("ev-ny", "Budget review", DAY, originalStartTimeZone="Eastern Standard Time"),
            graph_event("ev-custom", "Partner call", DAY, originalStartTimeZone="tzone://Microsoft/Custom"),
            graph_event(
                "ev-day",
                "Offsite",
                datetime(2026, 3, 4, tzinfo=UTC),
                isAllDay=True,
                originalStartTimeZone="Eastern Standard Time",
                end={"dateTime": "2026-03-05T00:00:00.0000000", "timeZone": "UTC"},
            ),
        ),
    )
    cals.connect("U1", "microsoft")
    counts = cals.sync("U1")
    assert counts.errors == [] and counts.new == 3
    ny = cals.crewbot.records.meetings.get(meeting_id_for("U1", "microsoft", "ev-ny"))
    assert ny is not None and ny.timezone == "America/New_York"
    assert "11:00-12:00 America/New_York" in _shown(cals, ny.meeting_id)  # was: ZoneInfoNotFoundError
    custom = cals.crewbot.records.meetings.get(meeting_id_for("U1", "microsoft", "ev-custom"))
    assert custom is not None and custom.timezone == "UTC"
    assert any("'tzone://Microsoft/Custom' is unknown" in w for w in counts.warnings)
    offsite = cals.crewbot.records.meetings.get(meeting_id_for("U1", "microsoft", "ev-day"))
    # An all-day event starts at midnight of its own zone (Graph gives the date at midnight UTC).
    assert offsite is not None and offsite.start == datetime(2026, 3, 4, 5, 0, tzinfo=UTC)
    assert _shown(cals, offsite.meeting_id) == "Wed 04 Mar (all day)"
    for meeting in cals.crewbot.records.meetings.for_user("U1"):
        _shown(cals, meeting.meeting_id)  # no stored zone fails to display


VTIMEZONE_CUSTOM = """
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:Eastern Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
END:VTIMEZONE
"""


def test_ics_windows_vtimezone_and_custom_zones(cals: Calendars, tmp_path: Path) -> None:
    path = tmp_path / "outlook.ics"
    path.write_bytes(
        ics(
            "UID:windows@t\nDTSTAMP:20260101T000000Z\nSUMMARY:Windows name\n"
            "DTSTART;TZID=Eastern Standard Time:20260305T110000\nDTEND;TZID=Eastern Standard Time:20260305T113000",
            "UID:custom@t\nDTSTAMP:20260101T000000Z\nSUMMARY:Custom zone\n"
            "DTSTART;TZID=Customized Time Zone:20260305T110000\nDTEND;TZID=Customized Time Zone:20260305T113000",
            "UID:unknown@t\nDTSTAMP:20260101T000000Z\nSUMMARY:Unknown zone\n"
            "DTSTART;TZID=Nowhere Standard Time:20260305T110000\nDURATION:PT30M",
            head=VTIMEZONE_CUSTOM,
        )
    )
    cals.connect("U2", "ics", source=str(path))
    counts = cals.sync("U2")
    assert counts.errors == [] and counts.new == 3
    meetings = cals.crewbot.records.meetings
    windows = meetings.get(meeting_id_for("U2", "ics", "windows@t"))
    assert windows is not None and windows.start == DAY and windows.timezone == "America/New_York"
    assert "11:00-11:30 America/New_York" in _shown(cals, windows.meeting_id)  # was: 16:00-16:30 UTC
    custom = meetings.get(meeting_id_for("U2", "ics", "custom@t"))
    # A zone known only by its VTIMEZONE block: the exact time, shown at the offset the calendar gives.
    assert custom is not None and custom.start == DAY and custom.timezone == "Etc/GMT+5"
    assert "11:00-11:30" in _shown(cals, custom.meeting_id)
    assert any("'Customized Time Zone' is unknown" in w and "UTC-05:00" in w for w in counts.warnings)
    unknown = meetings.get(meeting_id_for("U2", "ics", "unknown@t"))
    assert unknown is not None and unknown.timezone == "UTC"  # floating in the user's zone (UTC here)
    assert any("'Nowhere Standard Time' is unknown" in w for w in counts.warnings)
