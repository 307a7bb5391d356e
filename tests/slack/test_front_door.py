"""The front door takes any input: unsigned or badly signed → 401, signed but malformed → 400, never an
exception or a 5xx; refused requests change nothing. Real payloads (bolt-python's test fixtures, when
the shared corpora are present) and the emulator's own are mutated and sent through the Lambda handler
and the Socket Mode handler."""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.emulator import Emulator
from bot.emulator.payloads import LambdaContext, lambda_event, sign
from bot.entrypoints import slack as lambda_handler
from bot.slack.errors import tell_user
from bot.slack.socket_mode import build_socket_mode_app, respond
from bot.storage.tables import USERS
from tests.slack.conftest import DemoPlugin, echo_command

REPO = Path(__file__).resolve().parents[2]
ALLOWED = {200, 400, 401, 404}
#: Examples per fuzz test; raise it for a longer run (SLACK_FUZZ_EXAMPLES=2000).
EXAMPLES = int(os.environ.get("SLACK_FUZZ_EXAMPLES", "120"))


def _corpus() -> list[dict[str, Any]]:
    shared = Path(os.environ.get("CREWBOT_SHARED") or REPO.parent / "shared")
    path = shared / "corpora" / "slack" / "bolt_payloads.json"
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")))


def _encode(item: dict[str, Any]) -> tuple[str, str]:
    payload, transport = item["payload"], item["transport"]
    if transport == "json":
        return json.dumps(payload), "application/json"
    if transport == "payload_form":
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    return str(payload), "application/x-www-form-urlencoded"


def _own_bodies(emu: Emulator) -> list[tuple[str, str]]:
    """One body of every kind the emulator sends (they reach real handlers of the demo plugin)."""
    user = emu.current_user
    dm = emu.fake.dm_channel(user)
    p = emu.payloads
    trigger = emu.fake.new_trigger(user)
    message = {"type": "message", "channel_type": "im", "channel": dm, "user": user, "text": "hi", "ts": "1.000001"}
    button = {"type": "button", "action_id": "demo_flaky", "value": "x", "text": {"type": "plain_text", "text": "F"}}
    view = {"id": "V0000001", "type": "modal", "callback_id": "demo_form", "blocks": [], "private_metadata": ""}
    return [
        p.slash_command(
            command="/echo",
            text="hello",
            user_id=user,
            user_name="dev",
            channel_id=dm,
            channel_name="directmessage",
            response_url=emu.fake.new_response_url(dm, user),
            trigger_id=trigger,
        ),
        p.event_callback(message),
        p.event_callback({"type": "app_home_opened", "user": user, "channel": dm, "tab": "home"}),
        p.event_callback({"type": "reaction_added", "user": user, "reaction": "tada", "item": {}}),
        p.block_actions(
            user_id=user,
            user_name="dev",
            action=button,
            block_id="decide",
            trigger_id=trigger,
            container={"type": "message", "message_ts": "1.000001", "channel_id": dm},
            response_url=emu.fake.new_response_url(dm, user),
        ),
        p.view_submission(
            user_id=user,
            user_name="dev",
            view=view,
            values={"title": {"value": {"type": "plain_text_input", "value": "Apollo"}}},
            trigger_id=trigger,
        ),
        p.shortcut(user_id=user, user_name="dev", callback_id="demo_shortcut", trigger_id=trigger),
        p.shortcut(user_id=user, user_name="dev", callback_id="nobody_handles_this", trigger_id=trigger),
    ]


def _bodies(emu: Emulator) -> list[tuple[str, str]]:
    return _own_bodies(emu) + [_encode(item) for item in _corpus()]


def snapshot(emu: Emulator) -> tuple[Any, ...]:
    """Every row of every table, and how many Web API calls the bot made."""
    db = emu.crewbot.store._db  # type: ignore[attr-defined]
    names = [row[0] for row in db.read("SELECT name FROM sqlite_master WHERE type = 'table'")]
    rows = {name: sorted(map(repr, db.read(f'SELECT * FROM "{name}"'))) for name in names}
    return rows, len(emu.fake.calls)


def _send(emu: Emulator, event: dict[str, Any]) -> dict[str, Any]:
    response = lambda_handler.handler(event, LambdaContext())
    emu.wait()
    return response


