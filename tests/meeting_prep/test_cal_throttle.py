"""Rate limits as Google and Microsoft document them: 403 rateLimitExceeded / userRateLimitExceeded, 429 and
5xx retried briefly; Retry-After in seconds or as an HTTP date; a longer wait becomes ProviderThrottled,
which the per-user sync reports as ``retry_after`` instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import responses

from bot.calendars.throttle import retry_after
from plugins.meeting_prep.monitor import meeting_id_for

from .cal_fakes import NOW, Calendars, calendars, google_page, graph_event, graph_page, ics

DELTA = "https://graph.microsoft.com/v1.0/me/calendarView/delta"
EVENT = {
    "id": "e1",
    "status": "confirmed",
    "summary": "Sync",
    "start": {"dateTime": "2026-03-03T10:00:00Z"},
    "end": {"dateTime": "2026-03-03T11:00:00Z"},
}


def _google_error(reason: str, status: int = 403) -> dict[str, object]:
    return {"error": {"code": status, "message": reason, "errors": [{"domain": "usageLimits", "reason": reason}]}}


@pytest.fixture
def cals(crewbot_home: Path) -> Iterator[Calendars]:
    yield from calendars(crewbot_home)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0
    assert retry_after("soon", now) is None and retry_after(None, now) is None


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_google_403_rate_limits_are_retried(cals: Calendars, reason: str) -> None:
    cals.google.answers = [(403, _google_error(reason)), (200, google_page(EVENT))]
    cals.connect("U1", "google")
    counts = cals.sync("U1")
    assert (counts.errors, counts.new, counts.retry_after) == ([], 1, None)
    assert cals.google.sleeps == [1.0] and len(cals.google.uris) == 2


def test_google_403_that_is_not_a_rate_limit_is_not_retried(cals: Calendars) -> None:
    cals.google.answers = [(403, _google_error("forbidden"))]
    cals.connect("U1", "google")
    counts = cals.sync("U1")
    assert counts.errors == ["Google Calendar: Google Calendar answered HTTP 403 when reading the calendar"]
    assert cals.google.sleeps == [] and counts.retry_after is None


def test_a_long_retry_after_is_left_to_the_queue_not_slept(cals: Calendars, tmp_path: Path) -> None:
    cals.google.answers = [(429, _google_error("rateLimitExceeded", 429), {"retry-after": "120"})]
    cals.connect("U1", "google")
    path = tmp_path / "c.ics"
    path.write_bytes(
        ics("UID:x@t\nDTSTAMP:20260101T000000Z\nSUMMARY:Lunch\nDTSTART:20260303T120000Z\nDTEND:20260303T130000Z")
    )
    cals.connect("U1", "ics", source=str(path))
    counts = cals.sync("U1")
    assert cals.google.sleeps == [] and counts.retry_after == 120.0
    assert counts.errors == [
        "Google Calendar: Google Calendar is limiting requests (HTTP 429); the calendar is synced again in about 120 s"
    ]
    # The user's other calendar still synced.
    assert cals.crewbot.records.meetings.get(meeting_id_for("U1", "ics", "x@t")) is not None


@responses.activate
def test_graph_retry_after_as_an_http_date(cals: Calendars) -> None:
    when = format_datetime(NOW + timedelta(seconds=3), usegmt=True)
    responses.get(DELTA, status=429, headers={"Retry-After": when}, json={"error": {"code": "TooManyRequests"}})
    responses.get(DELTA, json=graph_page(graph_event("g1", "Sync", NOW + timedelta(days=1))))
    cals.connect("U2", "microsoft")
    counts = cals.sync("U2")
    assert (counts.errors, counts.new) == ([], 1)  # was: ValueError from float("Mon, 02 Mar ...")
    assert cals.graph_sleeps == [3.0]


@responses.activate
def test_graph_that_keeps_failing_is_retried_a_bounded_number_of_times(cals: Calendars) -> None:
    for _ in range(5):
        responses.get(DELTA, status=503, json={"error": {"code": "ServiceUnavailable"}})
    cals.connect("U2", "microsoft")
    counts = cals.sync("U2")
    assert cals.graph_sleeps == [1.0, 2.0] and len(responses.calls) == 3
    assert counts.retry_after == 30.0
    assert counts.errors == [
        "Microsoft 365 calendar: Microsoft 365 is not answering (HTTP 503); the calendar is synced again in about 30 s"
    ]
