"""`/crewbot agents`: lists the agents a user may talk to and switches their default with a button."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot import hookimpl

SPEC = """
name: {name}
description: {description}
model: default
prompt: {name}.md
tools: []
access:
  roles: {roles}
"""


def agent_plugin(folder: Path, *agents: tuple[str, str, list[str]]) -> types.SimpleNamespace:
    paths = []
    for name, description, roles in agents:
        (folder / f"{name}.md").write_text(f"You are {name}.\n")
        path = folder / f"{name}.yaml"
        path.write_text(SPEC.format(name=name, description=description, roles=roles))
        paths.append(path)

    @hookimpl
    def register_agents() -> list[Path]:
        return paths

    return types.SimpleNamespace(register_agents=register_agents)


def test_agents_lists_and_switches_the_default(crewbot_emulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    plugin = agent_plugin(
        tmp_path, ("helpdesk", "Answers IT questions.", []), ("auditor", "Reviews access logs.", ["admin"])
    )
    emulator = crewbot_emulator_factory([("extra_agents", plugin)])
    emulator.act_as("alice")
    user = emulator.current_user

    listing = emulator.command("/crewbot agents")
    assert "meeting_coordinator* _(your default)_" in listing.text
    assert "helpdesk" in listing.text and "auditor" not in listing.text  # auditor is for admins only

    switched = emulator.click("Use helpdesk")
    assert "your messages now go to *helpdesk*" in switched.text
    assert emulator.crewbot.agents.default_agent(user) == "helpdesk"
    assert emulator.crewbot.records.users.get(user).default_agent == "helpdesk"

    refused = emulator.command("/crewbot agents use auditor")
    assert "may not use the agent 'auditor'" in refused.text
    unknown = emulator.command("/crewbot agents use nobody")
    assert "There is no agent called `nobody`" in unknown.text
    assert emulator.crewbot.agents.default_agent(user) == "helpdesk"

    emulator.act_as("admin")
    assert "auditor" in emulator.command("/crewbot agents").text
    assert "now go to *auditor*" in emulator.command("/crewbot agents use auditor").text
