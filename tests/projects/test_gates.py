"""Approval gates: Revise re-runs the phase with the feedback visible to the agents, Approve moves on; only
approvers may decide; a gate is decided once (one task success), and an old gate answers clearly."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from plugins.projects.items import AlreadyDecided
from plugins.projects.records import project_records
from plugins.projects.service import NotApprover, project_service
from tests.projects.conftest import new_project, project_named


def count_task_successes(crewbot: Any) -> list[Any]:
    """Record every send_task_success the runtime's engine receives (and still send it)."""
    engine = crewbot.workflows
    sent: list[Any] = []
    original = engine.send_task_success

    def counting(token: str, output: Any) -> Any:
        sent.append(output)
        return original(token, output)

    engine.send_task_success = counting
    return sent


def gates(emu: Any) -> list[dict[str, Any]]:
    return project_service(emu.crewbot).items.gates(project_named(emu).project_id)


def test_revise_reruns_the_phase_with_the_feedback_and_approve_moves_on(emu: Any) -> None:
    new_project(emu)
    service = project_service(emu.crewbot)
    project = project_named(emu)
    assert [g["phase"] for g in gates(emu)] == ["discovery"]
    emu.play("""
        click Revise
        submit feedback="Add a disaster recovery plan for the EU region"
        expect started again (attempt 2)
        expect Discovery is ready for review
    """)
    runs = service.items.runs(project.project_id, "discovery")
    assert [r["attempt"] for r in runs] == [1, 2]
    assert runs[1]["feedback"] == ["Add a disaster recovery plan for the EU region"]
    # Visible to the agents: in the ledger they read, and in what they wrote on the second attempt.
    ledger = [e.text for e in project_records(emu.crewbot).ledger.for_project(project.project_id, "decision")]
    assert any("disaster recovery plan" in text for text in ledger)
    plan = service.artifacts(project.project_id).read("docs/project-plan/project-plan.md")
    assert "Revised to address the customer's feedback: Add a disaster recovery plan" in plan
    emu.play("""
        click Approve
        submit quality=4 relevance=5
        expect Approved by @dev — quality 4/5, relevance 5/5
        expect *Architecture* started
        expect Architecture is ready for review
    """)
    decided = {g["status"] for g in gates(emu) if g["phase"] == "discovery"}
    assert decided == {"revised", "approved"}
    assert project_named(emu).phase == "architecture"
    audit = emu.crewbot.records.audit.for_scope(f"project#{project.project_id}", newest_first=False)
    actions = [(e.action, e.actor, e.target) for e in audit if e.action.startswith("gate_")]
    assert sorted(actions) == [
        ("gate_approved", emu.user("dev"), "discovery"),
        ("gate_revised", emu.user("dev"), "discovery"),
    ]
    assert audit[-1].at is not None


def test_a_non_approver_is_refused_and_audited(emu: Any) -> None:
    new_project(emu)
    emu.play("""
        as alice
        click Approve
        expect only the approvers of Acme store
        click Revise
        expect only the approvers of Acme store
    """)
    assert emu.fake.open_modal(emu.user("alice")) is None
    assert {g["status"] for g in gates(emu)} == {"pending"}
    audit = emu.crewbot.records.audit.for_scope(f"project#{project_named(emu).project_id}")
    assert [e.actor for e in audit if e.action == "gate_refused"] == [emu.user("alice")] * 2
    # Admins may decide any project's gates.
    emu.play("""
        as admin
        click Approve
        submit
        expect *Architecture* started
    """)


def test_a_double_approve_sends_one_task_success(emu: Any) -> None:
    new_project(emu)
    sent = count_task_successes(emu.crewbot)
    gate_message = next(m for m in reversed(emu.fake.messages) if "ready for review" in m.text)
    buttons = copy.deepcopy(next(b for b in gate_message.blocks if b.get("type") == "actions"))
    emu.act_as("admin")
    emu.click("Approve")  # both approvers open the modal on the same gate ...
    emu.act_as("dev")
    emu.click("Approve")
    emu.submit({})  # ... dev approves first
    approvals = [s for s in sent if isinstance(s, dict) and s.get("decision") == "approve"]
    assert len(approvals) == 1
    emu.act_as("admin")
    turn = emu.submit({})  # the admin's modal is now out of date
    assert f"already decided: approved by <@{emu.user('dev')}>" in turn.text
    assert len([s for s in sent if isinstance(s, dict) and s.get("decision") == "approve"]) == 1
    # The decided gate lost its buttons; a press that still arrives for it (a stale client) is answered.
    assert not any(b.get("type") == "actions" for b in gate_message.blocks)
    stale = emu._press_on_message(gate_message, buttons, buttons["elements"][1])  # its Revise button
    assert "already decided: approved by @dev" in stale.text
    assert len([s for s in sent if isinstance(s, dict) and s.get("decision") == "approve"]) == 1


