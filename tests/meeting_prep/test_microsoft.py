"""Microsoft 365 against recorded Graph responses (HTTP mocked with ``responses``): calendarView delta with
nextLink paging and a stored deltaLink, @removed deletions, 410 → full resync, 429 retried, msal OAuth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from bot import hookimpl
from bot.calendars.connections import ConnectionRepository
from bot.clock import ManualClock
from bot.runtime import Crewbot, start
from plugins.calendar_microsoft import GRAPH, MicrosoftCalendarProvider
from plugins.meeting_prep.monitor import CalendarMonitor, MonitorOptions, meeting_id_for
from plugins.meeting_prep.oauth import complete_authorization, start_authorization

RECORDED = Path(__file__).parent / "fixtures" / "graph"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DELTA = GRAPH + "/me/calendarView/delta"
LOGIN = "https://login.microsoftonline.com/common"


def body(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text())


@pytest.fixture
def graph(crewbot_home: Path) -> Iterator[tuple[Crewbot, MicrosoftCalendarProvider, list[float]]]:
    sleeps: list[float] = []
    provider = MicrosoftCalendarProvider(sleep=sleeps.append)

    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [provider]

    client = json.dumps({"client_id": "cid", "client_secret": "csecret"})
    crewbot = start(
        environ={
            "CREWBOT_HOME": str(crewbot_home),
            "CREWBOT_LOAD_PLUGINS": "fake_ms",
            "MICROSOFT_OAUTH_CLIENT": client,
        },
        extra_plugins=[("fake_ms", SimpleNamespace(register_calendar_providers=register_calendar_providers))],
        setup_logging=False,
    )
    crewbot.__dict__["clock"] = ManualClock(NOW)
    crewbot.records.users.get_or_create("U1")
    yield crewbot, provider, sleeps
    crewbot.close()


def _sync(crewbot: Crewbot) -> Any:
    return CalendarMonitor(crewbot, MonitorOptions()).run(["U1"]).users[0]


@responses.activate
def test_delta_paging_changes_and_resync(graph: Any) -> None:
    crewbot, _, sleeps = graph
    ConnectionRepository(crewbot).connect(
        "U1",
        "microsoft",
        tokens={"access_token": "at-1", "refresh_token": "rt-1", "expiry": (NOW + timedelta(hours=1)).isoformat()},
    )
    meetings = crewbot.records.meetings

    responses.get(DELTA, status=429, headers={"Retry-After": "2"}, json={"error": {"code": "TooManyRequests"}})
    responses.get(DELTA, json=body("delta_page1"))
    responses.get(DELTA, json=body("delta_page2"))
    counts = _sync(crewbot)
    assert (counts.fetched, counts.new, counts.errors) == (3, 3, [])
    assert sleeps == [2.0]  # Retry-After honoured
    first = responses.calls[0].request
    assert first.headers["Authorization"] == "Bearer at-1" and 'outlook.timezone="UTC"' in first.headers["Prefer"]
    query = parse_qs(urlsplit(first.url).query)
    assert query["startDateTime"] == ["2026-03-01T12:00:00Z"] and query["endDateTime"] == [
        "2026-03-23T12:00:00Z"
    ]  # a week beyond the look-ahead
    assert "$skiptoken=SKIP1" in responses.calls[2].request.url
    connection = ConnectionRepository(crewbot).get("U1", "microsoft")
    assert connection is not None and connection.cursor == DELTA + "?$deltatoken=DELTA1"

    lt = meetings.get(meeting_id_for("U1", "microsoft", "AAMk-lt"))
    assert lt is not None and lt.meeting_type == "leadership_meeting"
    assert lt.start == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert lt.video_link and lt.video_link.startswith("https://teams.microsoft.com/")
    assert [a.response for a in lt.attendees[:3]] == ["accepted", "tentative", "needs_action"]
    assert lt.attendees[0].optional
    holiday = meetings.get(meeting_id_for("U1", "microsoft", "AAMk-allday"))
    assert holiday is not None and holiday.all_day
    occurrence = meetings.get(meeting_id_for("U1", "microsoft", "AAMk-occ"))
    assert occurrence is not None and occurrence.recurrence_id == "2026-03-05T16:00:00Z"

    # Incremental: the stored delta link returns only the changes.
    responses.reset()
    responses.get(DELTA, json=body("delta_changes"))
    counts = _sync(crewbot)
    assert (counts.moved, counts.cancelled, counts.unchanged) == (1, 1, 0)
    assert "$deltatoken=DELTA1" in responses.calls[0].request.url
    assert meetings.get(occurrence.meeting_id).status == "cancelled"  # type: ignore[union-attr]
    assert meetings.get(holiday.meeting_id).status == "confirmed"  # type: ignore[union-attr]

    # The delta state expired: a full listing again.
    responses.reset()
    responses.get(DELTA, status=410, json=body("gone_410"))
    responses.get(DELTA, json=body("resync"))
    counts = _sync(crewbot)
    assert "$deltatoken=DELTA2" in responses.calls[0].request.url and "startDateTime" in responses.calls[1].request.url
    assert counts.cancelled == 1  # the leadership sync is not in the full listing
    assert ConnectionRepository(crewbot).get("U1", "microsoft").cursor.endswith("DELTA3")  # type: ignore[union-attr]


@responses.activate
def test_msal_authorization_code_flow_and_refresh(graph: Any) -> None:
    crewbot, provider, _ = graph
    responses.get(
        LOGIN + "/v2.0/.well-known/openid-configuration",
        json={
            "authorization_endpoint": LOGIN + "/oauth2/v2.0/authorize",
            "token_endpoint": LOGIN + "/oauth2/v2.0/token",
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
        },
    )
    url = start_authorization(crewbot, "U1", provider, "https://api.example.com/")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(LOGIN + "/oauth2/v2.0/authorize?")
    assert query["redirect_uri"] == ["https://api.example.com/oauth/microsoft/callback"]
    assert "Calendars.Read" in query["scope"][0] and "offline_access" in query["scope"][0]
    assert query["code_challenge_method"] == ["S256"]  # PKCE

    responses.post(
        LOGIN + "/oauth2/v2.0/token",
        json={
            "token_type": "Bearer",
            "access_token": "at-ms",
            "refresh_token": "rt-ms",
            "expires_in": 3600,
            "scope": "Calendars.Read User.Read",
        },
    )
    outcome = complete_authorization(crewbot, "microsoft", {"state": query["state"][0], "code": "the-code"})
    assert outcome.ok, outcome.message
    repo = ConnectionRepository(crewbot)
    connection = repo.get("U1", "microsoft")
    assert connection is not None and repo.tokens(connection)["refresh_token"] == "rt-ms"

    # Expired access token: refreshed through msal before the Graph call.
    repo.connect(
        "U1",
        "microsoft",
        tokens={"access_token": "old", "refresh_token": "rt-ms", "expiry": (NOW - timedelta(minutes=1)).isoformat()},
    )
    responses.replace(
        responses.POST,
        LOGIN + "/oauth2/v2.0/token",
        json={
            "token_type": "Bearer",
            "access_token": "at-new",
            "expires_in": 3600,
            "scope": "Calendars.Read User.Read",
        },
    )
    responses.get(DELTA, json=body("resync"))
    assert _sync(crewbot).errors == []
    graph_call = next(c for c in responses.calls if c.request.url.startswith(DELTA))
    assert graph_call.request.headers["Authorization"] == "Bearer at-new"
    refreshed = repo.tokens(repo.get("U1", "microsoft"))  # type: ignore[arg-type]
    assert refreshed["access_token"] == "at-new" and refreshed["refresh_token"] == "rt-ms"
