"""The ICS provider: recurrence, exceptions, cancelled instances, all-day, floating and zoned times,
and fetching an https-style URL from a local HTTP server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.calendars.events import ProviderError
from plugins.calendar_ics import check_url, parse_calendar, read_source, sample_path

FIXTURES = Path(__file__).parent / "fixtures"
START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)


def _events() -> dict[str, Any]:
    return {e.external_id: e for e in parse_calendar((FIXTURES / "recurring.ics").read_bytes(), START, END)}


def test_recurring_instances_exceptions_and_cancellations() -> None:
    events = _events()
    weekly = {k: v for k, v in events.items() if k.startswith("weekly@test#")}
    # 4 occurrences; the EXDATE one is gone, the moved one keeps its original id, the cancelled one is reported.
    assert sorted(weekly) == [
        "weekly@test#20260302T140000Z",
        "weekly@test#20260316T130000Z",
        "weekly@test#20260323T130000Z",
    ]
    first = weekly["weekly@test#20260302T140000Z"]
    assert first.start == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert first.timezone == "America/New_York"
    assert [a.response for a in first.attendees] == ["accepted", "declined", "tentative"]
    assert first.attendees[2].optional and first.organizer == "ann@example.com"
    assert first.video_link == "https://zoom.us/j/123"
    moved = weekly["weekly@test#20260316T130000Z"]  # 09:00 EDT originally; moved to 14:00 EDT
    assert moved.title == "Leadership team weekly (moved)"
    assert moved.start == datetime(2026, 3, 16, 18, 0, tzinfo=UTC)
    assert weekly["weekly@test#20260323T130000Z"].status == "cancelled"


def test_all_day_floating_and_utc_times() -> None:
    events = _events()
    offsite = events["allday@test"]
    assert offsite.all_day and offsite.recurrence_id is None
    # All-day: midnight in the calendar's zone (X-WR-TIMEZONE Europe/Berlin), one day long.
    assert offsite.start == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
    assert (offsite.end - offsite.start).days == 1  # type: ignore[operator]
    floating = events["floating@test"]
    assert floating.start == datetime(2026, 3, 5, 8, 30, tzinfo=UTC)  # 09:30 Berlin (CET)
    assert events["utc@test"].start == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def test_floating_times_use_the_users_zone_without_a_calendar_zone() -> None:
    data = (FIXTURES / "recurring.ics").read_bytes().replace(b"X-WR-TIMEZONE:Europe/Berlin\n", b"")
    events = {e.external_id: e for e in parse_calendar(data, START, END, default_zone="Asia/Tokyo")}
    assert events["floating@test"].start == datetime(2026, 3, 5, 0, 30, tzinfo=UTC)


def test_invalid_calendar_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="not an iCalendar"):
        parse_calendar(b"this is not a calendar", START, END)


def test_sample_calendar_always_has_upcoming_meetings_of_several_types() -> None:
    from datetime import timedelta

    from plugins.meeting_prep.classify import classify, load_meeting_types

    now = datetime.now(UTC)
    events = parse_calendar(sample_path().read_bytes(), now, now + timedelta(days=14))
    types = load_meeting_types()
    kinds = {classify(types, e.title, e.description, len(e.attendees)).meeting_type for e in events}
    assert {"leadership_meeting", "one_on_one", "staff_meeting", "incident_review", "default"} <= kinds


def test_urls_must_be_https_except_on_localhost() -> None:
    assert check_url("webcal://example.com/cal.ics") == "https://example.com/cal.ics"
    assert check_url("http://127.0.0.1:9/cal.ics")
    with pytest.raises(ValueError, match="https"):
        check_url("http://example.com/cal.ics")
    with pytest.raises(ValueError, match="https"):
        check_url("file:///etc/passwd")


def test_fetches_a_calendar_url_from_a_local_server() -> None:
    body = (FIXTURES / "recurring.ics").read_bytes()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            status = 200 if self.path == "/cal.ics" else 404
            self.send_response(status)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            if status == 200:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert read_source(url + "/cal.ics") == body
        with pytest.raises(ProviderError, match="could not fetch"):
            read_source(url + "/missing.ics")
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["/cal.ics", "/missing.ics"]
