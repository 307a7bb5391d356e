"""Behind CloudFront, the bot answers only requests carrying CloudFront's origin header (bot.slack.origin):
a call to the API's own URL, around the WAF, gets 403 and runs nothing; health checks and lazy
self-invocations, which are not HTTP requests, still work."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.emulator import Emulator
from bot.emulator.payloads import LambdaContext, lambda_event, sign
from bot.entrypoints import slack as lambda_handler
from bot.entrypoints.health import HEALTH_CHECK
from bot.logs import redact
from bot.slack import origin
from tests.slack.conftest import DemoPlugin

SECRET = "3f6c2a4e-origin-verify-9b1d"


@pytest.fixture
def entry(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """``bot.entrypoints.slack.handler`` routed to the emulator, lazy re-invocations included."""
    monkeypatch.setattr(lambda_handler, "_handler", emu.request_handler)
    return emu


def _echo(emu: Emulator, extra: dict[str, str], fmt: Any = "http_api") -> tuple[dict[str, Any], dict[str, Any]]:
    user = emu.current_user
    body, content_type = emu.payloads.slash_command(
        command="/echo",
        text="hi",
        user_id=user,
        user_name="dev",
        channel_id=emu.fake.dm_channel(user),
        channel_name="directmessage",
        response_url=emu.fake.new_response_url(emu.fake.dm_channel(user), user),
        trigger_id=emu.fake.new_trigger(user),
    )
    event = lambda_event(body, content_type, {**sign(emu.signing_secret, body), **extra}, fmt=fmt)
    response = lambda_handler.handler(event, LambdaContext())
    emu.wait()
    return event, response


def test_without_the_setting_nothing_is_checked(
    entry: Emulator, demo: DemoPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(origin.ENV, raising=False)
    _, response = _echo(entry, {})
    assert response["statusCode"] == 200
    assert [name for name, _ in demo.ran] == ["echo"]


@pytest.mark.parametrize("fmt", ["http_api", "rest_api"])
def test_a_request_through_cloudfront_is_served_and_its_lazy_listener_runs(
    entry: Emulator, demo: DemoPlugin, monkeypatch: pytest.MonkeyPatch, fmt: Any
) -> None:
    monkeypatch.setenv(origin.ENV, SECRET)
    lazy: list[dict[str, Any]] = []

    def self_invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # What Lambda hands the re-invoked function: Bolt's payload, built from the checked request.
        lazy.append(event)
        return lambda_handler.handler(event, context)

    entry.lambda_client.target = self_invoke
    event, response = _echo(entry, {origin.HEADER: SECRET}, fmt)
    assert response["statusCode"] == 200
    assert len(lazy) == 1 and lazy[0]["method"] == "NONE"
    # The value went no further than the check: the lazy run passed without it.
    assert SECRET not in repr(lazy[0]) and SECRET not in repr(event)
    assert [name for name, _ in demo.ran] == ["echo"]
    assert entry.fake.calls_to("response_url")[0].args["text"] == "echo: hi"


@pytest.mark.parametrize("sent", [None, "wrong-value-of-the-same-sort", ""])
def test_a_request_around_cloudfront_is_refused_before_anything_runs(
    entry: Emulator,
    demo: DemoPlugin,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    sent: str | None,
) -> None:
    monkeypatch.setenv(origin.ENV, SECRET)
    built: list[bool] = []
    monkeypatch.setattr(lambda_handler, "_request_handler", lambda: built.append(True))
    with caplog.at_level(logging.WARNING, logger=origin.__name__):
        _, response = _echo(entry, {} if sent is None else {origin.HEADER: sent})
    assert response == origin.FORBIDDEN
    assert response["statusCode"] == 403 and "CloudFront" in response["body"]
    assert built == [] and demo.ran == []
    assert entry.fake.calls_to("response_url") == []
    assert "did not come through CloudFront" in caplog.text and SECRET not in caplog.text


def test_the_health_check_needs_no_header(entry: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(origin.ENV, SECRET)
    answer = lambda_handler.handler(dict(HEALTH_CHECK), LambdaContext())
    assert answer["ok"] is True
    assert origin.refusal(dict(HEALTH_CHECK)) is None


@pytest.mark.parametrize("fmt", ["http_api", "function_url", "rest_api"])
def test_only_bolts_own_mark_exempts_an_http_request(fmt: Any) -> None:
    """Only ``"method": "NONE"`` marks a self-invocation: an HTTP event with anything else is checked."""
    environ = {origin.ENV: SECRET}
    event = lambda_event("{}", "application/json", {}, fmt=fmt)
    assert origin.refusal(event, environ) == origin.FORBIDDEN
    assert origin.refusal({**event, "method": "POST"}, environ) == origin.FORBIDDEN
    assert origin.refusal({**event, "headers": None}, environ) == origin.FORBIDDEN
    assert origin.refusal({**event, "method": "NONE"}, environ) is None
    assert origin.refusal(event, {}) is None


def test_the_value_is_redacted_from_logs_and_dropped_from_the_request() -> None:
    event = lambda_event("{}", "application/json", {}, fmt="rest_api")
    # A REST API passes header names as sent.
    event["headers"]["X-Crewbot-Origin-Verify"] = SECRET
    event["multiValueHeaders"]["X-Crewbot-Origin-Verify"] = [SECRET]
    headers = dict(event["headers"])
    assert origin.refusal(event, {origin.ENV: SECRET}) is None
    assert SECRET not in redact(f"headers: {headers}")
    assert SECRET not in repr(event)
    assert event["headers"]["content-type"] == "application/json"
