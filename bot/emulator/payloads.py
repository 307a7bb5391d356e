"""Real Slack payloads, signed, wrapped in the HTTP events AWS hands a Lambda.

Bodies are what Slack sends: an Events API envelope (JSON), a form-encoded slash command, and
``payload=<json>`` forms for ``block_actions``, ``view_submission`` and shortcuts. Each is signed like
Slack signs (``v0=`` HMAC-SHA256 of ``v0:<timestamp>:<body>`` with the signing secret) and wrapped as an
API Gateway HTTP API (payload v2), Function URL, or REST API (payload v1) event, so it goes through
the very request handler the Lambda uses.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import time
import uuid
from typing import Any, Literal
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

EventFormat = Literal["http_api", "function_url", "rest_api"]

_counter = itertools.count(1)


def sign(signing_secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The ``x-slack-request-timestamp`` and ``x-slack-signature`` headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body) or ""
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature}


def lambda_event(
    body: str,
    content_type: str,
    headers: dict[str, str],
    *,
    fmt: EventFormat = "http_api",
    base64_body: bool = False,
    path: str = "/slack/events",
) -> dict[str, Any]:
    """Wrap a request as the event API Gateway or a Function URL gives the Lambda."""
    all_headers = {
        "content-type": content_type,
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "host": "crewbot.emulator.invalid",
        **{k.lower(): v for k, v in headers.items()},
    }
    encoded = base64.b64encode(body.encode()).decode() if base64_body else body
    if fmt == "rest_api":
        return {
            "resource": path,
            "path": path,
            "httpMethod": "POST",
            "headers": all_headers,
            "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
            "queryStringParameters": None,
            "requestContext": {"httpMethod": "POST", "path": path, "stage": "prod", "requestId": str(uuid.uuid4())},
            "body": encoded,
            "isBase64Encoded": base64_body,
        }
    return {
        "version": "2.0",
        "routeKey": "$default" if fmt == "function_url" else f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": {
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": all_headers["user-agent"],
            },
            "requestId": str(uuid.uuid4()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": encoded,
        "isBase64Encoded": base64_body,
    }


class LambdaContext:
    """The parts of the Lambda context object Bolt and Powertools read."""

    def __init__(self, function_name: str = "crewbot-dev-slack", timeout_seconds: int = 900):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "emulator"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class PayloadBuilder:
    """Builds the bodies Slack would send for one workspace and app."""

    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str = "emulator",
        api_app_id: str = "ACREWBOT",
        enterprise_id: str | None = None,
    ):
        self.team_id, self.team_domain, self.api_app_id = team_id, team_domain, api_app_id
        self.enterprise_id = enterprise_id

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def event_callback(
        self, event: dict[str, Any], *, event_id: str | None = None, authorized_user: str = "UCREWBOT"
    ) -> tuple[str, str]:
        """An Events API envelope around ``event`` (JSON body)."""
        envelope = {
            "token": "legacy-verification-token-unused",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_counter):06d}{secrets.token_hex(3).upper()}",
            "event_time": int(time.time()),
            "event_context": f"4-{secrets.token_urlsafe(8)}",
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": authorized_user,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return json.dumps(envelope), "application/json"

    def slash_command(
        self,
        *,
        command: str,
        text: str,
        user_id: str,
        user_name: str,
        channel_id: str,
        channel_name: str,
        response_url: str,
        trigger_id: str,
    ) -> tuple[str, str]:
        """A slash command, form-encoded like Slack sends it."""
        form = {
            "token": "legacy-verification-token-unused",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return urlencode(form), "application/x-www-form-urlencoded"

    def _user(self, user_id: str, user_name: str) -> dict[str, Any]:
        return {"id": user_id, "username": user_name, "name": user_name, "team_id": self.team_id}

    def block_actions(
        self,
        *,
        user_id: str,
        user_name: str,
        action: dict[str, Any],
        block_id: str,
        trigger_id: str,
        container: dict[str, Any],
        response_url: str | None = None,
        channel: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """A button press (``block_actions``) on a message or in a view, as ``payload=<json>``."""
        element = {
            "action_id": action.get("action_id", ""),
            "block_id": block_id,
            "type": action.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if action.get("type", "button") == "button":
            element["text"] = action.get("text") or {"type": "plain_text", "text": ""}
        for key in ("value", "style", "url", "selected_option", "selected_date"):
            if key in action:
                element[key] = action[key]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": "legacy-verification-token-unused",
            "container": container,
            "trigger_id": trigger_id,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [element],
        }
        if channel is not None:
            payload["channel"] = channel
        if message is not None:
            payload["message"] = message
        if view is not None:
            payload["view"] = view
        if response_url:
            payload["response_url"] = response_url
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"

    def view_submission(
        self, *, user_id: str, user_name: str, view: dict[str, Any], values: dict[str, dict[str, Any]], trigger_id: str
    ) -> tuple[str, str]:
        """A modal's submission with ``values`` as ``view.state.values``."""
        submitted = {**view, "state": {"values": values}}
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": "legacy-verification-token-unused",
            "trigger_id": trigger_id,
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"

    def shortcut(self, *, user_id: str, user_name: str, callback_id: str, trigger_id: str) -> tuple[str, str]:
        """A global shortcut."""
        payload = {
            "type": "shortcut",
            "token": "legacy-verification-token-unused",
            "action_ts": f"{time.time():.6f}",
            "team": self._team(),
            "user": self._user(user_id, user_name),
            "callback_id": callback_id,
            "trigger_id": trigger_id,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
