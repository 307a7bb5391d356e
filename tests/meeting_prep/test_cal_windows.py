"""Moving windows: a meeting that exists (or is created) far ahead is stored and prepared once it enters the
look-ahead, for Google (sync tokens), Microsoft Graph (calendarView delta) and ICS, over simulated days.

The Google and Graph servers here answer like the real APIs do for these requests: a full listing returns the
events of its window and a cursor; Google's sync token then reports every change, wherever it lies in time,
while a Graph delta link reports only changes inside the window it was started for. Every run must cost one
provider request per user.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httplib2
import pytest
import responses

from bot import hookimpl
from bot.calendars.connections import ConnectionRepository
from bot.clock import ManualClock
from bot.events import EventHandler
from bot.runtime import Crewbot, start
from plugins.calendar_google import GoogleCalendarProvider
from plugins.calendar_microsoft import GRAPH, MicrosoftCalendarProvider
from plugins.meeting_prep.monitor import PREP_EVENT, CalendarMonitor, MonitorOptions, meeting_id_for

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAYS = 26


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGoogle:
    """Google Calendar's events.list for one calendar: full listings by timeMin/timeMax, changes by sync token."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, int] = {}
        self.seq = 0
        self.queries: list[dict[str, list[str]]] = []

    def put(self, event_id: str, title: str, begin: datetime) -> None:
        self.seq += 1
        self.events[event_id] = {
            "id": event_id,
            "etag": f'"{self.seq}"',
            "status": "confirmed",
            "summary": title,
            "start": {"dateTime": _z(begin)},
            "end": {"dateTime": _z(begin + timedelta(hours=1))},
            "attendees": [{"email": f"p{i}@example.com", "responseStatus": "accepted"} for i in range(3)],
        }
        self.changed[event_id] = self.seq

    def http(self, token: str) -> Any:
        fake = self

        class Http:
            def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
                query = parse_qs(urlsplit(uri).query)
                fake.queries.append(query)
                if "syncToken" in query:
                    since = int(query["syncToken"][0].removeprefix("tok-"))
                    items = [e for i, e in fake.events.items() if fake.changed[i] > since]
                else:
                    low, high = (
                        datetime.fromisoformat(query[k][0].replace("Z", "+00:00")) for k in ("timeMin", "timeMax")
                    )
                    items = [
                        e
                        for e in fake.events.values()
                        if low < datetime.fromisoformat(e["end"]["dateTime"].replace("Z", "+00:00"))
                        and datetime.fromisoformat(e["start"]["dateTime"].replace("Z", "+00:00")) < high
                    ]
                body = {
                    "kind": "calendar#events",
                    "timeZone": "UTC",
                    "items": items,
                    "nextSyncToken": f"tok-{fake.seq}",
                }
                return httplib2.Response({"status": "200", "content-type": "application/json"}), json.dumps(
                    body
                ).encode()

        return Http()


