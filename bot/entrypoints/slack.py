"""AWS Lambda entry point for Slack: ``bot.entrypoints.slack.handler``.

Behind an API Gateway HTTP API (or REST API) or a Lambda Function URL. A screen
(:mod:`bot.slack.guard`) verifies the signature and timestamp, answers unsigned requests (401) and
malformed signed ones (400), and hands its parse of the body to Bolt, which dispatches it without
checking or parsing again (:mod:`bot.slack.lambda_adapter`). Bolt acknowledges within Slack's 3 seconds
(``process_before_response=True``) and starts every slow handler as a lazy listener, which re-invokes
this same function asynchronously (the function needs ``lambda:InvokeFunction`` on itself).

Cold start: in the packaged function a routing snapshot (:mod:`bot.slack.snapshot`, written by ``make
package``) is there, and the first request is acknowledged from it: Bolt and the routing table only, the
runtime and plugins start when a handler must run (a lazy part, a view, a shortcut, an HTTP route).
Without a snapshot (a checkout, the emulator, tests) the runtime, plugins and Bolt are built on the first
invocation. Either way they are reused, and nothing heavy (Strands, Google clients) is imported on the
acknowledgement path. Tokens come from Secrets Manager in ``runtime: aws`` and are never logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.runtime import Crewbot
    from bot.slack.app import SlackFrontDoor
    from bot.slack.conversation import ConversationHandler
    from bot.slack.snapshot import RoutingSnapshot, SnapshotFrontDoor

_handler: SlackRequestHandler | None = None
_lock = threading.Lock()

#: The Lambda context of the invocation running on this thread (read by the idempotency layer: a
#: delivery's in-progress claim lasts as long as the invocation handling it can).
current_invocation: ContextVar[Any] = ContextVar("crewbot_lambda_context", default=None)


def build_request_handler(
    crewbot: Crewbot,
    *,
    signing_secret: str | None = None,
    client: WebClient | None = None,
    lambda_client: Any = None,
    conversations: ConversationHandler | None = None,
) -> SlackRequestHandler:
    """Bolt's Lambda request handler for ``crewbot``.

    The emulator and tests pass their own ``signing_secret``, ``client`` (pointed at the fake Slack
    API) and ``lambda_client`` (which runs lazy re-invocations in-process); in AWS all come from the
    runtime's secrets and boto3.
    """
    from slack_sdk import WebClient

    from bot.slack.app import build_app
    from bot.slack.lambda_adapter import GuardedRequestHandler

    secret = signing_secret or crewbot.secrets.require("slack_signing_secret")
    web = client or WebClient(token=crewbot.secrets.require("slack_bot_token"))
    app = build_app(
        crewbot, signing_secret=secret, client=web, process_before_response=True, conversations=conversations
    )
    request_handler = GuardedRequestHandler(app, secret)
    app._crewbot_runtime = crewbot  # type: ignore[attr-defined]  # for plugin HTTP routes (see handler)
    if lambda_client is not None:
        request_handler.app.listener_runner.lazy_listener_runner.lambda_client = lambda_client  # type: ignore[attr-defined]
    return request_handler


def build_snapshot_request_handler(
    snapshot: RoutingSnapshot,
    *,
    signing_secret: str | None = None,
    client: WebClient | None = None,
    lambda_client: Any = None,
    full: Callable[[], SlackFrontDoor] | None = None,
) -> SlackRequestHandler | None:
    """Bolt's Lambda request handler acknowledging from ``snapshot`` (:mod:`bot.slack.snapshot`).

    ``full`` builds the full app when a handler must run (default: :func:`bot.runtime.start` and
    :class:`~bot.slack.app.SlackFrontDoor` with the same secret and client). ``None`` when a secret the
    snapshot names is not in the environment (locally the runtime's ``.env`` handling takes over).
    """
    from slack_sdk import WebClient

    from bot.slack.lambda_adapter import GuardedRequestHandler
    from bot.slack.snapshot import SnapshotFrontDoor, read_secrets

    given = {"slack_signing_secret": signing_secret, "slack_bot_token": client}
    found = read_secrets(snapshot, tuple(name for name, value in given.items() if not value))
    secret = signing_secret or found.get("slack_signing_secret")
    token = found.get("slack_bot_token")
    if not secret or (client is None and not token):
        return None
    web = client or WebClient(token=token)
    door = SnapshotFrontDoor(snapshot, signing_secret=secret, client=web, full=full or partial(_full_app, secret, web))
    request_handler = GuardedRequestHandler(door.app, secret)
    door.app._crewbot_snapshot = door  # type: ignore[attr-defined]  # for HTTP routes and the stale check
    request_handler._crewbot_secret = secret  # type: ignore[attr-defined]
    if lambda_client is not None:
        request_handler.app.listener_runner.lazy_listener_runner.lambda_client = lambda_client  # type: ignore[attr-defined]
    return request_handler


def _full_app(signing_secret: str, client: WebClient) -> SlackFrontDoor:
    from bot.runtime import start
    from bot.slack.app import SlackFrontDoor

    return SlackFrontDoor(start(), signing_secret=signing_secret, client=client, process_before_response=True)


def snapshot_door(request_handler: SlackRequestHandler) -> SnapshotFrontDoor | None:
    """The snapshot app behind ``request_handler``, if it acknowledges from a routing snapshot."""
    return getattr(request_handler.app, "_crewbot_snapshot", None)


def _packaged_request_handler() -> SlackRequestHandler | None:
    from bot.slack.snapshot import packaged_snapshot

    snapshot = packaged_snapshot()
    if snapshot is None:
        return None
    from bot.logs import configure_logging

    configure_logging(snapshot.log_level, snapshot.json_format, service=snapshot.project)
    return build_snapshot_request_handler(snapshot)


def _full_instead(request_handler: SlackRequestHandler, door: SnapshotFrontDoor) -> SlackRequestHandler:
    """The full app's request handler, replacing a snapshot app found stale (same secret, client, Lambda client)."""
    from bot.slack.lambda_adapter import GuardedRequestHandler

    front = door.full()
    replacement = GuardedRequestHandler(front.app, request_handler._crewbot_secret)  # type: ignore[attr-defined]
    front.app._crewbot_runtime = front.crewbot  # type: ignore[attr-defined]
    lazy_runner = request_handler.app.listener_runner.lazy_listener_runner
    replacement.app.listener_runner.lazy_listener_runner.lambda_client = lazy_runner.lambda_client  # type: ignore[attr-defined]
    return replacement


def _request_handler() -> SlackRequestHandler:
    global _handler
    with _lock:
        if _handler is None:
            _handler = _packaged_request_handler()
        if _handler is None:
            from bot.runtime import start

            _handler = build_request_handler(start())
        door = snapshot_door(_handler)
        if door is not None and door.stale:
            _handler = _full_instead(_handler, door)
        return _handler


def invoke(request_handler: SlackRequestHandler, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run one invocation through ``request_handler`` with ``context`` as the current invocation."""
    token = current_invocation.set(context)
    try:
        return request_handler.handle(event, context)
    finally:
        current_invocation.reset(token)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from bot.metrics.slack import measured  # standard library only: ack latency and lazy failures as EMF

    return measured(_entry, event, context)


def _entry(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from bot.entrypoints.health import is_health_check, report
    from bot.logs import lambda_log_context

    if is_health_check(event):
        # The runtime, the Slack secrets and the Bolt app, as requests would build them.
        door = snapshot_door(_request_handler())
        if door is not None:
            door.full()  # the runtime and plugins too, and the snapshot checked against their registrations
            if door.stale:
                answer = report("entry point", "slack", [])
                answer["error"] = f"the Slack routing snapshot is stale ({', '.join(door.stale)} differ)"
                return answer
        return report("entry point", "slack", ["slack"])

    with lambda_log_context(context, (event.get("requestContext") or {}).get("requestId")):
        return _handle(event, context)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda function: API Gateway (v1 or v2) / Function URL event in, HTTP response out.

    A request matching a plugin's :class:`~bot.httproutes.HttpRoute` (e.g. ``GET /oauth/google/callback``)
    is answered by that route; everything else goes to Bolt, behind the screen that verifies Slack's
    signature.
    """
    from bot.slack.origin import refusal  # behind CloudFront: 403 for requests that went around its WAF

    if (refused := refusal(event)) is not None:
        return refused
    from bot.slack.guard import is_self_invocation

    request_handler = _request_handler()
    if not is_self_invocation(event):
        response = _http_route(request_handler, event)
        if response is not None:
            return response
    return invoke(request_handler, event, context)


def _http_route(request_handler: SlackRequestHandler, event: dict[str, Any]) -> dict[str, Any] | None:
    """The answer of a plugin's HTTP route to ``event``, or ``None`` when it is not for one."""
    from bot import httproutes

    request = httproutes.request_from_lambda_event(event)
    door = snapshot_door(request_handler)
    crewbot: Crewbot | None = getattr(request_handler.app, "_crewbot_runtime", None)
    if door is not None:
        if not door.snapshot.has_http_route(request.method, request.path):
            return None
        crewbot = door.full().crewbot
    if crewbot is None or httproutes.find_route(crewbot, request.method, request.path) is None:
        return None
    response = httproutes.dispatch(crewbot, request)
    return httproutes.lambda_response(response) if response is not None else None
