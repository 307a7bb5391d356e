"""Calendar providers are pluggable: ``/prep connect NAME``, its usage text and the OAuth callbacks come
from the registered providers; connecting a URL calendar says whether its first sync worked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl
from bot.calendars.connections import Connection, ConnectionRepository
from bot.calendars.events import CalendarEvent, ProviderError, SyncResult
from bot.httproutes import HttpRequest, dispatch


class DavProvider:
    """A third-party provider connected by URL."""

    name, label, connect_kind, uses_oauth, connect_hint = "caldav", "CalDAV calendar", "url", False, "caldav URL"

    def check_source(self, source: str) -> str:
        if not source.startswith("https://"):
            raise ValueError("a CalDAV address starts with https://")
        return source

    def sync(self, crewbot: Any, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        begin = crewbot.clock.now() + timedelta(days=2)
        event = CalendarEvent(external_id="dav-1", title="Roadmap review", start=begin, end=begin + timedelta(hours=1))
        return SyncResult(events=[event], requests=1)

    def authorization_url(self, *args: Any) -> str:
        raise ProviderError("no authorization")

    def complete_authorization(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ProviderError("no authorization")


class ZohoProvider(DavProvider):
    """A third-party provider connected through OAuth."""

    name, label, connect_kind, uses_oauth, connect_hint = "zoho", "Zoho Calendar", "oauth", True, "zoho"


@pytest.fixture
def emulator(prep_emulator_factory: Any) -> Any:
    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [DavProvider(), ZohoProvider()]

    return prep_emulator_factory(
        [("more_calendars", SimpleNamespace(register_calendar_providers=register_calendar_providers))]
    )


def test_connect_names_and_usage_come_from_the_registered_providers(emulator: Any) -> None:
    emulator.play("""
        /prep connect
        expect `/prep connect caldav URL`
        expect `/prep connect zoho`
        expect `/prep connect ics URL`
        /prep connect caldav http://dav.example.com/me
        expect Sorry: a CalDAV address starts with https://.
        /prep connect caldav https://dav.example.com/me
        expect CalDAV calendar connected. Calendar synced: 1 events read, 1 new
    """)
    connection = ConnectionRepository(emulator.crewbot).get("UDEV", "caldav")
    assert connection is not None and connection.source == "https://dav.example.com/me"
    assert "Roadmap review" in {m.title for m in emulator.crewbot.records.meetings.for_user("UDEV")}


def test_oauth_callbacks_exist_for_each_oauth_provider(emulator: Any) -> None:
    crewbot = emulator.crewbot
    query = {"state": "s" * 43, "code": "c"}
    for name in ("zoho", "google", "microsoft"):
        response = dispatch(crewbot, HttpRequest("GET", f"/oauth/{name}/callback", query))
        assert response is not None and response.status == 400  # the route exists; the state is unknown
        assert "unknown, expired or already used" in response.body
    for name in ("caldav", "ics", "nosuch"):  # URL providers and unknown names have no callback
        response = dispatch(crewbot, HttpRequest("GET", f"/oauth/{name}/callback", query))
        assert response is not None and response.status == 404


@pytest.fixture
def missing_feed() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<html>not here</html>")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/gone.ics"
    server.shutdown()
    server.server_close()


def test_connecting_an_ics_feed_says_when_the_first_sync_failed(emulator: Any, missing_feed: str) -> None:
    emulator.play(f"""
        /prep connect ics {missing_feed}
        expect I saved your ICS calendar, but its first sync did not work
        expect could not fetch the calendar: 127.0.0.1 answered HTTP 404
    """)
    connection = ConnectionRepository(emulator.crewbot).get("UDEV", "ics")
    assert connection is not None and connection.status == "error" and "HTTP 404" in (connection.last_error or "")
