"""A plugin whose button adds a reaction: its Web API call needs a scope the committed manifest lacks."""

from __future__ import annotations

from typing import Any

from bot import hookimpl
from bot.slack.registry import Action


def react(body: dict[str, Any], client: Any) -> None:
    client.reactions_add(channel=body["channel"]["id"], timestamp=body["message"]["ts"], name="eyes")


@hookimpl
def register_actions() -> list[Action]:
    return [Action("react_with_eyes", react)]
