"""The Lambda entry point itself: event formats, signature checks, redeliveries, and a cold start that
acks without importing the agent stack."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import Emulator
from bot.emulator.payloads import LambdaContext, lambda_event, sign
from bot.entrypoints import slack as lambda_handler
from tests.slack.conftest import DemoPlugin, RecordingConversations

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def entry(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Route ``bot.entrypoints.slack.handler`` to the emulator's request handler."""
    monkeypatch.setattr(lambda_handler, "_handler", emu.request_handler)
    return emu


def _invoke(emu: Emulator, body: str, content_type: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    response = lambda_handler.handler(lambda_event(body, content_type, headers, **kwargs), LambdaContext())
    emu.wait()
    return response


def _echo_body(emu: Emulator, text: str = "hi") -> tuple[str, str]:
    user = emu.current_user
    return emu.payloads.slash_command(
        command="/echo",
        text=text,
        user_id=user,
        user_name="dev",
        channel_id=emu.fake.dm_channel(user),
        channel_name="directmessage",
        response_url=emu.fake.new_response_url(emu.fake.dm_channel(user), user),
        trigger_id=emu.fake.new_trigger(user),
    )


@pytest.mark.parametrize(
    ("fmt", "b64"), [("http_api", False), ("function_url", True), ("rest_api", False), ("rest_api", True)]
)
def test_every_event_format_reaches_the_handler(entry: Emulator, demo: DemoPlugin, fmt: Any, b64: bool) -> None:
    body, content_type = _echo_body(entry, f"via {fmt}")
    response = _invoke(entry, body, content_type, sign(entry.signing_secret, body), fmt=fmt, base64_body=b64)
    assert response["statusCode"] == 200
    assert demo.ran == [("echo", (f"via {fmt}", True, False))]
    assert entry.fake.calls_to("response_url")[0].args["text"] == f"echo: via {fmt}"


def test_every_payload_kind_through_the_module_handler(
    entry: Emulator, demo: DemoPlugin, conversations: RecordingConversations, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slash commands, DMs, mentions, block_actions, view_submission, shortcuts, home and other events,
    all (and their lazy re-invocations) through ``bot.entrypoints.slack.handler``."""
    seen: list[str] = []

    class ViaModule:
        def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            seen.append("lazy" if "x-slack-bolt-lazy-only" in event["headers"] else "request")
            return lambda_handler.handler(event, context)

    monkeypatch.setattr(entry, "request_handler", ViaModule())
    entry.lambda_client.target = entry.request_handler.handle
    entry.play("""
        /echo one
        /buttons
        click Approve
        /form
        submit title="Budget review"
        hello
        mention status?
        home
    """)
    body, content_type = entry.payloads.shortcut(
        user_id=entry.current_user,
        user_name="dev",
        callback_id="demo_shortcut",
        trigger_id=entry.fake.new_trigger(entry.current_user),
    )
    entry.deliver(body, content_type)
    entry.send_event(
        {
            "type": "reaction_added",
            "user": entry.current_user,
            "reaction": "eyes",
            "item": {"type": "message", "channel": "C0GENERAL", "ts": "1.2"},
            "event_ts": "1.3",
        }
    )
    assert [name for name, _ in demo.ran] == ["echo", "approve", "submit", "shortcut", "reaction"]
    assert [m.text for m in conversations.messages] == ["hello", "status?"]
    assert seen.count("request") == 10 and seen.count("lazy") == 7


def test_url_verification_challenge(entry: Emulator) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    response = _invoke(entry, body, "application/json", sign(entry.signing_secret, body))
    assert response["statusCode"] == 200 and "c-123" in response["body"]


@pytest.mark.parametrize("problem", ["bad signature", "stale timestamp", "missing headers", "other secret"])
def test_unverified_requests_are_refused_and_run_nothing(
    entry: Emulator, demo: DemoPlugin, conversations: RecordingConversations, problem: str
) -> None:
    kinds = [
        _echo_body(entry),
        entry.payloads.event_callback(
            {
                "type": "message",
                "channel_type": "im",
                "channel": "DDEV",
                "user": "UDEV",
                "text": "hi",
                "ts": "1700000000.000100",
            }
        ),
    ]
    for body, content_type in kinds:
        headers = sign(entry.signing_secret, body)
        if problem == "bad signature":
            headers["x-slack-signature"] = "v0=" + "0" * 64
        elif problem == "stale timestamp":
            headers = sign(entry.signing_secret, body, timestamp=int(time.time()) - 6 * 60)
        elif problem == "missing headers":
            headers = {}
        else:
            headers = sign("not-the-signing-secret", body)
        response = _invoke(entry, body, content_type, headers)
        assert response["statusCode"] == 401
    assert demo.ran == [] and conversations.messages == []
    assert entry.lambda_client.invocations == 0
    assert [c for c in entry.fake.calls if c.method != "auth.test"] == []


def test_duplicate_event_id_and_retry_header_run_the_agent_once(
    emu: Emulator, conversations: RecordingConversations
) -> None:
    emu.dm("prepare my 10:00", event_id="EvDUPLICATE1")
    # Slack redelivers the same event (it did not see our 200 in time): same event_id, retry header.
    channel = emu.fake.dm_channel(emu.current_user)
    ts = conversations.messages[0].ts
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": emu.current_user,
        "text": "prepare my 10:00",
        "ts": ts,
        "event_ts": ts,
    }
    emu.send_event(event, event_id="EvDUPLICATE1", retry=1)
    emu.send_event(event, event_id="EvDUPLICATE1", retry=2)
    assert len(conversations.messages) == 1
    assert len(emu.fake.calls_to("chat.stopStream")) == 1
    # Both redeliveries were acknowledged and reached the lazy listener, which skipped them.
    assert emu.lambda_client.invocations == 3
    # A different event is handled.
    emu.dm("and the 11:00?")
    assert len(conversations.messages) == 2


def test_retry_after_a_failed_first_attempt_is_processed(emu: Emulator, conversations: RecordingConversations) -> None:
    conversations.fail_next = 1
    failed = emu.dm("summarise the budget", event_id="EvFAILSONCE")
    assert "error reference" in failed.text
    channel = emu.fake.dm_channel(emu.current_user)
    ts = conversations.messages[0].ts
    retried = emu.send_event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": emu.current_user,
            "text": "summarise the budget",
            "ts": ts,
            "event_ts": ts,
        },
        event_id="EvFAILSONCE",
        retry=1,
    )
    assert len(conversations.messages) == 2
    assert "Hello from the agent" in retried.text
    assert len(emu.fake.calls_to("chat.stopStream")) == 1


def test_duplicate_button_presses_are_handled_once(emu: Emulator, demo: DemoPlugin) -> None:
    emu.command("/buttons")
    message = next(m for m in reversed(emu.fake.messages) if m.blocks)
    block, element = message.blocks[1], message.blocks[1]["elements"][0]
    for _ in range(3):  # a double (triple) click: the same press delivered again
        emu._press_on_message(message, block, element)
    # `once=True`: another user pressing the same approval button later is ignored too.
    emu.act_as("alice")
    emu._press_on_message(message, block, element)
    assert [name for name in demo.names() if name == "approve"] == ["approve"]


def test_failed_button_press_releases_the_record_so_pressing_again_retries(emu: Emulator, demo: DemoPlugin) -> None:
    emu.command("/buttons")
    first = emu.click("Flaky")
    assert "failed (error reference" in first.text
    second = emu.click("Flaky")
    assert [v for name, v in demo.ran if name == "flaky"] == ["failed", "ok"]
    assert "flaky worked" in second.text


def test_idempotency_records_live_in_the_store(emu: Emulator) -> None:
    from bot.slack.app import EVENT_DEDUPE_SECONDS
    from bot.slack.idempotency import Deduplicator
    from bot.storage.tables import IDEMPOTENCY

    emu.dm("hello", event_id="EvSTORED")
    table = emu.crewbot.store.table(IDEMPOTENCY)
    record = table.get({"key": Deduplicator.record_key("event:EvSTORED", EVENT_DEDUPE_SECONDS)})
    assert record is not None and record["status"] == "COMPLETED"
    assert time.time() < record["expires_at"] <= time.time() + EVENT_DEDUPE_SECONDS


COLD_START = r"""
import json, sys, time
from bot.emulator.fake_slack import FakeSlack
from bot.emulator.payloads import LambdaContext, PayloadBuilder, lambda_event, sign

class NoInvoke:
    calls = 0
    def invoke(self, **kwargs):
        NoInvoke.calls += 1
        return {"StatusCode": 202}

fake = FakeSlack(token="xoxb-cold-start-test").start()
import bot.entrypoints.slack as entry
from slack_sdk import WebClient
from bot.runtime import start
started = time.perf_counter()
entry._handler = entry.build_request_handler(start(setup_logging=False), client=WebClient(
    token=fake.token, base_url=fake.base_url), lambda_client=NoInvoke())
payloads = PayloadBuilder(team_id=fake.team_id)
body, ctype = payloads.slash_command(command="/crewbot", text="help", user_id="UCOLD", user_name="cold",
                                     channel_id="DCOLD", channel_name="directmessage",
                                     response_url=fake.new_response_url("DCOLD", "UCOLD"), trigger_id="1.2")
response = entry.handler(lambda_event(body, ctype, sign(sys.argv[1], body)), LambdaContext())
print(json.dumps({"status": response["statusCode"], "lazy_invocations": NoInvoke.calls,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {"strands", "googleapiclient"}),
                  "seconds": time.perf_counter() - started}))
fake.stop()
"""


def test_cold_start_acks_a_slash_command_without_importing_strands(tmp_path: Path) -> None:
    secret = "cold-start-signing-secret"
    env = {
        **os.environ,
        "CREWBOT_HOME": str(tmp_path),
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_BOT_TOKEN": "xoxb-cold-start-test",
    }
    done = subprocess.run(
        [sys.executable, "-c", COLD_START, secret], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["lazy_invocations"] == 1  # the work was handed to a lazy listener
    assert result["heavy"] == [], f"imported on the ack path: {result['heavy']}"


def test_cold_start_in_aws_reads_the_tokens_from_secrets_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto import mock_aws

    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CREWBOT_RUNTIME": "aws",
        "CREWBOT_HOME": str(tmp_path),
    }.items():
        monkeypatch.setenv(var, value)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(lambda_handler, "_handler", None)
    # The cold start configures logging for Lambda (JSON on stdout); give the root logger back afterwards.
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    secret = "signing-secret-from-secrets-manager"
    with mock_aws():
        manager = boto3.client("secretsmanager", region_name="us-east-1")
        manager.create_secret(Name="crewbot/dev/slack/signing-secret", SecretString=secret)
        manager.create_secret(Name="crewbot/dev/slack/bot-token", SecretString="xoxb-from-secrets-manager")
        body = json.dumps({"token": "x", "challenge": "from-aws", "type": "url_verification"})
        response = lambda_handler.handler(lambda_event(body, "application/json", sign(secret, body)), LambdaContext())
        assert response["statusCode"] == 200 and "from-aws" in response["body"]
        assert lambda_handler._handler is not None
        client = lambda_handler._handler.app.client
        assert client.token == "xoxb-from-secrets-manager"
        # Signed with anything else: refused.
        assert (
            lambda_handler.handler(lambda_event(body, "application/json", sign("other", body)), LambdaContext())[
                "statusCode"
            ]
            == 401
        )
