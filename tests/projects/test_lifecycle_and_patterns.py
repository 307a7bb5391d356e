"""The whole lifecycle on the offline crew (every phase, the Retrospective without a gate, lessons and a
contributed pattern), and the pattern library rules: search, use, outcomes, promotion by QA only after
3 uses with more than 80% success."""

from __future__ import annotations

from typing import Any

import pytest

from bot.agents.tools import CALL_KEY, CallContext, ToolError
from plugins.projects.crew import PHASE_ORDER
from plugins.projects.patterns import PatternError
from plugins.projects.service import project_service
from plugins.projects.tools import PHASE_KEY, PROJECT_KEY, promote_pattern, update_task_ledger
from tests.projects.conftest import new_project, project_named


def approve(emu: Any) -> str:
    emu.click("Approve")
    return emu.submit({"quality": "5"}).text


def test_a_project_runs_through_every_phase_to_the_retrospective(emu: Any) -> None:
    new_project(emu)
    for phase in PHASE_ORDER[1:]:
        text = approve(emu)
        assert project_named(emu).phase == phase
        if phase != "retrospective":
            assert "is ready for review" in text
    assert "is delivered" in text and "lesson(s) recorded" in text
    project = project_named(emu)
    service = project_service(emu.crewbot)
    assert project.status == "completed"
    gates = service.items.gates(project.project_id)
    assert sorted(g["phase"] for g in gates) == sorted(PHASE_ORDER[:-1])  # no gate after the Retrospective
    assert {g["status"] for g in gates} == {"approved"}
    lessons = service.items.lessons(project.project_id)
    assert any("timeline" in lesson["text"] for lesson in lessons)
    [pattern] = service.patterns.search("architecture")
    assert pattern["tier"] == "candidate" and pattern["name"] == "Acme store architecture"
    files = service.artifacts(project.project_id).files()
    for expected in (
        "tests/test-plan.md",
        "docs/handoff/runbook.md",
        "docs/retrospective/lessons.md",
        "docs/phases/retrospective-summary.md",
        "infra/production.tf",
    ):
        assert expected in files
    lessons_doc = service.artifacts(project.project_id).read("docs/retrospective/lessons.md")
    assert "Acme store architecture (candidate" in lessons_doc
    status = emu.command("/project status Acme store").text
    assert "phase *Retrospective* (6 of 6) · completed" in status and "Retrospective (1 run): pm" in status
    [run] = [e for e in emu.crewbot.workflows.list("project_phases") if e.name == f"project-{project.project_id}"]
    assert run.status == "SUCCEEDED"


def _tool_context(emu: Any, project_id: str, agent: str) -> Any:
    class Agent:
        name = agent

    class Context:
        invocation_state = {
            CALL_KEY: CallContext(user_id="project", session_id="s", agent="crew", crewbot=emu.crewbot),
            PROJECT_KEY: project_id,
            PHASE_KEY: "retrospective",
        }
        tool_use = {"toolUseId": "t1", "name": "x"}

    context = Context()
    context.agent = Agent()  # type: ignore[attr-defined]
    return context


def test_patterns_are_promoted_by_qa_after_three_successful_uses(emu: Any) -> None:
    new_project(emu)
    project = project_named(emu)
    service = project_service(emu.crewbot)
    library = service.patterns
    item = library.contribute(
        name="Serverless shop",
        category="architecture",
        tags=["serverless", "shop"],
        description="API Gateway, Lambda, DynamoDB",
        file_name="docs/architecture/a.md",
        content="# A",
        project_id=project.project_id,
        author="pm",
    )
    pattern_id = item["pattern_id"]
    assert [p["pattern_id"] for p in library.search("serverless lambda")] == [pattern_id]
    assert library.search("kubernetes") == []
    with pytest.raises(PatternError, match="needs 3\\+ uses"):
        library.promote(pattern_id)
    for success in (True, True, False):
        library.use(pattern_id)
        library.record_outcome(pattern_id, success)
    assert library.view(library.get(pattern_id))["success_rate"] == 0.67
    with pytest.raises(PatternError, match=r"success rate 0\.67"):
        library.promote(pattern_id)
    for _ in range(3):
        library.use(pattern_id)
        library.record_outcome(pattern_id, True)
    assert library.view(library.get(pattern_id))["eligible_for_promotion"] is True  # 5 of 6 = 83%
    # Only QA may promote, and only the PM writes the ledger.
    with pytest.raises(ToolError, match="only the qa agent may promote patterns"):
        promote_pattern.function(pattern_id, tool_context=_tool_context(emu, project.project_id, "sa"))
    with pytest.raises(ToolError, match="only the pm agent may write the task ledger"):
        update_task_ledger.function("fact", "x", tool_context=_tool_context(emu, project.project_id, "qa"))
    promoted = promote_pattern.function(pattern_id, tool_context=_tool_context(emu, project.project_id, "qa"))
    assert promoted["pattern"]["tier"] == "proven"


def test_using_a_pattern_copies_it_and_its_outcome_follows_the_gate(emu: Any) -> None:
    new_project(emu)
    service = project_service(emu.crewbot)
    project = project_named(emu)
    item = service.patterns.contribute(
        name="Runbook",
        category="delivery",
        tags=[],
        description="ops",
        file_name="runbook.md",
        content="# Runbook",
        project_id="other",
        author="pm",
    )
    [run] = service.items.runs(project.project_id, "discovery")
    context = _tool_context(emu, project.project_id, "sa")
    context.invocation_state["run_item"] = run["item_id"]
    from plugins.projects.tools import use_pattern

    used = use_pattern.function(item["pattern_id"], tool_context=context)
    assert used["path"] == f"docs/architecture/patterns/{item['pattern_id']}-runbook.md"
    assert service.artifacts(project.project_id).read(used["path"]) == "# Runbook"
    approve(emu)  # the Discovery run that used it is approved: one success
    stored = service.patterns.get(item["pattern_id"])
    assert (stored["times_used"], stored["successes"], stored["failures"]) == (1, 1, 0)


def test_a_later_project_starts_from_a_proven_pattern(emu: Any) -> None:
    service = project_service(emu.crewbot)
    item = service.patterns.contribute(
        name="Serverless web shop",
        category="architecture",
        tags=["serverless"],
        description="Reference architecture",
        file_name="architecture.md",
        content="# Proven shop architecture",
        project_id="earlier",
        author="pm",
    )
    library = service.patterns
    for _ in range(3):
        library.use(item["pattern_id"])
        library.record_outcome(item["pattern_id"], True)
    library.promote(item["pattern_id"])
    new_project(emu)
    approve(emu)  # Discovery approved: the SA designs the architecture from the proven pattern
    project = project_named(emu)
    copied = f"docs/architecture/patterns/{item['pattern_id']}-architecture.md"
    assert service.artifacts(project.project_id).read(copied) == "# Proven shop architecture"
    [run] = service.items.runs(project.project_id, "architecture")
    assert run["patterns_used"] == [item["pattern_id"]]
    approve(emu)  # its outcome follows the Architecture gate
    assert service.patterns.get(item["pattern_id"])["successes"] == 4