@pytest.fixture
def entry(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setattr(lambda_handler, "_handler", emu.request_handler)
    return emu


# -- mutations ---------------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, bodies: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A body of some kind, changed in one of the ways a broken client or an attacker would."""
    body, content_type = draw(st.sampled_from(bodies))
    how = draw(
        st.sampled_from(["keep", "truncate", "insert", "flip", "top", "field", "bad_payload", "bytes", "content"])
    )
    raw = body.encode()
    if how == "truncate":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    elif how == "insert":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.text(max_size=6)).encode() + raw[at:]
    elif how == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    elif how == "top":
        raw = json.dumps(draw(st.sampled_from([[], None, "x", 1, [1, {}], True]))).encode()
        content_type = "application/json"
    elif how == "field":
        parsed = _parsed(body, content_type)
        if isinstance(parsed, dict) and parsed:
            target = parsed
            inner = [k for k, v in parsed.items() if isinstance(v, dict) and v]
            if inner and draw(st.booleans()):
                target = parsed[draw(st.sampled_from(sorted(inner)))]
            target[draw(st.sampled_from(sorted(target)))] = draw(_json_values)
            raw = _reencode(parsed, body, content_type).encode()
    elif how == "bad_payload":
        broken = draw(st.sampled_from(["%7B", "null", "%5B%5D", "%22s%22", "%7B%22type%22%3A1%7D"]))
        raw = ("payload=" + broken).encode()
        content_type = "application/x-www-form-urlencoded"
    elif how == "bytes":
        raw = draw(st.binary(max_size=40))
    elif how == "content":
        content_type = draw(st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
    return raw, content_type


def _parsed(body: str, content_type: str) -> Any:
    from urllib.parse import parse_qsl

    if content_type == "application/json":
        return json.loads(body)
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        return json.loads(form["payload"])
    return form


def _reencode(parsed: dict[str, Any], body: str, content_type: str) -> str:
    if content_type == "application/json":
        return json.dumps(parsed)
    if body.startswith("payload="):
        return urlencode({"payload": json.dumps(parsed)})
    return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()})


def _event(raw: bytes, content_type: str, headers: dict[str, str], b64: bool) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        b64 = True  # API Gateway base64-encodes bodies that are not text
        text = ""
    event = lambda_event(text, content_type, headers, base64_body=b64)
    if b64:
        event["body"] = base64.b64encode(raw).decode()
    return event


def _signature_headers(secret: str, raw: bytes, how: str) -> dict[str, str]:
    ts = str(int(time.time()))
    good = _sign_bytes(secret, ts, raw)
    return {
        "signed": {"x-slack-request-timestamp": ts, "x-slack-signature": good},
        "unsigned": {},
        "wrong_secret": {"x-slack-request-timestamp": ts, "x-slack-signature": _sign_bytes("not-it", ts, raw)},
        "text_timestamp": {"x-slack-request-timestamp": "yesterday", "x-slack-signature": good},
        "stale": {"x-slack-request-timestamp": str(int(ts) - 600), "x-slack-signature": good},
        "garbage_signature": {"x-slack-request-timestamp": ts, "x-slack-signature": "v1=zz"},
    }[how]


def _sign_bytes(secret: str, ts: str, raw: bytes) -> str:
    from bot.slack.guard import expected_signature

    return expected_signature(secret, ts, raw)


# -- the property ------------------------------------------------------------------------------------


def test_fuzzed_requests_never_raise_or_5xx(entry: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    bodies = _bodies(entry)
    tally: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        body=mutated(bodies),
        how=st.sampled_from(["signed", "signed", "unsigned", "wrong_secret", "text_timestamp", "stale"]),
        b64=st.booleans(),
        lazy_header=st.booleans(),
    )
    def check(body: tuple[bytes, str], how: str, b64: bool, lazy_header: bool) -> None:
        raw, content_type = body
        headers = _signature_headers(entry.signing_secret, raw, how)
        if lazy_header:
            headers["x-slack-bolt-lazy-only"] = "1"
            headers["x-slack-bolt-lazy-function-name"] = "crewbot_lazy__echo"
        before = snapshot(entry)
        response = _send(entry, _event(raw, content_type, headers, b64))
        status = response["statusCode"]
        tally[status] = tally.get(status, 0) + 1
        assert status in ALLOWED, (status, raw[:200], how)
        if how != "signed":
            assert status == 401, (status, raw[:200], how)
        if status in {400, 401}:
            assert snapshot(entry) == before, (status, raw[:200], how)

    with caplog.at_level(logging.ERROR, logger="slack_bolt"):
        check()
    print(f"fuzz: {sum(tally.values())} bodies through the Lambda handler, statuses {sorted(tally.items())}")
    assert not [r for r in caplog.records if r.name.startswith("slack_bolt") and r.levelno >= logging.ERROR]


