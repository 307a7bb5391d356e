"""A plugin that adds a command, to prove `crewbot manifest --check` notices an unregenerated manifest."""

from __future__ import annotations

from typing import Any

from bot import hookimpl
from bot.slack.registry import SlashCommand


def standup(respond: Any) -> None:
    respond("standup!")


@hookimpl
def register_commands() -> list[SlashCommand]:
    return [SlashCommand("/standup", standup, description="Start the daily standup")]
