"""Each phase is a Strands Swarm of the seed's agent subset with its limits; the agents have no session
manager of their own (the Swarm has one); a Swarm that exceeds its limits fails the phase, which the
workflow catches: the channel is told, the project paused, the failure recorded as a blocker, and an approver
chooses Retry (the phase runs again) or Stop."""

from __future__ import annotations

import re
from typing import Any

from bot.agents.model_events import ToolCall
from bot.agents.scripted import ScriptedModel
from plugins.projects.crew import PHASES
from plugins.projects.records import project_records
from plugins.projects.runner import PhaseRunner
from plugins.projects.service import project_service
from tests.projects.conftest import new_project, project_named


def test_each_phase_swarm_has_its_agents_and_limits(emu: Any) -> None:
    new_project(emu)
    project = project_named(emu)
    run = project_service(emu.crewbot).items.runs(project.project_id, "discovery")[0]
    expected = {
        "discovery": (["pm", "sa"], 10, 10, 900, 6, 2),
        "architecture": (["sa", "infra", "security"], 15, 15, 1200, 8, 3),
        "poc": (["dev", "infra", "data", "security", "sa"], 20, 20, 1800, 8, 3),
        "production": (["dev", "infra", "data", "security", "qa"], 25, 25, 2400, 10, 3),
        "handoff": (["pm", "sa"], 10, 10, 900, 6, 2),
        "retrospective": (["pm", "qa"], 10, 10, 900, 6, 2),
    }
    for name, (agents, handoffs, iterations, timeout, window, unique) in expected.items():
        swarm = PhaseRunner(emu.crewbot).build_swarm(project, PHASES[name], run, {})
        assert list(swarm.nodes) == agents and swarm.entry_point.name == agents[0]
        assert (swarm.max_handoffs, swarm.max_iterations, swarm.execution_timeout, swarm.node_timeout) == (
            handoffs,
            iterations,
            timeout,
            300,
        )
        assert (swarm.repetitive_handoff_detection_window, swarm.repetitive_handoff_min_unique_agents) == (
            window,
            unique,
        )
        assert swarm.session_manager is not None
        assert all(node.executor._session_manager is None for node in swarm.nodes.values())
        assert not PHASES[name].gate if name == "retrospective" else PHASES[name].gate


def ping_pong(messages: list[dict[str, Any]], tool_specs: list[dict[str, Any]]) -> Any:
    """Hand off to the other agent, every time: a Swarm that never finishes on its own."""
    last = messages[-1]
    if any("toolResult" in block for block in last.get("content", [])):
        return "handed off"
    text = " ".join(b.get("text", "") for m in messages for b in m.get("content", []) if "text" in b)
    other = re.findall(r"Agent name: (\w+)\.", text)[-1]
    return ToolCall("handoff_to_agent", {"agent_name": other, "message": "back to you"})


def test_a_swarm_over_its_limits_fails_the_phase_and_pauses_the_project(emu: Any) -> None:
    script = ScriptedModel([ping_pong], repeat_last=True)
    emu.crewbot.agents.models.override("offline", lambda: script)
    text = new_project(emu).text
    assert "*Discovery* failed (the Swarm stopped with status failed" in text
    assert "retrying it automatically once (attempt 2)" in text
    assert "Discovery* of Acme store failed" in text and "already retried automatically once" in text
    assert "[Retry]" in text
    project = project_named(emu)
    assert project.status == "paused"
    runs = project_service(emu.crewbot).items.runs(project.project_id, "discovery")
    assert [r["status"] for r in runs] == ["failed", "failed"] and runs[1]["auto_retry"]
    assert len(runs[0]["node_history"]) == PHASES["discovery"].swarm.max_handoffs
    blockers = project_records(emu.crewbot).ledger.for_project(project.project_id, "blocker")
    assert blockers and blockers[0].status == "open" and "Discovery failed" in blockers[0].text
    # Stop ends the project (only approvers may).
    assert "only the approvers" in emu.play("as alice\nclick Stop")
    emu.play("""
        as dev
        click Stop
        expect Stopped by @dev
    """)
    assert project_named(emu).status == "cancelled"
    [execution] = [e for e in emu.crewbot.workflows.list("project_phases")]
    assert execution.status == "FAILED"


def test_retry_runs_a_failed_phase_again(emu: Any) -> None:
    from bot.agents.offline import OfflineModel

    emu.crewbot.agents.models.override("offline", lambda: ScriptedModel([ping_pong], repeat_last=True))
    new_project(emu)  # the automatic retry fails too
    emu.crewbot.agents.models.override("offline", lambda: OfflineModel())  # the next attempt works
    emu.play("""
        click Retry
        expect Retried by @dev
        expect Discovery is ready for review
    """)
    project = project_named(emu)
    runs = project_service(emu.crewbot).items.runs(project.project_id, "discovery")
    assert [r["status"] for r in runs] == ["failed", "failed", "completed"]
    assert [bool(r.get("auto_retry")) for r in runs] == [False, True, False]  # a person's Retry is no auto retry
    assert project_named(emu).status == "awaiting_approval"
    assert "Blockers: none" in emu.command("/project status Acme store").text
    audit = emu.crewbot.records.audit.for_scope(f"project#{project.project_id}")
    assert [e.action for e in audit if e.action.startswith("phase_")] == ["phase_retry"]


def test_a_failed_phase_is_retried_automatically_once_and_a_success_needs_no_card(emu: Any) -> None:
    from bot.agents.offline import OfflineModel

    failures = iter([ScriptedModel([ping_pong], repeat_last=True)] * len(PHASES["discovery"].agents))
    # The first attempt's agents get the ping-pong script; the retry's agents the offline crew (a passing glitch).
    emu.crewbot.agents.models.override("offline", lambda: next(failures, None) or OfflineModel())
    text = new_project(emu).text
    assert "retrying it automatically once (attempt 2)" in text and "Discovery is ready for review" in text
    assert "[Retry]" not in text
    project = project_named(emu)
    service = project_service(emu.crewbot)
    assert service.items.recoveries(project.project_id) == []
    assert "Blockers: none" in emu.command("/project status Acme store").text
