"""The two apps the Slack benchmarks compare, built the same way: Crewbot's Lambda request handler and a
minimal Bolt app with the same listeners (ack, then a lazy listener), both behind Bolt's
``SlackRequestHandler`` with a Lambda client that only records the lazy invocation."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"


class HandOff:
    """Records lazy invocations instead of starting them (the ack path is what is measured).

    With ``BENCH_LAMBDA_CLIENT`` set it first creates the boto3 Lambda client Bolt's adapter would create
    for the invocation (without calling it), as in AWS."""

    calls = 0

    def invoke(self, **kwargs: Any) -> dict[str, int]:
        if HandOff.calls == 0 and os.environ.get("BENCH_LAMBDA_CLIENT"):
            import boto3

            boto3.client("lambda")
        HandOff.calls += 1
        return {"StatusCode": 202}


class LambdaContext:
    """The parts of a Lambda context Bolt's adapter reads."""

    function_name = "crewbot-bench-bot"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:crewbot-bench-bot"
    aws_request_id = "bench-request"


def bare_bolt(web_api_url: str | None = None) -> Any:
    """A minimal Bolt app: a slash command, a button and DMs, each acked with the work left to a lazy
    listener — what Crewbot does, with nothing else."""
    from slack_bolt import App
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler
    from slack_sdk import WebClient

    client = WebClient(token=TOKEN, base_url=web_api_url) if web_api_url else WebClient(token=TOKEN)
    app = App(signing_secret=SECRET, client=client, token_verification_enabled=False, process_before_response=True)

    def ack_only(ack: Callable[[], None]) -> None:
        ack()

    def later(body: dict[str, Any]) -> None:  # never runs here: the lazy invocation is handed off
        pass

    app.command("/crewbot")(ack=ack_only, lazy=[later])
    app.action("crewbot_use_agent")(ack=ack_only, lazy=[later])
    app.event("message")(ack=ack_only, lazy=[later])
    handler = SlackRequestHandler(app)
    app.listener_runner.lazy_listener_runner.lambda_client = HandOff()  # type: ignore[attr-defined]
    return handler


def crewbot(web_api_url: str | None = None) -> Any:
    """Crewbot's own Lambda request handler on a fresh runtime (the environment gives its home)."""
    from slack_sdk import WebClient

    from bot.entrypoints.slack import build_request_handler
    from bot.runtime import start

    client = WebClient(token=TOKEN, base_url=web_api_url) if web_api_url else None
    return build_request_handler(
        start(setup_logging=False), signing_secret=SECRET, lambda_client=HandOff(), client=client
    )


def crewbot_packaged(snapshot_file: str, web_api_url: str | None = None) -> Callable[[dict[str, Any], Any], Any]:
    """Crewbot's Lambda entry point (``bot.entrypoints.slack.handler``) as deployed: acknowledging from the
    routing snapshot at ``snapshot_file`` (where ``make package`` puts it in the function). Secrets come
    from the environment (``SLACK_SIGNING_SECRET``, ``SLACK_BOT_TOKEN``); the Web API client is pointed at
    ``web_api_url`` and lazy invocations are recorded by :class:`HandOff`."""
    from pathlib import Path

    import bot.entrypoints.slack as entry
    import bot.slack.snapshot as snapshot

    snapshot.PACKAGED_FILE = Path(snapshot_file)
    handler = entry._request_handler()
    assert entry.snapshot_door(handler) is not None, "the snapshot was not used"
    if web_api_url:  # the deployed function builds its own WebClient: point it at the local fake API
        handler.app.client.base_url = web_api_url
    handler.app.listener_runner.lazy_listener_runner.lambda_client = HandOff()  # type: ignore[attr-defined]
    return entry.handler


def signed_event(body: str, content_type: str, timestamp: int | None = None) -> dict[str, Any]:
    """An API Gateway (HTTP API v2) event carrying a Slack request signed with :data:`SECRET`."""
    from slack_sdk.signature import SignatureVerifier

    stamp = str(timestamp or int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    return {
        "version": "2.0",
        "routeKey": "POST /slack/events",
        "rawPath": "/slack/events",
        "rawQueryString": "",
        "headers": {
            "content-type": content_type,
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature,
        },
        "requestContext": {"http": {"method": "POST", "path": "/slack/events"}, "requestId": "bench"},
        "body": body,
        "isBase64Encoded": False,
    }


def payloads(n: int) -> dict[str, tuple[str, str]]:
    """The ``n``-th request of each kind: slash command, button press, DM."""
    from urllib.parse import urlencode

    command = urlencode(
        {
            "token": "legacy",
            "team_id": "TBENCH",
            "team_domain": "bench",
            "channel_id": "DBENCH",
            "channel_name": "directmessage",
            "user_id": "UBENCH",
            "user_name": "bench",
            "command": "/crewbot",
            "text": "help",
            "api_app_id": "ABENCH",
            "response_url": "https://hooks.slack.com/commands/TBENCH/1/bench",
            "trigger_id": f"{n}.1.bench",
        }
    )
    press = {
        "type": "block_actions",
        "team": {"id": "TBENCH", "domain": "bench"},
        "user": {"id": "UBENCH", "username": "bench", "team_id": "TBENCH"},
        "api_app_id": "ABENCH",
        "token": "legacy",
        "trigger_id": f"{n}.2.bench",
        "channel": {"id": "DBENCH", "name": "directmessage"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "DBENCH"},
        "response_url": "https://hooks.slack.com/actions/TBENCH/1/bench",
        "actions": [
            {
                "action_id": "crewbot_use_agent",
                "block_id": "gate",
                "type": "button",
                "value": "meeting_coordinator",
                "action_ts": f"1700000000.{n:06d}",
                "text": {"type": "plain_text", "text": "Use"},
            }
        ],
    }
    dm = {
        "token": "legacy",
        "team_id": "TBENCH",
        "api_app_id": "ABENCH",
        "type": "event_callback",
        "event_id": f"EvBENCH{n:08d}",
        "event_time": 1700000000 + n,
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "DBENCH",
            "user": "UBENCH",
            "text": "hello",
            "ts": f"1700000000.{n:06d}",
            "event_ts": f"1700000000.{n:06d}",
        },
    }
    return {
        "slash command": (command, "application/x-www-form-urlencoded"),
        "button press": ("payload=" + urlencode({"x": json.dumps(press)})[2:], "application/x-www-form-urlencoded"),
        "DM": (json.dumps(dm), "application/json"),
    }
