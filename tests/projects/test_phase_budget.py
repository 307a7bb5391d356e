"""A crew agent's token budget per attempt of a phase (``budget.tokens_per_phase``): at the limit its model
calls stop with a message naming the budget, the stop is audited, and the other agents work on."""

from __future__ import annotations

from typing import Any

from plugins.projects.crew import PHASES
from plugins.projects.runner import phase_budget
from tests.projects.conftest import new_project, project_named


def test_the_shipped_crew_has_a_budget_per_phase_attempt(emu: Any) -> None:
    for name in PHASES["production"].agents:
        assert emu.crewbot.agents.registry.get(name).budget.tokens_per_phase == 400_000


def test_a_crew_agent_over_its_phase_budget_is_stopped_and_the_stop_audited(emu: Any) -> None:
    registry = emu.crewbot.agents.registry
    pm = registry.get("pm")
    tight = pm.model_copy(update={"budget": pm.budget.model_copy(update={"tokens_per_phase": 1})})
    registry.agents["pm"] = tight
    turn = new_project(emu)
    project = project_named(emu)
    entries = emu.crewbot.records.audit.for_scope(f"user#project:{project.project_id}")
    stops = [e for e in entries if e.action == "agent_budget_stopped"]
    assert stops and {e.target for e in stops} == {"pm"}
    assert stops[0].detail["budget"] == "tokens_per_phase" and stops[0].detail["limit"] == 1
    # The phase still ends at its review, which shows what the stopped agent did not write.
    shown = "\n".join(emu.render(emu.new_outputs())) + turn.text
    assert "Discovery is ready for review" in shown, shown[-2000:]


def test_the_stop_names_the_budget_the_phase_and_what_to_do() -> None:
    state = phase_budget("pm", 400_000, PHASES["discovery"])
    assert state.remaining == 400_000 and state.state == "ok"
    assert "400,000 tokens for one attempt of Discovery" in state.stop_message
    assert "budget.tokens_per_phase" in state.stop_message and "Revise the phase" in state.stop_message
    assert phase_budget("pm", None, PHASES["discovery"]).remaining is None
