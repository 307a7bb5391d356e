"""/prep sub-commands: connecting an ICS feed (served by a local HTTP server), refusals and usage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.calendars.connections import ConnectionRepository


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[str]:
    start = datetime.now(UTC) + timedelta(hours=10)
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x@t\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\nSUMMARY:1:1 Ann / Dev\r\n"
        "ATTENDEE:mailto:a@example.com\r\nATTENDEE:mailto:d@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/team.ics"
    server.shutdown()
    server.server_close()


def test_connect_an_ics_feed(prep_emulator: Any, feed: str) -> None:
    prep_emulator.play(f"""
        /prep connect ics <{feed}>
        expect ICS calendar connected
        expect Calendar synced: 1 events read, 1 new
        expect Time to prepare: 1:1 Ann / Dev
    """)
    connection = ConnectionRepository(prep_emulator.crewbot).get("UDEV", "ics")
    assert connection is not None and connection.source == feed and connection.last_sync_at is not None
    # The connected feed replaces the sample calendar for this user.
    titles = {m.title for m in prep_emulator.crewbot.records.meetings.for_user("UDEV")}
    assert titles == {"1:1 Ann / Dev"}


def test_refusals_and_usage(prep_emulator: Any) -> None:
    prep_emulator.play("""
        /prep connect ics http://example.com/cal.ics
        expect must use https://
        /prep connect ics
        expect Usage: `/prep connect ics URL`
        /prep connect outlook
        expect `/prep connect google` or `/prep connect microsoft`, not `outlook`
        /prep connect google
        expect Sorry, I could not start connecting Google Calendar
        expect the secret google_oauth_client is not set
        /prep frobnicate
        expect I don't know `/prep frobnicate`
    """)
    assert ConnectionRepository(prep_emulator.crewbot).for_user("UDEV") == []
