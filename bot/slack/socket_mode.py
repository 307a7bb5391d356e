"""Socket Mode: connect to a real Slack workspace over a WebSocket (``crewbot run``, ``crewbot dev``
with tokens). No public URL is needed; Slack sends the same payloads over the socket, and the same
Bolt app handles them (lazy listeners run on threads).

Every envelope is acknowledged, whatever happens to it: an envelope Slack does not get an ack for is
redelivered, and for interactive payloads the user sees an error. One whose payload does not have
Slack's shape is acknowledged and dropped (the screen of :mod:`bot.slack.guard`); an exception while
dispatching is logged with a reference, never raised into the socket client.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient
    from slack_sdk.socket_mode.client import BaseSocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)


def has_socket_mode_tokens(crewbot: Crewbot) -> bool:
    """Whether both the bot token and the app-level token are set."""
    return crewbot.secrets.is_set("slack_bot_token") and crewbot.secrets.is_set("slack_app_token")


def respond(app: App, client: BaseSocketModeClient, req: SocketModeRequest) -> int:
    """Dispatch one envelope to ``app`` and acknowledge it; returns the status Bolt's dispatch gave
    (400 for a payload of the wrong shape or a dispatch that raised). Never raises."""
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app
    from slack_sdk.socket_mode.response import SocketModeResponse

    from bot.slack.errors import new_reference
    from bot.slack.guard import screen_socket_payload

    status, payload = 400, None
    refusal = screen_socket_payload(req.payload)
    if refusal is not None:
        logger.info("dropped a Socket Mode envelope %s: %s", req.envelope_id, refusal.reason)
    else:
        try:
            response = run_bolt_app(app, req)
            status = response.status
            if status == 200 and response.body:
                content_type = (response.headers.get("content-type") or [""])[0]
                payload = json.loads(response.body) if content_type.startswith("application/json") else None
                if payload is None:
                    payload = {"text": response.body}
            elif status >= 500:
                logger.error("Bolt could not process Socket Mode envelope %s (HTTP %s)", req.envelope_id, status)
                status = 400
            elif status != 200:
                logger.info("Socket Mode envelope %s answered %s: %s", req.envelope_id, status, response.body)
        except Exception as exc:
            ref = new_reference()
            logger.error("Socket Mode envelope failed (error reference %s): %s", ref, exc, exc_info=exc)
            status = 400
    try:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=payload))
    except Exception as exc:  # the connection dropped: Slack redelivers the envelope on the next one
        logger.warning("could not acknowledge Socket Mode envelope %s: %s", req.envelope_id, exc)
    return status


def socket_mode_handler(app: App, app_token: str, **kwargs: Any) -> SocketModeHandler:
    """Bolt's built-in ``SocketModeHandler`` whose envelopes go through :func:`respond`."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    class AcknowledgingHandler(SocketModeHandler):
        def handle(self, client: Any, req: SocketModeRequest) -> None:
            respond(self.app, client, req)

    return AcknowledgingHandler(app, app_token, **kwargs)


def build_socket_mode_app(crewbot: Crewbot, client: WebClient) -> App:
    """The Bolt app for Socket Mode (lazy listeners on threads; payloads are not signed, the socket
    is authenticated by the app token, so the signing secret is optional)."""
    from bot.slack.app import build_app

    return build_app(
        crewbot,
        signing_secret=crewbot.secrets.get("slack_signing_secret") or "",
        client=client,
        process_before_response=False,
    )


def run_socket_mode(crewbot: Crewbot) -> None:
    """Connect and serve until interrupted (``SecretNotFound`` when a token is missing)."""
    from slack_sdk import WebClient

    from bot.slack.client import install_slack_client

    bot_token = crewbot.secrets.require("slack_bot_token")
    app_token = crewbot.secrets.require("slack_app_token")
    client = WebClient(token=bot_token)
    install_slack_client(crewbot, client)
    app = build_socket_mode_app(crewbot, client)
    # Locally, workflows and schedules run in this process on real time (nothing in AWS).
    from bot.events.ticker import start_ticker

    ticker = start_ticker(crewbot)
    logger.info("connecting to Slack over Socket Mode")
    try:
        socket_mode_handler(app, app_token).start()
    finally:
        if ticker is not None:
            ticker.stop()
