"""Run as a script by tests/infra/test_slack_layer.py: a signed slash command and a DM through the Slack
function's request handler, lazy parts included (run inline, as the re-invocation would), then the
modules that were imported (beyond the interpreter's own at start), as JSON, on stdout's last line.

``python slack_function_scenario.py API_URL [PATH ...]``: the PATHs go first on ``sys.path`` (the
unzipped code artefact and a layer's ``python/`` folder when the interpreter runs with ``-I -S``).
"""

from __future__ import annotations

import sys

AT_START = set(sys.modules)  # the interpreter's own (and site's) imports are not the function's

import json  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

api_url, *paths = sys.argv[1:]
sys.path[:0] = paths

from bot.emulator.payloads import LambdaContext, lambda_event, sign  # noqa: E402
from bot.entrypoints.slack import build_request_handler  # noqa: E402
from bot.runtime import start  # noqa: E402

SECRET = "scenario-signing-secret"


class Inline:
    """Bolt's Lambda client: runs the lazy re-invocation at once, in this process."""

    handler: Any = None

    def invoke(self, FunctionName: str, InvocationType: str = "Event", Payload: str = "{}") -> dict[str, int]:
        response = self.handler.handle(json.loads(Payload), LambdaContext())
        assert response["statusCode"] == 200, response
        return {"StatusCode": 202}


def deliver(handler: Any, body: str, content_type: str) -> None:
    response = handler.handle(lambda_event(body, content_type, sign(SECRET, body)), LambdaContext())
    assert response["statusCode"] == 200, response


def main() -> None:
    from slack_sdk import WebClient

    user, channel = sys.stdin.readline().split()
    response_url = sys.stdin.readline().strip()
    dm_ts = sys.stdin.readline().strip()
    lazy = Inline()
    crewbot = start(setup_logging=False)
    handler = build_request_handler(
        crewbot, signing_secret=SECRET, client=WebClient(token="xoxb-scenario", base_url=api_url), lambda_client=lazy
    )
    lazy.handler = handler
    command = {
        "team_id": "T0SCENARIO",
        "channel_id": channel,
        "user_id": user,
        "user_name": "dev",
        "command": "/crewbot",
        "text": "help",
        "response_url": response_url,
        "trigger_id": "1.1.scenario",
    }
    deliver(handler, urlencode(command), "application/x-www-form-urlencoded")
    dm = {
        "type": "event_callback",
        "team_id": "T0SCENARIO",
        "event_id": "Ev0SCENARIO",
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": user,
            "text": "hello",
            "ts": dm_ts,
        },
    }
    deliver(handler, json.dumps(dm), "application/json")
    crewbot.close()
    print(json.dumps(sorted(set(sys.modules) - AT_START)))


main()