class FakeGraph:
    """Graph's calendarView/delta: a delta link reports changes only inside the window it was started for."""

    URL = re.compile(re.escape(GRAPH + "/me/calendarView/delta") + r".*")

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, int] = {}
        self.seq = 0
        self.urls: list[str] = []

    def put(self, event_id: str, title: str, begin: datetime) -> None:
        self.seq += 1
        self.events[event_id] = {
            "id": event_id,
            "changeKey": f"ck-{self.seq}",
            "subject": title,
            "start": {"dateTime": begin.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            "end": {"dateTime": (begin + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
            "originalStartTimeZone": "W. Europe Standard Time",
            "isAllDay": False,
            "isCancelled": False,
            "attendees": [
                {"type": "required", "status": {"response": "accepted"}, "emailAddress": {"address": f"p{i}@x.com"}}
                for i in range(3)
            ],
        }
        self.changed[event_id] = self.seq

    def _in(self, event: dict[str, Any], low: datetime, high: datetime) -> bool:
        begin = datetime.fromisoformat(event["start"]["dateTime"][:19]).replace(tzinfo=UTC)
        return low <= begin < high

    def callback(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.urls.append(request.url)
        query = parse_qs(urlsplit(request.url).query)
        if "$deltatoken" in query:
            low_text, high_text, since_text = query["$deltatoken"][0].split("_")
            low, high, since = datetime.fromisoformat(low_text), datetime.fromisoformat(high_text), int(since_text)
            items = [e for i, e in self.events.items() if self.changed[i] > since and self._in(e, low, high)]
        else:
            low, high = (
                datetime.fromisoformat(query[k][0].replace("Z", "+00:00")) for k in ("startDateTime", "endDateTime")
            )
            items = [e for e in self.events.values() if self._in(e, low, high)]
        token = f"{low.isoformat()}_{high.isoformat()}_{self.seq}".replace("+", "%2B")
        body = {"value": items, "@odata.deltaLink": GRAPH + f"/me/calendarView/delta?$deltatoken={token}"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def world(crewbot_home: Path) -> Iterator[tuple[Crewbot, FakeGoogle, FakeGraph, list[dict[str, Any]]]]:
    google, graph, published = FakeGoogle(), FakeGraph(), []

    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [GoogleCalendarProvider(http_factory=google.http), MicrosoftCalendarProvider()]

    @hookimpl
    def register_event_handlers() -> list[EventHandler]:
        return [EventHandler("record", {"detail-type": [PREP_EVENT]}, lambda e: published.append(e.detail))]

    probe = SimpleNamespace(
        register_calendar_providers=register_calendar_providers, register_event_handlers=register_event_handlers
    )
    crewbot = start(
        environ={
            "CREWBOT_HOME": str(crewbot_home),
            "CREWBOT_LOAD_PLUGINS": "calendar_ics,probe",
            "GOOGLE_OAUTH_CLIENT": json.dumps({"client_id": "c", "client_secret": "s"}),
            "MICROSOFT_OAUTH_CLIENT": json.dumps({"client_id": "c", "client_secret": "s"}),
        },
        extra_plugins=[("probe", probe)],
        setup_logging=False,
    )
    crewbot.__dict__["clock"] = ManualClock(NOW)
    yield crewbot, google, graph, published
    crewbot.close()


def _connect(crewbot: Crewbot, user_id: str, provider: str) -> None:
    crewbot.records.users.get_or_create(user_id)
    # A long-lived access token: no refresh in these runs, so each run is exactly its calendar requests.
    tokens = {"access_token": "at", "refresh_token": "rt", "expiry": (NOW + timedelta(days=60)).isoformat()}
    ConnectionRepository(crewbot).connect(user_id, provider, tokens=tokens)


def _days(
    crewbot: Crewbot, user_id: str, provider: str, create: Any, calls: Any, published: list[dict[str, Any]]
) -> dict[str, Any]:
    """Run the monitor once a day; return, per meeting title, the day it was first stored and first announced."""
    seen: dict[str, Any] = {"stored": {}, "announced": {}, "calls": []}
    for day in range(DAYS):
        crewbot.clock.advance(NOW + timedelta(days=day) - crewbot.clock.now())
        create(day)
        before = calls() if calls else 0
        counts = CalendarMonitor(crewbot, MonitorOptions()).run([user_id]).users[0]
        assert counts.errors == []
        seen["calls"].append(calls() - before if calls else counts.provider_calls)
        assert counts.provider_calls == seen["calls"][-1]
        for meeting in crewbot.records.meetings.for_user(user_id):
            seen["stored"].setdefault(meeting.title, day)
        for detail in published:
            announced = crewbot.records.meetings.get(detail["meeting_id"])
            assert announced is not None
            seen["announced"].setdefault(announced.title, day)
    return seen


def _check(seen: dict[str, Any]) -> None:
    # "Planning" (25 days out at the start) enters the 14-day look-ahead on day 11; "Offsite" (created on day 3,
    # 30 days out) on day 19. Each is stored by then and announced before it starts (default prep: 24 h ahead).
    assert seen["stored"]["Planning"] <= 11
    assert seen["stored"]["Offsite"] <= 19
    assert seen["announced"]["Planning"] == 24
    assert "Offsite" not in seen["announced"]  # its prep time (day 32) is after the simulated days
    assert seen["calls"] == [1] * DAYS  # one provider request per run, re-listings included


def test_google_meetings_far_ahead_are_stored_and_prepared_when_they_enter_the_window(world: Any) -> None:
    crewbot, google, _, published = world
    google.put("near", "Weekly sync", NOW + timedelta(days=2))
    google.put("far", "Planning", NOW + timedelta(days=25))
    _connect(crewbot, "U1", "google")

    def create(day: int) -> None:
        if day == 3:
            google.put("later", "Offsite", NOW + timedelta(days=33))

    seen = _days(crewbot, "U1", "google", create, lambda: len(google.queries), published)
    _check(seen)
    full = [q for q in google.queries if "syncToken" not in q]
    # A full listing sends timeMax (a week beyond the look-ahead); the sync token is used in between.
    assert all(q["timeMax"][0] > q["timeMin"][0] for q in full)
    assert full[0]["timeMax"] == [_z(NOW + timedelta(days=21))]
    assert 3 <= len(full) <= 5 and len(google.queries) - len(full) >= DAYS - 5


@responses.activate
def test_microsoft_delta_is_rebased_when_the_window_moves(world: Any) -> None:
    crewbot, _, graph, published = world
    responses.add_callback(responses.GET, FakeGraph.URL, callback=graph.callback)
    graph.put("near", "Weekly sync", NOW + timedelta(days=2))
    graph.put("far", "Planning", NOW + timedelta(days=25))
    _connect(crewbot, "U2", "microsoft")

    def create(day: int) -> None:
        if day == 3:
            graph.put("later", "Offsite", NOW + timedelta(days=33))

    seen = _days(crewbot, "U2", "microsoft", create, lambda: len(graph.urls), published)
    _check(seen)
    full = [u for u in graph.urls if "$deltatoken" not in u]
    assert 3 <= len(full) <= 5 and len(graph.urls) - len(full) >= DAYS - 5
    connection = ConnectionRepository(crewbot).get("U2", "microsoft")
    assert connection is not None and connection.window_end is not None
    # The stored window end is the listed window's, not rewritten on every delta sync.
    assert connection.window_end >= crewbot.clock.now() + timedelta(days=14)
    meeting = crewbot.records.meetings.get(meeting_id_for("U2", "microsoft", "far"))
    assert meeting is not None and meeting.timezone == "Europe/Berlin"


def test_ics_meetings_far_ahead_enter_the_window(world: Any, tmp_path: Path) -> None:
    crewbot, _, _, published = world
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN"]
    for uid, title, days in (("near@t", "Weekly sync", 2), ("far@t", "Planning", 25), ("later@t", "Offsite", 33)):
        begin = NOW + timedelta(days=days)
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{begin:%Y%m%dT%H%M%SZ}",
            f"DTEND:{begin + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{title}",
            *(f"ATTENDEE:mailto:p{i}@example.com" for i in range(3)),
            "END:VEVENT",
        ]
    path = tmp_path / "cal.ics"
    path.write_text("\r\n".join([*lines, "END:VCALENDAR", ""]))
    crewbot.records.users.get_or_create("U3")
    ConnectionRepository(crewbot).connect("U3", "ics", source=str(path))
    seen = _days(crewbot, "U3", "ics", lambda day: None, None, published)
    assert seen["stored"]["Planning"] <= 11 and seen["stored"]["Offsite"] <= 19
    assert seen["announced"]["Planning"] == 24
    assert seen["calls"] == [1] * DAYS