def test_concurrent_decisions_on_one_gate_have_one_winner(emu: Any) -> None:
    new_project(emu)
    service = project_service(emu.crewbot)
    project = project_named(emu)
    gate = gates(emu)[0]
    sent = count_task_successes(emu.crewbot)
    outcomes: list[str] = []

    def decide(user: str) -> None:
        try:
            service.decide(project.project_id, gate["item_id"], user, "approved")
            outcomes.append("won")
        except AlreadyDecided:
            outcomes.append("already decided")

    threads = [threading.Thread(target=decide, args=(emu.user(name),)) for name in ("dev", "admin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already decided", "won"]
    assert len([s for s in sent if isinstance(s, dict) and s.get("decision") == "approve"]) == 1
    with pytest.raises(AlreadyDecided, match="already decided"):
        service.decide(project.project_id, gate["item_id"], emu.user("dev"), "revised", feedback="too late")
    with pytest.raises(NotApprover):
        service.decide(project.project_id, gate["item_id"], emu.user("mallory"), "approved")


def test_approvers_can_add_approvers(emu: Any) -> None:
    new_project(emu)
    alice = emu.user("alice")
    assert "only the approvers" in emu.play(f"as alice\n/project approvers Acme store add <@{alice}>")
    emu.play(f"""
        as dev
        /project approvers Acme store add <@{alice}>
        expect Approvers of *Acme store*: @dev, @alice
        /project approvers Acme store remove <@{emu.user("dev")}>
        expect Approvers of *Acme store*: @alice
        /project approvers Acme store add bob
        expect 'bob' is not a user
    """)
    emu.play("""
        as alice
        click Approve
        submit
        expect Approved by @alice
    """)
    audit = emu.crewbot.records.audit.for_scope(f"project#{project_named(emu).project_id}")
    assert sorted(e.action for e in audit if e.action.startswith("approvers_")) == ["approvers_add", "approvers_remove"]


def test_with_a_model_the_pm_review_adds_its_assessment(emu: Any) -> None:
    from bot.agents.model_events import ToolCall
    from bot.agents.scripted import ScriptedModel
    from bot.workflows.tasks import TaskContext
    from plugins.projects.workflow_tasks import review_phase

    new_project(emu)  # on the offline crew: the review is the deterministic checks only
    project = project_named(emu)
    first = project_service(emu.crewbot).items.gates(project.project_id)[0]["review"]["summary"]
    assert "PM:" not in first
    script = ScriptedModel([ToolCall("read_task_ledger", {}), "The plan covers the SOW; the DR plan is still missing."])
    emu.crewbot.agents.models.override("nova-lite", lambda: script)
    review = review_phase(
        {"project_id": project.project_id, "phase": "discovery"},
        TaskContext(task="ReviewProjectPhase", crewbot=emu.crewbot),
    )
    assert review["summary"].endswith("PM: The plan covers the SOW; the DR plan is still missing.")
    assert script.requests[0].tool_names == ["read_task_ledger", "read_artifact"]
    summary = project_service(emu.crewbot).artifacts(project.project_id).read("docs/phases/discovery-summary.md")
    assert "the DR plan is still missing" in summary


def test_revision_feedback_stays_in_chronological_order(emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gates asked for within one second have the same stored time: their random ids must not decide the order
    (here each new id sorts before the previous one)."""
    import plugins.projects.items as items

    countdown = iter(range(999, 0, -1))
    monkeypatch.setattr(items, "new_id", lambda: f"{next(countdown):03d}" + "0" * 29)
    new_project(emu)
    for text in ("Revision one: more detail", "Revision two: add DR", "Revision three: cut scope"):
        emu.play(f"""
            click Revise
            submit feedback="{text}"
            expect Discovery is ready for review
        """)
    service = project_service(emu.crewbot)
    project = project_named(emu)
    expected = ["Revision one: more detail", "Revision two: add DR", "Revision three: cut scope"]
    assert service.feedback_for(project.project_id, "discovery") == expected
    assert service.items.runs(project.project_id, "discovery")[-1]["feedback"] == expected
    latest = service.items.gates(project.project_id)[-1]
    assert latest["attempt"] == 4 and latest["review"]["summary"].endswith("revised for: Revision three: cut scope")
    status = emu.command("/project status Acme store").text
    assert status.index("attempt 2 revised") < status.index("attempt 3 revised")
