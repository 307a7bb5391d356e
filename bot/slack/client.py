"""The runtime's Slack Web API client, for posting outside a Slack request (schedules, workflows).

``slack_client(crewbot)`` returns one ``WebClient`` per runtime, built from the bot token in
``crewbot.secrets``. The emulator installs its own client (pointed at the fake Slack API) the same
way, so code that posts reminders or approval requests works unchanged in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.runtime import Crewbot

_SERVICE = "slack.client"


def slack_client(crewbot: Crewbot) -> WebClient:
    """The runtime's WebClient (``SecretNotFound`` when no bot token is configured)."""

    def build() -> WebClient:
        from slack_sdk import WebClient

        return WebClient(token=crewbot.secrets.require("slack_bot_token"))

    return crewbot.service(_SERVICE, build)


def install_slack_client(crewbot: Crewbot, client: WebClient) -> None:
    """Make ``client`` the runtime's WebClient (the emulator and Socket Mode do this at start)."""
    crewbot.set_service(_SERVICE, client)
