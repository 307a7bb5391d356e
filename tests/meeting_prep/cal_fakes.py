"""Shared pieces of the calendar tests: a runtime with the three providers, recorded-style HTTP answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httplib2

from bot import hookimpl
from bot.calendars.connections import ConnectionRepository
from bot.clock import ManualClock
from bot.runtime import Crewbot, start
from plugins.calendar_google import GoogleCalendarProvider
from plugins.calendar_ics import IcsProvider
from plugins.calendar_microsoft import MicrosoftCalendarProvider
from plugins.meeting_prep.monitor import CalendarMonitor, MonitorOptions, UserCounts

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CLIENT = json.dumps({"client_id": "c", "client_secret": "s"})


class GoogleAnswers:
    """Google answers in order (status, JSON body, headers); remembers the request URIs and the waits."""

    def __init__(self) -> None:
        self.answers: list[tuple[Any, ...]] = []
        self.uris: list[str] = []
        self.sleeps: list[float] = []

    def http(self, token: str) -> Any:
        fake = self

        class Http:
            def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
                fake.uris.append(uri)
                status, body, *more = fake.answers.pop(0)
                headers = more[0] if more else {}
                info = {"status": str(status), "content-type": "application/json", **headers}
                return httplib2.Response(info), json.dumps(body).encode()

        return Http()


class Calendars:
    """A runtime with Google (answers from :class:`GoogleAnswers`), Microsoft (HTTP mocked by ``responses``)
    and ICS providers, on a manual clock."""

    def __init__(self, crewbot_home: Path, *, ics: IcsProvider | None = None) -> None:
        self.google = GoogleAnswers()
        self.graph_sleeps: list[float] = []
        google = GoogleCalendarProvider(http_factory=self.google.http, sleep=self.google.sleeps.append)
        microsoft = MicrosoftCalendarProvider(sleep=self.graph_sleeps.append)
        providers = [google, microsoft, ics or IcsProvider()]

        @hookimpl
        def register_calendar_providers() -> list[Any]:
            return providers

        self.crewbot: Crewbot = start(
            environ={
                "CREWBOT_HOME": str(crewbot_home),
                "CREWBOT_LOAD_PLUGINS": "calendars",
                "GOOGLE_OAUTH_CLIENT": CLIENT,
                "MICROSOFT_OAUTH_CLIENT": CLIENT,
            },
            extra_plugins=[("calendars", SimpleNamespace(register_calendar_providers=register_calendar_providers))],
            setup_logging=False,
        )
        self.crewbot.__dict__["clock"] = ManualClock(NOW)

    def connect(self, user_id: str, provider: str, *, source: str | None = None, account: str | None = None) -> None:
        self.crewbot.records.users.get_or_create(user_id)
        tokens = None
        if source is None:
            tokens = {"access_token": "at", "refresh_token": "rt", "expiry": (NOW + timedelta(days=60)).isoformat()}
        ConnectionRepository(self.crewbot).connect(user_id, provider, source=source, tokens=tokens, account=account)

    def sync(self, user_id: str) -> UserCounts:
        return CalendarMonitor(self.crewbot, MonitorOptions()).run([user_id]).users[0]


def calendars(crewbot_home: Path, **kwargs: Any) -> Iterator[Calendars]:
    made = Calendars(crewbot_home, **kwargs)
    yield made
    made.crewbot.close()


def ics(*events: str, head: str = "") -> bytes:
    """An iCalendar document of ``events`` (each the lines inside one VEVENT, joined by newlines)."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{head.strip()}\n{body}END:VCALENDAR\n"
    return text.replace("\n\n", "\n").replace("\n", "\r\n").encode()


def graph_event(event_id: str, subject: str, begin: datetime, **extra: Any) -> dict[str, Any]:
    """A Graph ``event`` as calendarView/delta returns it with ``Prefer: outlook.timezone="UTC"``."""
    return {
        "id": event_id,
        "changeKey": f"ck-{event_id}",
        "subject": subject,
        "start": {"dateTime": begin.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "end": {"dateTime": (begin + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "isAllDay": False,
        "isCancelled": False,
        "showAs": "busy",
        "attendees": [],
        **extra,
    }


def graph_page(*events: dict[str, Any], delta: str = "D1") -> dict[str, Any]:
    return {
        "value": list(events),
        "@odata.deltaLink": f"https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken={delta}",
    }


def google_page(*items: dict[str, Any], token: str = "sync-1", zone: str = "UTC") -> dict[str, Any]:
    return {"kind": "calendar#events", "timeZone": zone, "items": list(items), "nextSyncToken": token}
