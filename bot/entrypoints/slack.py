"""AWS Lambda entry point for Slack: ``bot.entrypoints.slack.handler``.

Behind an API Gateway HTTP API (or REST API) or a Lambda Function URL. A screen
(:mod:`bot.slack.guard`) answers unsigned requests (401) and malformed signed ones (400) before
Bolt's ``SlackRequestHandler`` parses them; Bolt verifies the signature and timestamp again,
acknowledges within Slack's 3 seconds (``process_before_response=True``) and starts every slow
handler as a lazy listener, which re-invokes this same function asynchronously (the function needs
``lambda:InvokeFunction`` on itself).

Cold start: the runtime, plugins and Bolt are built on the first invocation and reused. Nothing heavy
(Strands, Google clients) is imported on the acknowledgement path; they load inside lazy listeners.
Tokens come from ``crewbot.secrets`` (Secrets Manager in ``runtime: aws``) and are never logged.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.runtime import Crewbot
    from bot.slack.conversation import ConversationHandler

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


def _request_handler() -> SlackRequestHandler:
    global _handler
    with _lock:
        if _handler is None:
            from bot.runtime import start

            _handler = build_request_handler(start())
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
        _request_handler()  # the runtime, the Slack secrets and the Bolt app, as a request would build them
        return report("entry point", "slack", ["slack"])

    with lambda_log_context(context, (event.get("requestContext") or {}).get("requestId")):
        return _handle(event, context)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda function: API Gateway (v1 or v2) / Function URL event in, HTTP response out.

    A request matching a plugin's :class:`~bot.httproutes.HttpRoute` (e.g. ``GET /oauth/google/callback``)
    is answered by that route; everything else goes to Bolt (which verifies Slack's signature).
    """
    from bot.slack.origin import refusal  # behind CloudFront: 403 for requests that went around its WAF

    if (refused := refusal(event)) is not None:
        return refused
    from bot.slack.guard import is_self_invocation

    request_handler = _request_handler()
    if not is_self_invocation(event):
        from bot import httproutes

        request = httproutes.request_from_lambda_event(event)
        crewbot = getattr(request_handler.app, "_crewbot_runtime", None)
        if crewbot is not None and httproutes.find_route(crewbot, request.method, request.path) is not None:
            response = httproutes.dispatch(crewbot, request)
            if response is not None:
                return httproutes.lambda_response(response)
    return invoke(request_handler, event, context)
