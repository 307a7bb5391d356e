"""``crewbot run``: connect to a real Slack workspace over Socket Mode."""

from __future__ import annotations

import argparse
import sys

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="connect to Slack over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)")
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    from bot.slack.socket_mode import has_socket_mode_tokens, run_socket_mode

    crewbot = ctx.crewbot
    if not has_socket_mode_tokens(crewbot):
        print(
            "crewbot run: Socket Mode needs a bot token and an app-level token: set "
            f"{crewbot.secrets.describe('slack_bot_token')} and {crewbot.secrets.describe('slack_app_token')} "
            "(see docs/slack.md), or use `crewbot dev` for the local Slack emulator.",
            file=sys.stderr,
        )
        return 2
    crewbot.agents.validate()  # a broken agent spec stops start-up here, naming file and key
    ctx.print(
        f"Crewbot {crewbot.config.project} ({crewbot.config.environment}) connecting to Slack over Socket Mode;"
        " Ctrl-C stops it."
    )
    run_socket_mode(crewbot)
    return 0
