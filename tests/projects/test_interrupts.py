"""Questions from agents: the PM asks the customer (a Strands interrupt) when the SOW has no timeline; the
answer resumes the Swarm where it stopped — also in a new runtime on the same data directory."""

from __future__ import annotations

import copy
from typing import Any

from bot.emulator.workspace import Emulator
from plugins.projects.offline_crew import TIMELINE_QUESTION
from plugins.projects.records import project_records
from plugins.projects.service import project_service
from tests.projects.conftest import SOW_WITHOUT_TIMELINE, WITHOUT_SUPERVISOR, new_project, project_named


def test_an_answer_after_a_restart_resumes_the_swarm(crewbot_emulator_factory: Any, crewbot_home: Any) -> None:
    first = crewbot_emulator_factory()
    turn = new_project(first, sow=SOW_WITHOUT_TIMELINE)
    assert "pm asks" in turn.text.lower() and "target timeline" in turn.text
    project = project_named(first)
    service = project_service(first.crewbot)
    [run] = service.items.runs(project.project_id, "discovery")
    assert run["status"] == "interrupted"
    [question] = service.items.questions(project.project_id)
    assert question["question"] == TIMELINE_QUESTION and question["agent"] == "pm"
    assert service.items.gates(project.project_id) == []
    blockers = project_records(first.crewbot).ledger.for_project(project.project_id, "blocker")
    assert [b.status for b in blockers] == ["open"]
    first.close()

    # A new process: new runtime, new emulator, same CREWBOT_HOME. The question message is restored in the
    # new fake workspace (the real Slack keeps it), and the Answer button resumes the stored Swarm.
    second = Emulator.start(home=crewbot_home)
    try:
        message = next(m for m in first.fake.messages if "pm asks" in m.text)
        second.fake.restore_message(message)
        buttons = copy.deepcopy(next(b for b in message.blocks if b["type"] == "actions"))
        second.play("""
            click Answer
            submit answer="Go-live by 1 March, in 8 weeks"
            expect Resuming *Discovery* with your answer
            expect Discovery is ready for review
        """)
        service = project_service(second.crewbot)
        [run] = service.items.runs(project.project_id, "discovery")
        assert run["status"] == "completed"
        # Resumed where it stopped: the PM went on from its question (no second read of the SOW from scratch
        # in a new attempt), then handed off to the SA.
        assert run["node_history"] == ["pm", "sa"]
        turns = [
            (r["agent"], r["tools"])
            for r in second.crewbot.agents.ledger.records(days=1)
            if r["session_id"] == run["session_id"]
        ]
        pm_turns = sorted(tools for agent, tools in turns if agent == "pm")
        # Before the restart the PM read the ledger and stopped at its question; after it, the same turn went
        # on from the question (the tool now returns the answer) without starting over.
        assert pm_turns[0][:2] == ["ask_customer", "update_task_ledger"] and "read_task_ledger" not in pm_turns[0]
        assert pm_turns[1] == ["read_task_ledger"]
        facts = [e.text for e in project_records(second.crewbot).ledger.for_project(project.project_id, "fact")]
        assert "Timeline: Go-live by 1 March, in 8 weeks" in facts
        requirements = service.artifacts(project.project_id).read("docs/project-plan/requirements.md")
        assert "Go-live by 1 March, in 8 weeks" in requirements
        blockers = project_records(second.crewbot).ledger.for_project(project.project_id, "blocker")
        assert [b.status for b in blockers] == ["resolved"]
        assert [g["phase"] for g in service.items.gates(project.project_id)] == ["discovery"]
        # A second answer to the same question (another approver, a stale message) is refused clearly.
        second.act_as("admin")
        repeat = second._press_on_message(message, buttons, buttons["elements"][0])
        assert "already answered" in repeat.text
    finally:
        second.close()


def test_a_phase_that_never_reports_fails_into_retry_or_stop(crewbot_emulator_factory: Any) -> None:
    """A phase waits for its runner (or a customer's answer) at most 7 days; then the channel gets Retry / Stop
    instead of an execution that waits forever."""
    emulator = crewbot_emulator_factory(only=WITHOUT_SUPERVISOR)
    new_project(emulator, sow=SOW_WITHOUT_TIMELINE)  # the PM's question stays unanswered
    project = project_named(emulator)
    emulator.advance("6d")
    assert project_records(emulator.crewbot).projects.get(project.project_id).status != "paused"
    text = emulator.last_output_text(emulator.advance("2d"))
    assert (
        "*Discovery* of Acme store failed: nobody decided (or the phase did not report) within the time limit" in text
    )
    assert "[Retry]" in text and "[Stop]" in text
    assert project_records(emulator.crewbot).projects.get(project.project_id).status == "paused"
