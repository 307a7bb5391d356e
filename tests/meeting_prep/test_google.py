"""Google Calendar against recorded API responses: paging, 429 retried with backoff, incremental sync with
sync tokens, 410 → full resync, automatic token refresh, and the OAuth authorization-code flow."""

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
from googleapiclient.http import HttpMockSequence

from bot import hookimpl
from bot.calendars.connections import ConnectionRepository
from bot.clock import ManualClock
from bot.runtime import Crewbot, start
from plugins.calendar_google import TOKEN_URL, GoogleCalendarProvider
from plugins.meeting_prep.monitor import CalendarMonitor, MonitorOptions, meeting_id_for
from plugins.meeting_prep.oauth import complete_authorization, start_authorization

RECORDED = Path(__file__).parent / "fixtures" / "google"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CLIENT = json.dumps({"client_id": "cid.apps.googleusercontent.com", "client_secret": "csecret"})


def recorded(name: str, status: int = 200) -> tuple[dict[str, str], str]:
    return {"status": str(status), "content-type": "application/json"}, (RECORDED / f"{name}.json").read_text()


class RecordingHttp(HttpMockSequence):
    """Recorded responses in order; remembers each request's URI and the token it was made with."""

    def __init__(self, answers: list[tuple[dict[str, str], str]], log: list[tuple[str, str]], token: str):
        super().__init__(answers)
        self.log, self.token = log, token

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = 1,
        connection_type: Any = None,
    ) -> Any:
        self.log.append((self.token, uri))
        return super().request(uri, method, body, headers, redirections, connection_type)


class Harness:
    def __init__(self) -> None:
        self.answers: list[tuple[dict[str, str], str]] = []
        self.requests: list[tuple[str, str]] = []
        self.sleeps: list[float] = []
        self.provider = GoogleCalendarProvider(http_factory=self.http, sleep=self.sleeps.append)

    def http(self, token: str) -> RecordingHttp:
        answers, self.answers = self.answers, []
        return RecordingHttp(answers, self.requests, token)

    def queries(self) -> list[dict[str, list[str]]]:
        found, self.requests = [parse_qs(urlsplit(uri).query) for _, uri in self.requests], []
        return found


@pytest.fixture
def google(crewbot_home: Path) -> Iterator[tuple[Crewbot, Harness]]:
    harness = Harness()

    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [harness.provider]

    crewbot = start(
        environ={
            "CREWBOT_HOME": str(crewbot_home),
            "CREWBOT_LOAD_PLUGINS": "fake_google",
            "GOOGLE_OAUTH_CLIENT": CLIENT,
        },
        extra_plugins=[("fake_google", SimpleNamespace(register_calendar_providers=register_calendar_providers))],
        setup_logging=False,
    )
    crewbot.__dict__["clock"] = ManualClock(NOW)
    crewbot.records.users.get_or_create("U1")
    yield crewbot, harness
    crewbot.close()


def _form(body: Any) -> dict[str, list[str]]:
    return parse_qs(body.decode() if isinstance(body, bytes) else str(body))


def _connect(crewbot: Crewbot, expiry: datetime) -> None:
    ConnectionRepository(crewbot).connect(
        "U1", "google", tokens={"access_token": "at-1", "refresh_token": "rt-1", "expiry": expiry.isoformat()}
    )


def _sync(crewbot: Crewbot) -> Any:
    return CalendarMonitor(crewbot, MonitorOptions()).run(["U1"]).users[0]


def test_full_then_incremental_then_410_resync(google: tuple[Crewbot, Harness]) -> None:
    crewbot, harness = google
    _connect(crewbot, NOW + timedelta(hours=1))
    meetings = crewbot.records.meetings

    # 1. Full sync: a 429 first (retried after a backoff), then two pages.
    harness.answers = [recorded("rate_limited_429", 429), recorded("full_page1"), recorded("full_page2")]
    counts = _sync(crewbot)
    assert (counts.fetched, counts.new, counts.errors) == (3, 3, [])
    assert harness.sleeps == [1.0]
    first, retried, second = harness.queries()
    assert first == retried and first["timeMin"] == ["2026-03-01T12:00:00Z"] and "syncToken" not in first
    assert first["singleEvents"] == ["true"] and second["pageToken"] == ["page-2"]
    connection = ConnectionRepository(crewbot).get("U1", "google")
    assert connection is not None and connection.cursor == "sync-1"

    one = meetings.get(meeting_id_for("U1", "google", "evt1on1"))
    assert one is not None and one.meeting_type == "one_on_one" and one.timezone == "Europe/Berlin"
    assert one.start == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert [a.response for a in one.attendees] == ["accepted", "needs_action"]
    assert one.video_link == "https://meet.google.com/aaa-bbbb-ccc"
    offsite = meetings.get(meeting_id_for("U1", "google", "evtallday"))
    assert offsite is not None and offsite.all_day and offsite.start == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
    vendor = meetings.get(meeting_id_for("U1", "google", "weekly_20260305T080000Z"))
    assert vendor is not None and vendor.recurrence_id == "2026-03-05T09:00:00+01:00"
    assert vendor.video_link == "https://meet.google.com/ddd-eeee-fff" and vendor.attendees[3].optional

    # 2. Incremental: only the changes since sync-1 (the 1:1 moved, one recurring instance cancelled).
    harness.answers = [recorded("delta")]
    counts = _sync(crewbot)
    assert (counts.fetched, counts.moved, counts.cancelled, counts.new) == (2, 1, 1, 0)
    (query,) = harness.queries()
    assert query["syncToken"] == ["sync-1"] and "timeMin" not in query
    assert meetings.get(one.meeting_id).start == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # type: ignore[union-attr]
    assert meetings.get(vendor.meeting_id).status == "cancelled"  # type: ignore[union-attr]
    assert meetings.get(offsite.meeting_id).status == "confirmed"  # type: ignore[union-attr]  # untouched by a delta

    # 3. The sync token expired: 410 Gone → a full listing, whose absentees are cancelled.
    harness.answers = [recorded("gone_410", 410), recorded("resync")]
    counts = _sync(crewbot)
    old, full = harness.queries()
    assert old["syncToken"] == ["sync-2"] and "syncToken" not in full and "timeMin" in full
    assert counts.cancelled == 1  # the 1:1 is not in the full listing any more
    assert meetings.get(one.meeting_id).status == "cancelled"  # type: ignore[union-attr]
    assert ConnectionRepository(crewbot).get("U1", "google").cursor == "sync-3"  # type: ignore[union-attr]