class _Socket:
    """The socket client as the handler sees it: records the acknowledgements."""

    def __init__(self) -> None:
        self.acks: list[str] = []
        self.logger = logging.getLogger("tests.socket")

    def send_socket_mode_response(self, response: Any) -> None:
        self.acks.append(response.envelope_id)


class _Inline(Executor):
    """Runs submitted work at once, so an envelope's listeners have finished when ``respond`` returns."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def test_fuzzed_socket_mode_envelopes_are_acknowledged_and_never_raise(entry: Emulator) -> None:
    app = build_socket_mode_app(entry.crewbot, entry.client)
    app.listener_runner.listener_executor = _Inline()
    app.listener_runner.lazy_listener_runner.executor = _Inline()  # type: ignore[attr-defined]
    socket = _Socket()
    bodies = [b for b in _bodies(entry)]
    kinds = {"application/json": "events_api"}
    counter = iter(range(10**9))

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=mutated(bodies))
    def check(body: tuple[bytes, str]) -> None:
        raw, content_type = body
        try:
            payload: Any = _parsed(raw.decode("utf-8"), content_type)
        except (UnicodeDecodeError, ValueError):
            payload = raw.decode("utf-8", "replace")
        if not isinstance(payload, (dict, str)):
            payload = {"payload": payload}
        envelope = f"env-{next(counter)}"
        request = SocketModeRequest(type=kinds.get(content_type, "interactive"), envelope_id=envelope, payload=payload)
        before = snapshot(entry)
        status = respond(app, socket, request)  # type: ignore[arg-type]
        entry.wait()
        assert status in ALLOWED
        assert socket.acks[-1] == envelope
        if status == 400:
            assert snapshot(entry) == before

    check()


# -- the defects, one by one ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ['{"type": "event_callback", "event": ', "payload=%7Bnope", "[]", "null", '"text"', "payload=null"],
)
def test_unsigned_malformed_bodies_get_401(entry: Emulator, body: str) -> None:
    before = snapshot(entry)
    assert _send(entry, lambda_event(body, "application/json", {}))["statusCode"] == 401
    assert snapshot(entry) == before


@pytest.mark.parametrize(
    "body",
    ['{"type": "event_callback", "event": ', "payload=%7Bnope", "[]", "null", '"text"', '{"event": []}'],
)
def test_signed_malformed_bodies_get_400(entry: Emulator, body: str) -> None:
    before = snapshot(entry)
    response = _send(entry, lambda_event(body, "application/json", sign(entry.signing_secret, body)))
    assert response["statusCode"] == 400
    assert snapshot(entry) == before


def test_signed_body_that_is_not_utf8_gets_400(entry: Emulator) -> None:
    raw = b'{"type": "\xff\xfe"}'
    ts = str(int(time.time()))
    headers = {"x-slack-request-timestamp": ts, "x-slack-signature": _sign_bytes(entry.signing_secret, ts, raw)}
    assert _send(entry, _event(raw, "application/json", headers, True))["statusCode"] == 400


def test_non_numeric_timestamp_is_401_without_an_error(entry: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    body, content_type = echo_command(entry)
    headers = {**sign(entry.signing_secret, body), "x-slack-request-timestamp": "noon"}
    with caplog.at_level(logging.WARNING):
        assert _send(entry, lambda_event(body, content_type, headers))["statusCode"] == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_lazy_only_header_over_http_is_ignored(entry: Emulator, demo: DemoPlugin) -> None:
    """A captured signed request with Bolt's lazy-only header added runs the normal way (ack, then the
    lazy listener through a self-invocation), not the lazy function directly."""
    body, content_type = echo_command(entry, "replayed")
    headers = {
        **sign(entry.signing_secret, body),
        "X-Slack-Bolt-Lazy-Only": "1",
        "x-slack-bolt-lazy-function-name": "crewbot_lazy__echo",
    }
    before = entry.lambda_client.invocations
    response = _send(entry, lambda_event(body, content_type, headers))
    assert response["statusCode"] == 200
    assert entry.lambda_client.invocations == before + 1
    assert demo.names() == ["echo"]


def test_replayed_slash_command_runs_once(entry: Emulator, demo: DemoPlugin) -> None:
    body, content_type = echo_command(entry, "once")
    for _ in range(3):
        assert _send(entry, lambda_event(body, content_type, sign(entry.signing_secret, body)))["statusCode"] == 200
    assert demo.names() == ["echo"]


def test_second_press_of_a_button_runs_but_a_redelivery_does_not(entry: Emulator, demo: DemoPlugin) -> None:
    entry.play("/buttons")
    entry.click("Vote")
    entry.click("Vote")  # a second real press: new action_ts and trigger_id
    assert demo.names() == ["vote", "vote"]
    message = next(m for m in reversed(entry.fake.visible_messages(entry.current_user)) if m.blocks)
    block, element = next((b, e) for b, e in _buttons(message.blocks) if e["action_id"] == "vote_up")
    body, content_type = entry.payloads.block_actions(
        user_id=entry.current_user,
        user_name="dev",
        action=element,
        block_id=block["block_id"],
        trigger_id=entry.fake.new_trigger(entry.current_user),
        container={"type": "message", "message_ts": message.ts, "channel_id": message.channel},
    )
    for _ in range(2):  # the same delivery twice (a redelivery)
        entry.deliver(body, content_type)
    assert demo.names() == ["vote", "vote", "vote"]


def _buttons(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    from bot.emulator.blockkit import iter_buttons

    return iter_buttons(blocks)


@pytest.mark.parametrize("url", ["not-a-url", "ftp://x", "http://", "https://[::1", "http://127.0.0.1:1/x"])
def test_tell_user_never_raises(entry: Emulator, url: str) -> None:
    tell_user({"user": {"id": entry.current_user}, "response_url": url}, entry.client, "sorry")


def test_failing_button_with_a_bad_response_url_still_gets_200(entry: Emulator, demo: DemoPlugin) -> None:
    element = {"type": "button", "action_id": "demo_flaky", "value": "x", "text": {"type": "plain_text", "text": "F"}}
    body, content_type = entry.payloads.block_actions(
        user_id=entry.current_user,
        user_name="dev",
        action=element,
        block_id="decide",
        trigger_id=entry.fake.new_trigger(entry.current_user),
        container={"type": "message", "message_ts": "1.000001", "channel_id": "C0GENERAL"},
        response_url="ftp://x",
    )
    assert entry.deliver(body, content_type)["statusCode"] == 200
    assert demo.names() == ["flaky"]


@pytest.mark.parametrize("kind", ["shortcut", "message_action", "view_closed"])
def test_shortcuts_and_closed_views_are_acknowledged_and_logged(
    entry: Emulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    payload: dict[str, Any] = {
        "type": kind,
        "user": {"id": entry.current_user, "username": "dev"},
        "team": {"id": entry.fake.team_id},
        "callback_id": "unknown_thing",
        "trigger_id": entry.fake.new_trigger(entry.current_user),
    }
    if kind == "view_closed":
        payload["view"] = {"id": "V1", "type": "modal", "callback_id": "unknown_thing"}
    if kind == "message_action":
        payload["channel"] = {"id": "C0GENERAL"}
        payload["message"] = {"ts": "1.000001", "text": "hi"}
    body = urlencode({"payload": json.dumps(payload)})
    with caplog.at_level(logging.INFO, logger="bot.slack"):
        response = entry.deliver(body, "application/x-www-form-urlencoded")
    assert response["statusCode"] == 200
    assert any("unknown_thing" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("user_id", ["{{7*7}}", "' OR 1=1 --", "u123", "U", "<script>"])
def test_malformed_user_ids_do_not_become_users(entry: Emulator, user_id: str) -> None:
    payload = {"type": "shortcut", "user": {"id": user_id}, "callback_id": "x", "trigger_id": "1.2"}
    body = urlencode({"payload": json.dumps(payload)})
    assert entry.deliver(body, "application/x-www-form-urlencoded")["statusCode"] == 200
    assert entry.crewbot.store.table(USERS).get({USERS.pk: user_id}) is None
