"""Specs and the registry: shipped spec loads; mistakes are start-up errors naming the spec and key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from bot import hookimpl
from bot.agents.spec import AgentSpec, load_spec
from bot.agents.tools import ToolRegistration, crewbot_tool
from bot.config import ConfigError
from bot.resources import data_dir

from .conftest import AgentPlugin, MakeCrewbot


class PathPlugin(AgentPlugin):
    def __init__(self, *paths: Path):
        super().__init__()
        self.paths = list(paths)

    @hookimpl
    def register_agents(self) -> list[Path]:  # type: ignore[override]
        return self.paths


def write_spec(folder: Path, name: str, body: str, prompt: str | None = "You help.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if prompt is not None:
        (folder / f"{name}.md").write_text(prompt)
    path = folder / f"{name}.yaml"
    path.write_text(body)
    return path


def test_shipped_meeting_coordinator_spec() -> None:
    spec = load_spec(data_dir("agents") / "meeting_coordinator.yaml")
    assert spec.name == "meeting_coordinator" and len(spec.tools) == 5
    assert spec.system_prompt and "Meeting Coordinator" in spec.system_prompt
    assert spec.conversation.manager == "sliding_window" and spec.budget.tokens_per_session


def test_registry_collects_specs_tools_and_providers(make_crewbot: MakeCrewbot) -> None:
    registry = make_crewbot().agents.validate()
    assert "meeting_coordinator" in registry.agents
    assert registry.tools["save_prep_response"].side_effects == "write"
    assert registry.tools["get_upcoming_meetings"].side_effects == "read"
    assert [p.name for p in registry.providers_for("budget")] == ["org_yaml"]
    assert registry.origin["tool:get_budget_context"] == "meeting_coordinator"


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            "name: bad\ndescription: d\nprompt: bad.md\ntools: [get_budget_context, no_such_tool]\n",
            "tools.1",
            "unknown tool 'no_such_tool'",
        ),
        ("name: bad\ndescription: d\nprompt: bad.md\nmodel: gpt-99\n", "model", "unknown model profile 'gpt-99'"),
        ("name: bad\ndescription: d\nprompt: missing.md\n", "prompt", "not found"),
        ("name: bad\ndescription: d\nprompt: bad.md\ntols: []\n", "tols", "unknown key"),
        ("name: Bad Name\ndescription: d\nprompt: bad.md\n", "name", "should match pattern"),
        ("name: bad\ndescription: d\nprompt: ../bad.md\n", "prompt", "beside the spec"),
        (
            "name: bad\ndescription: d\nprompt: bad.md\nbudget: {tokens_per_session: -1}\n",
            "budget.tokens_per_session",
            "greater than 0",
        ),
    ],
)
def test_bad_spec_is_a_startup_error_naming_the_spec(
    make_crewbot: MakeCrewbot, tmp_path: Path, body: str, key: str, message: str
) -> None:
    path = write_spec(tmp_path / "specs", "bad", body)
    crewbot = make_crewbot(PathPlugin(path))
    with pytest.raises(ConfigError) as caught:
        crewbot.agents.validate()
    [problem] = caught.value.problems
    assert problem.source == str(path) and problem.key == key and message in problem.message


def test_duplicate_agent_and_tool_names_are_errors(make_crewbot: MakeCrewbot) -> None:
    @crewbot_tool(side_effects="read")
    def get_budget_context() -> str:
        """Shadow the built-in tool."""
        return "x"

    twin = AgentSpec(name="meeting_coordinator", description="twin", system_prompt="p")
    crewbot = make_crewbot(AgentPlugin([twin], [get_budget_context]))
    with pytest.raises(ConfigError) as caught:
        crewbot.agents.validate()
    text = str(caught.value)
    assert "tool 'get_budget_context' is already registered by plugin meeting_coordinator" in text
    assert "agent 'meeting_coordinator' is already defined by" in text and "plugin test0" in text


def test_tools_must_be_registrations(make_crewbot: MakeCrewbot) -> None:
    def bare() -> None:
        """Not wrapped."""

    plugin = AgentPlugin()
    plugin.tools = [bare]  # type: ignore[list-item]
    # The plugin host checks what every hook returns: a bare function is that plugin's load error.
    crewbot = make_crewbot(plugin)
    (error,) = crewbot.plugins.errors()["test0"]
    assert error == "register_tools returned 'bare' (function), expected bot.api.ToolRegistration"


def test_side_effects_are_checked() -> None:
    with pytest.raises(ValueError, match="side_effects must be one of read, write, external"):
        ToolRegistration(print, "delete")  # type: ignore[arg-type]


def test_spec_needs_a_prompt() -> None:
    with pytest.raises(ValueError, match="give the system prompt"):
        AgentSpec(name="x", description="d")


def test_deep_validation_reports_tools_strands_cannot_describe(make_crewbot: MakeCrewbot) -> None:
    @crewbot_tool(side_effects="read")
    def odd(limit: Annotated[int, Field(gt=0)]) -> int:
        """A tool whose annotation Strands rejects (pydantic.Field inside Annotated)."""
        return limit

    crewbot = make_crewbot(AgentPlugin(tools=[odd]))
    crewbot.agents.validate()  # the cheap check does not build tools
    with pytest.raises(ConfigError) as caught:
        crewbot.agents.validate(deep=True)
    [problem] = caught.value.problems
    assert problem.source == "plugin test0" and problem.key == "tool odd"
    assert "cannot be used as a Strands tool" in problem.message and "NotImplementedError" in problem.message
