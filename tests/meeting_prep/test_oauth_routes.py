"""Connecting a calendar from Slack: ``/prep connect google`` DMs a consent link; the callback is served
locally (the callback server ``crewbot dev`` starts on 127.0.0.1) and by the Slack Lambda
(``GET /oauth/google/callback`` through ``bot.entrypoints.slack.handler``); states work once."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from googleapiclient.http import HttpMockSequence

from bot import hookimpl
from bot.calendars.connections import ConnectionRepository
from bot.emulator.payloads import LambdaContext
from bot.entrypoints import slack as lambda_handler
from plugins.calendar_google import TOKEN_URL, GoogleCalendarProvider

from .conftest import PREP_PLUGINS

RECORDED = Path(__file__).parent / "fixtures" / "google"
CLIENT = json.dumps({"client_id": "cid", "client_secret": "csecret"})


@pytest.fixture
def emulator(crewbot_emulator_factory: Any, tmp_path: Path) -> Any:
    recorded = [({"status": "200"}, (RECORDED / "resync.json").read_text())]
    provider = GoogleCalendarProvider(http_factory=lambda token: HttpMockSequence(list(recorded)))

    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [provider]

    config = tmp_path / "crewbot.yaml"
    config.write_text(
        "project: crewbot\nenvironment: dev\nruntime: local\nplugins:\n  settings:\n"
        "    meeting_prep: {sample_calendar: null, local_oauth_port: 0}\n"
    )
    only = [p for p in PREP_PLUGINS if p != "calendar_google"]
    emulator = crewbot_emulator_factory(
        [
            ("google_recorded", SimpleNamespace(register_calendar_providers=register_calendar_providers)),
        ],
        only=only,
        config_file=config,
        environ={"GOOGLE_OAUTH_CLIENT": CLIENT},
    )
    return emulator


def _consent_link(emulator: Any) -> str:
    emulator.play("""
        /prep connect google
        expect I sent you a link in a DM to connect Google Calendar
    """)
    texts = [c.args.get("text", "") for c in emulator.fake.calls_to("chat.postMessage")]
    link = next(t for t in texts if "Connect your Google Calendar" in t)
    return re.search(r"https://accounts\.google\.com/\S+", link).group(0)  # type: ignore[union-attr]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@responses.activate
def test_local_callback_server_connects_the_calendar_once(emulator: Any) -> None:
    responses.post(TOKEN_URL, json={"access_token": "at", "refresh_token": "rt", "expires_in": 3600})
    query = parse_qs(urlsplit(_consent_link(emulator)).query)
    redirect, state = query["redirect_uri"][0], query["state"][0]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/oauth/google/callback", redirect)

    status, page = _get(redirect + "?" + urlencode({"state": state, "code": "the-code"}))
    assert status == 200 and "Your Google Calendar is connected" in page
    connection = ConnectionRepository(emulator.crewbot).get("UDEV", "google")
    assert connection is not None and connection.cursor == "sync-3"  # synced right away
    dms = [c.args.get("text", "") for c in emulator.fake.calls_to("chat.postMessage")]
    assert any("Google Calendar is connected" in t and "Calendar synced: 1 events read" in t for t in dms)

    status, page = _get(redirect + "?" + urlencode({"state": state, "code": "the-code"}))
    assert status == 400 and "already used" in page
    assert _get(redirect.replace("/oauth/google/callback", "/nothing"))[0] == 404
    assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 1


@responses.activate
def test_the_slack_lambda_serves_the_callback(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lambda_handler, "_handler", emulator.request_handler)
    responses.post(TOKEN_URL, json={"access_token": "at", "refresh_token": "rt", "expires_in": 3600})
    state = parse_qs(urlsplit(_consent_link(emulator)).query)["state"][0]

    def event(params: dict[str, str]) -> dict[str, Any]:
        return {
            "version": "2.0",
            "rawPath": "/oauth/google/callback",
            "rawQueryString": urlencode(params),
            "queryStringParameters": params,
            "headers": {"host": "api.example.com"},
            "requestContext": {"http": {"method": "GET", "path": "/oauth/google/callback"}},
            "isBase64Encoded": False,
        }

    refused = lambda_handler.handler(event({"state": "x" * 43, "code": "c"}), None)
    assert refused["statusCode"] == 400 and "unknown, expired or already used" in refused["body"]
    answer = lambda_handler.handler(event({"state": state, "code": "c"}), None)
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"].startswith("text/html")
    assert ConnectionRepository(emulator.crewbot).get("UDEV", "google") is not None
    # Everything else still goes to Bolt, which refuses unsigned requests.
    unsigned = {
        **event({}),
        "rawPath": "/slack/events",
        "body": "{}",
        "requestContext": {"http": {"method": "POST", "path": "/slack/events"}},
    }
    assert lambda_handler.handler(unsigned, LambdaContext())["statusCode"] == 401