@responses.activate
def test_expired_access_token_is_refreshed_and_stored_encrypted(google: tuple[Crewbot, Harness]) -> None:
    crewbot, harness = google
    _connect(crewbot, NOW - timedelta(minutes=5))
    responses.post(TOKEN_URL, json={"access_token": "at-2", "expires_in": 3600, "token_type": "Bearer"})
    harness.answers = [recorded("resync")]
    assert _sync(crewbot).errors == []
    assert harness.requests[0][0] == "at-2"
    body = _form(responses.calls[0].request.body)
    assert body["grant_type"] == ["refresh_token"] and body["refresh_token"] == ["rt-1"]
    repo = ConnectionRepository(crewbot)
    connection = repo.get("U1", "google")
    assert connection is not None
    assert repo.tokens(connection)["access_token"] == "at-2"
    stored = json.dumps(crewbot.store.table("calendar_connections").get({"user_id": "U1", "provider": "google"}))
    assert "at-2" not in stored and "rt-1" not in stored  # encrypted at rest


@responses.activate
def test_revoked_refresh_token_asks_the_user_to_reconnect(google: tuple[Crewbot, Harness]) -> None:
    crewbot, _ = google
    _connect(crewbot, NOW - timedelta(minutes=5))
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "Token revoked."})
    told: list[tuple[str, str, str]] = []
    options = MonitorOptions(on_reauthorization=lambda *args: told.append(args))
    counts = CalendarMonitor(crewbot, options).run(["U1"]).users[0]
    assert counts.errors and "run /prep connect google" in counts.errors[0]
    assert ConnectionRepository(crewbot).get("U1", "google").status == "needs_reauthorization"  # type: ignore[union-attr]
    CalendarMonitor(crewbot, options).run(["U1"])
    assert len(told) == 1 and told[0][:2] == ("U1", "google")  # told once, not on every run


@responses.activate
def test_oauth_code_flow_with_single_use_expiring_state(google: tuple[Crewbot, Harness]) -> None:
    crewbot, harness = google
    url = start_authorization(crewbot, "U1", harness.provider, "https://api.example.com")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert query["redirect_uri"] == ["https://api.example.com/oauth/google/callback"]
    assert query["access_type"] == ["offline"] and query["client_id"] == ["cid.apps.googleusercontent.com"]
    state = query["state"][0]
    assert len(state) >= 40
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "at-9",
            "refresh_token": "rt-9",
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/calendar.readonly",
        },
    )

    assert not complete_authorization(crewbot, "google", {"state": "forged" * 8, "code": "c"}).ok
    outcome = complete_authorization(crewbot, "google", {"state": state, "code": "code-1"})
    assert outcome.ok and outcome.user_id == "U1"
    sent = _form(responses.calls[0].request.body)
    assert sent["code"] == ["code-1"] and sent["redirect_uri"] == ["https://api.example.com/oauth/google/callback"]
    repo = ConnectionRepository(crewbot)
    assert repo.tokens(repo.get("U1", "google"))["refresh_token"] == "rt-9"  # type: ignore[arg-type]
    again = complete_authorization(crewbot, "google", {"state": state, "code": "code-1"})
    assert not again.ok and "already used" in again.message

    # A state older than 10 minutes is refused.
    late = parse_qs(urlsplit(start_authorization(crewbot, "U1", harness.provider, "https://x")).query)["state"][0]
    crewbot.clock.advance(timedelta(minutes=11))
    expired = complete_authorization(crewbot, "google", {"state": late, "code": "c"})
    assert not expired.ok
    assert len(responses.calls) == 1  # no code exchange for refused states
