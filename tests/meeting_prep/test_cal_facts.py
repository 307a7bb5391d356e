"""What a calendar says an event is reaches the stored meeting, for all three providers: out of office, focus
time, working location, birthdays, free (transparent) time, events the owner declined; rooms and resources
are not attendees and the owner is marked. An event without an end gets a length display and agenda share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from bot.calendars.events import DEFAULT_DURATION
from bot.storage.records import Meeting, format_time
from plugins.meeting_prep import notify
from plugins.meeting_prep.monitor import meeting_id_for

from .cal_fakes import Calendars, calendars, google_page, graph_event, graph_page, ics

DELTA = "https://graph.microsoft.com/v1.0/me/calendarView/delta"
DAY = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def cals(crewbot_home: Path) -> Iterator[Calendars]:
    yield from calendars(crewbot_home)


def _g(event_id: str, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "status": "confirmed",
        "summary": summary,
        "start": {"dateTime": "2026-03-04T15:00:00Z"},
        "end": {"dateTime": "2026-03-04T16:00:00Z"},
        **extra,
    }


def _meeting(cals: Calendars, user: str, provider: str, external_id: str) -> Meeting:
    meeting = cals.crewbot.records.meetings.get(meeting_id_for(user, provider, external_id))
    assert meeting is not None, external_id
    return meeting


ME = {"email": "me@example.com", "self": True, "organizer": True, "responseStatus": "accepted"}
JORDAN = {"email": "jordan@example.com", "displayName": "Jordan", "responseStatus": "accepted"}
ROOM = {
    "email": "c_188@resource.calendar.google.com",
    "displayName": "Room 4",
    "resource": True,
    "responseStatus": "accepted",
}


def test_google_event_types_transparency_declines_and_rooms(cals: Calendars) -> None:
    cals.google.answers = [
        (
            200,
            google_page(
                _g("ooo", "Out of office", eventType="outOfOffice"),
                _g("focus", "Focus time", eventType="focusTime", transparency="opaque"),
                _g("wl", "Home", eventType="workingLocation", transparency="transparent"),
                _g("bday", "Sam's birthday", eventType="birthday", transparency="transparent"),
                _g("free", "Hold: maybe lunch", transparency="transparent"),
                _g(
                    "nope", "Vendor pitch", attendees=[{**ME, "organizer": False, "responseStatus": "declined"}, JORDAN]
                ),
                _g("coffee", "Coffee with Jordan", attendees=[ME, JORDAN, ROOM]),
            ),
        )
    ]
    cals.connect("U1", "google")
    assert cals.sync("U1").errors == []
    facts = {
        e: (m.kind, m.show_as, m.declined)
        for e in ("ooo", "focus", "wl", "bday", "free", "nope", "coffee")
        for m in [_meeting(cals, "U1", "google", e)]
    }
    assert facts == {
        "ooo": ("out_of_office", "out_of_office", False),
        "focus": ("focus_time", "busy", False),
        "wl": ("working_location", "free", False),
        "bday": ("birthday", "free", False),
        "free": ("event", "free", False),
        "nope": ("event", "busy", True),
        "coffee": ("event", "busy", False),
    }
    coffee = _meeting(cals, "U1", "google", "coffee")
    # The room is not a person: "Coffee with Jordan" is still a one-on-one.
    assert [a.email for a in coffee.attendees] == ["me@example.com", "jordan@example.com"]
    assert coffee.rooms == ["Room 4"] and [a.is_self for a in coffee.attendees] == [True, False]
    assert coffee.meeting_type == "one_on_one"


@responses.activate
def test_graph_show_as_response_and_resources(cals: Calendars) -> None:
    people = [
        {"type": "required", "status": {"response": "accepted"}, "emailAddress": {"address": "me@contoso.com"}},
        {"type": "required", "status": {"response": "accepted"}, "emailAddress": {"address": "jo@contoso.com"}},
        {
            "type": "resource",
            "status": {"response": "accepted"},
            "emailAddress": {"name": "Room 4", "address": "r4@contoso.com"},
        },
    ]
    responses.get(
        DELTA,
        json=graph_page(
            graph_event("oof", "Vacation", DAY, showAs="oof"),
            graph_event("free", "Maybe", DAY, showAs="free"),
            graph_event("away", "Client site", DAY, showAs="workingElsewhere"),
            graph_event("no", "Vendor pitch", DAY, responseStatus={"response": "declined"}),
            graph_event("coffee", "Coffee with Jo", DAY, attendees=people),
        ),
    )
    cals.connect("U2", "microsoft", account="me@contoso.com")
    assert cals.sync("U2").errors == []
    assert (_meeting(cals, "U2", "microsoft", "oof").kind, _meeting(cals, "U2", "microsoft", "oof").show_as) == (
        "out_of_office",
        "out_of_office",
    )
    assert _meeting(cals, "U2", "microsoft", "free").show_as == "free"
    assert _meeting(cals, "U2", "microsoft", "away").show_as == "working_elsewhere"
    assert _meeting(cals, "U2", "microsoft", "no").declined
    coffee = _meeting(cals, "U2", "microsoft", "coffee")
    assert coffee.rooms == ["Room 4"] and [a.is_self for a in coffee.attendees] == [True, False]
    assert coffee.meeting_type == "one_on_one"


def test_ics_transparency_rooms_declines_and_missing_ends(cals: Calendars, tmp_path: Path) -> None:
    stamp = "DTSTAMP:20260101T000000Z"
    path = tmp_path / "cal.ics"
    path.write_bytes(
        ics(
            f"UID:free@t\n{stamp}\nSUMMARY:Hold\nTRANSP:TRANSPARENT\nDTSTART:20260304T150000Z\nDTEND:20260304T160000Z",
            f"UID:oof@t\n{stamp}\nSUMMARY:Away\nX-MICROSOFT-CDO-BUSYSTATUS:OOF\nDTSTART:20260304T150000Z\n"
            "DTEND:20260304T160000Z",
            f"UID:coffee@t\n{stamp}\nSUMMARY:Coffee with Jo\nDTSTART:20260304T150000Z\nDTEND:20260304T160000Z\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:jo@example.com\n"
            "ATTENDEE;CUTYPE=ROOM;CN=Room 4:mailto:r4@example.com",
            f"UID:no@t\n{stamp}\nSUMMARY:Vendor pitch\nDTSTART:20260304T150000Z\nDTEND:20260304T160000Z\n"
            "ATTENDEE;PARTSTAT=DECLINED:mailto:ME@example.com\nATTENDEE:mailto:jo@example.com",
            f"UID:noend@t\n{stamp}\nSUMMARY:Standup\nDTSTART:20260304T150000Z",
            f"UID:noendday@t\n{stamp}\nSUMMARY:Offsite\nDTSTART;VALUE=DATE:20260305",
        )
    )
    cals.crewbot.records.users.get_or_create("U3", email="me@example.com")
    cals.connect("U3", "ics", source=str(path))
    assert cals.sync("U3").errors == []
    assert _meeting(cals, "U3", "ics", "free@t").show_as == "free"
    assert _meeting(cals, "U3", "ics", "oof@t").kind == "out_of_office"
    coffee = _meeting(cals, "U3", "ics", "coffee@t")
    assert coffee.rooms == ["Room 4"] and [a.is_self for a in coffee.attendees] == [True, False]
    assert coffee.meeting_type == "one_on_one"
    assert _meeting(cals, "U3", "ics", "no@t").declined and not coffee.declined
    # No end: a timed event gets the default length, a date one day; the display shows that span.
    standup = _meeting(cals, "U3", "ics", "noend@t")
    assert standup.end - standup.start == DEFAULT_DURATION == timedelta(minutes=30)
    view = {"start": format_time(standup.start), "end": format_time(standup.end), "timezone": standup.timezone}
    assert "15:00-15:30" in notify.when_text(view, "UTC")  # was 15:00-15:00 next to a 15-minute agenda
    offsite = _meeting(cals, "U3", "ics", "noendday@t")
    assert offsite.all_day and offsite.end - offsite.start == timedelta(days=1)
