"""Socket Mode: connect to a real Slack workspace over a WebSocket (``crewbot run``, ``crewbot dev``
with tokens). No public URL is needed; Slack sends the same payloads over the socket, and the same
Bolt app handles them (lazy listeners run on threads)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)


def has_socket_mode_tokens(crewbot: Crewbot) -> bool:
    """Whether both the bot token and the app-level token are set."""
    return crewbot.secrets.is_set("slack_bot_token") and crewbot.secrets.is_set("slack_app_token")


def run_socket_mode(crewbot: Crewbot) -> None:
    """Connect and serve until interrupted (``SecretNotFound`` when a token is missing)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    from bot.slack.app import build_app
    from bot.slack.client import install_slack_client

    bot_token = crewbot.secrets.require("slack_bot_token")
    app_token = crewbot.secrets.require("slack_app_token")
    client = WebClient(token=bot_token)
    install_slack_client(crewbot, client)
    # Socket Mode payloads are not signed (the socket is authenticated by the app token), so the
    # signing secret is optional here.
    app = build_app(
        crewbot,
        signing_secret=crewbot.secrets.get("slack_signing_secret") or "",
        client=client,
        process_before_response=False,
    )
    # Locally, workflows and schedules run in this process on real time (nothing in AWS).
    from bot.events.ticker import start_ticker

    ticker = start_ticker(crewbot)
    logger.info("connecting to Slack over Socket Mode")
    try:
        SocketModeHandler(app, app_token).start()
    finally:
        if ticker is not None:
            ticker.stop()
