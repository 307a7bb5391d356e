"""Bolt dispatches what the screen admitted: the signature is verified once (by the screen), the body is
parsed once (by the screen), and a request that is not signed, signed too long ago or changed after
signing is still refused with 401 — on the first delivery and on the function's own lazy
re-invocation. Bolt's own check still guards anything that did not come through the screen."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.emulator import Emulator
from bot.emulator.payloads import LambdaContext, lambda_event, sign
from bot.entrypoints import slack as lambda_handler
from bot.slack import guard
from tests.slack.conftest import DemoPlugin, RecordingConversations, echo_command

Kind = Callable[[Emulator], tuple[str, str]]


@pytest.fixture
def entry(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setattr(lambda_handler, "_handler", emu.request_handler)
    return emu


def _press(emu: Emulator) -> tuple[str, str]:
    user = emu.current_user
    dm = emu.fake.dm_channel(user)
    button = {"type": "button", "action_id": "vote_up", "value": "1", "text": {"type": "plain_text", "text": "V"}}
    return emu.payloads.block_actions(
        user_id=user,
        user_name="dev",
        action=button,
        block_id="decide",
        trigger_id=emu.fake.new_trigger(user),
        container={"type": "message", "message_ts": "1700000000.000100", "channel_id": dm},
        response_url=emu.fake.new_response_url(dm, user),
    )


def _dm(emu: Emulator) -> tuple[str, str]:
    user = emu.current_user
    message = {
        "type": "message",
        "channel_type": "im",
        "channel": emu.fake.dm_channel(user),
        "user": user,
        "text": "hello there",
        "ts": f"{time.time():.6f}",
    }
    return emu.payloads.event_callback(message)


KINDS: dict[str, Kind] = {"slash command": echo_command, "button press": _press, "DM": _dm}


def _send(emu: Emulator, event: dict[str, Any]) -> dict[str, Any]:
    response = lambda_handler.handler(event, LambdaContext())
    emu.wait()
    return response


def _tamper(body: str) -> str:
    """``body`` with one character changed where it still parses (the signature no longer matches)."""
    for old, new in (("hello there", "hello thera"), ("text=hi", "text=ho"), ("%22vote_up%22", "%22vote_uq%22")):
        if old in body:
            return body.replace(old, new, 1)
    raise AssertionError(f"nothing to tamper with in {body[:80]}")


def _ran(demo: DemoPlugin, conversations: RecordingConversations) -> list[str]:
    return demo.names() + [m.text for m in conversations.messages]


# -- one verification, one parse -----------------------------------------------------------------------


def test_each_invocation_is_verified_once_by_the_screen_and_parsed_once(
    entry: Emulator, demo: DemoPlugin, conversations: RecordingConversations, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen_checks: list[bytes] = []
    bolt_checks: list[str] = []
    bolt_parses: list[str] = []
    verify, is_valid = guard.verify, SignatureVerifier.is_valid

    def counting_verify(secret: str, headers: Any, raw: bytes, now: float) -> Any:
        screen_checks.append(raw)
        return verify(secret, headers, raw, now)

    def counting_is_valid(self: SignatureVerifier, body: Any, timestamp: Any, signature: Any) -> bool:
        bolt_checks.append(str(body))
        return is_valid(self, body, timestamp, signature)

    import slack_bolt.request.request as bolt_request

    parse = bolt_request.parse_body

    def counting_parse(body: str, content_type: str | None) -> dict[str, Any]:
        if body:
            bolt_parses.append(body)
        return parse(body, content_type)

    monkeypatch.setattr(guard, "verify", counting_verify)
    monkeypatch.setattr(SignatureVerifier, "is_valid", counting_is_valid)
    monkeypatch.setattr(bolt_request, "parse_body", counting_parse)

    for make in KINDS.values():
        body, content_type = make(entry)
        assert _send(entry, lambda_event(body, content_type, sign(entry.signing_secret, body)))["statusCode"] == 200
    assert _ran(demo, conversations) == ["echo", "vote", "hello there"]
    # Three deliveries and the three lazy re-invocations they started: each verified once, by the screen.
    assert entry.lambda_client.invocations == 3
    assert len(screen_checks) == 6
    assert bolt_checks == []
    assert bolt_parses == []


def test_listeners_get_the_body_the_screen_checked(entry: Emulator) -> None:
    """A content type and body the screen reads as JSON reach the app as that JSON, not as Bolt's own
    (different) reading of the raw text."""
    body = ' {"token": "x", "challenge": "c-screened", "type": "url_verification"}'
    response = _send(entry, lambda_event(body, "Application/JSON; charset=utf-8", sign(entry.signing_secret, body)))
    assert response["statusCode"] == 200 and "c-screened" in response["body"]


def test_bolt_still_verifies_a_request_that_did_not_pass_the_screen(entry: Emulator) -> None:
    app = entry.request_handler.app
    body = json.dumps({"token": "x", "challenge": "c-direct", "type": "url_verification"})
    headers: dict[str, str | Sequence[str]] = {"content-type": "application/json"}
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 401
    signed = app.dispatch(BoltRequest(body=body, headers={**headers, **sign(entry.signing_secret, body)}))
    assert signed.status == 200 and "c-direct" in signed.body


# -- refusals through the new path ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    "problem", ["bad signature", "stale timestamp", "future timestamp", "tampered body", "tampered base64 body"]
)
def test_unverified_requests_of_every_kind_get_401(
    entry: Emulator, demo: DemoPlugin, conversations: RecordingConversations, kind: str, problem: str
) -> None:
    body, content_type = KINDS[kind](entry)
    headers = sign(entry.signing_secret, body)
    b64 = problem == "tampered base64 body"
    if problem == "bad signature":
        headers["x-slack-signature"] = "v0=" + "0" * 64
    elif problem == "stale timestamp":
        headers = sign(entry.signing_secret, body, timestamp=int(time.time()) - guard.MAX_AGE_SECONDS - 60)
    elif problem == "future timestamp":
        headers = sign(entry.signing_secret, body, timestamp=int(time.time()) + guard.MAX_AGE_SECONDS + 60)
    else:
        body = _tamper(body)
    response = _send(entry, lambda_event(body, content_type, headers, base64_body=b64))
    assert response["statusCode"] == 401
    assert _ran(demo, conversations) == []
    assert entry.lambda_client.invocations == 0


def test_a_request_signed_within_the_window_is_accepted(entry: Emulator, demo: DemoPlugin) -> None:
    body, content_type = echo_command(entry, "four minutes ago")
    headers = sign(entry.signing_secret, body, timestamp=int(time.time()) - 4 * 60)
    assert _send(entry, lambda_event(body, content_type, headers))["statusCode"] == 200
    assert demo.names() == ["echo"]


def _captured_re_invocation(entry: Emulator, body: str, content_type: str) -> dict[str, Any]:
    """Deliver a signed request and return the lazy re-invocation event it handed to Lambda, unrun."""
    handed: list[dict[str, Any]] = []
    target = entry.lambda_client.target
    entry.lambda_client.target = lambda event, context: handed.append(event)
    try:
        assert _send(entry, lambda_event(body, content_type, sign(entry.signing_secret, body)))["statusCode"] == 200
    finally:
        entry.lambda_client.target = target
    assert len(handed) == 1
    return handed[0]


@pytest.mark.parametrize("kind", ["slash command", "button press"])
def test_the_lazy_re_invocation_goes_through_the_screen(entry: Emulator, demo: DemoPlugin, kind: str) -> None:
    body, content_type = KINDS[kind](entry)
    event = _captured_re_invocation(entry, body, content_type)
    assert guard.is_self_invocation(event) and event["headers"]["x-slack-bolt-lazy-only"] == "1"
    assert demo.names() == []

    tampered = json.loads(json.dumps(event))
    tampered["body"] = _tamper(tampered["body"])
    assert _send(entry, tampered)["statusCode"] == 401
    assert demo.names() == []

    assert _send(entry, event)["statusCode"] == 200
    assert demo.names() == ["echo" if kind == "slash command" else "vote"]


def test_a_stale_lazy_re_invocation_is_refused(entry: Emulator, demo: DemoPlugin) -> None:
    body, content_type = echo_command(entry, "late")
    stale = int(time.time()) - guard.MAX_AGE_SECONDS - 60
    event = lambda_event(body, content_type, sign(entry.signing_secret, body, timestamp=stale))
    event["headers"].update({"x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "crewbot_lazy_command"})
    event["method"] = "NONE"
    assert _send(entry, event)["statusCode"] == 401
    assert demo.names() == []


def test_a_base64_delivery_is_dispatched_from_the_decoded_text(entry: Emulator, demo: DemoPlugin) -> None:
    body, content_type = echo_command(entry, "über base64")
    event = lambda_event(body, content_type, sign(entry.signing_secret, body), base64_body=True)
    assert base64.b64decode(event["body"]).decode() == body
    assert _send(entry, event)["statusCode"] == 200
    assert demo.ran[0][1][0] == "über base64"
