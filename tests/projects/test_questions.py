"""Questions that get answered: a question of an earlier attempt does not stay open, a SOW with nothing in
it makes the PM ask first, and ``/project answer`` lists the open questions with Answer buttons (also in a
new runtime on the same data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.emulator.workspace import Emulator
from plugins.projects.offline_crew import SCOPE_QUESTION, TIMELINE_QUESTION
from plugins.projects.records import project_records
from plugins.projects.service import project_service
from tests.projects.conftest import SOW_WITHOUT_TIMELINE, new_project, project_named

#: A SOW template sent before anyone filled it in.
EMPTY_SOW = "# Acme store\n\n## Objectives\n\n## Requirements\n\n## Deliverables\n\n## Acceptance criteria\n"


def open_blockers(emu: Any, project_id: str) -> list[str]:
    return [
        e.text for e in project_records(emu.crewbot).ledger.for_project(project_id, "blocker") if e.status == "open"
    ]


def test_a_question_of_an_earlier_attempt_does_not_stay_open(emu: Any) -> None:
    new_project(emu, sow=SOW_WITHOUT_TIMELINE)  # the PM asks for the timeline; nobody answers for a week
    project = project_named(emu)
    service = project_service(emu.crewbot)
    text = emu.last_output_text(emu.advance("8d"))
    assert "*Discovery* of Acme store failed" in text
    emu.play("""
        click Retry
        expect Retried by @dev
        expect pm asks
    """)
    first, second = service.items.questions(project.project_id)
    assert first["status"] == "superseded" and second["status"] == "open"
    assert first["question"] == second["question"] == TIMELINE_QUESTION
    # The question of attempt 1 lost its button and says why; attempt 2's is the one to answer.
    old = next(m for m in emu.fake.messages if m.ts == first["ts"])
    assert not any(b.get("type") == "actions" for b in old.blocks) and "earlier attempt" in old.text
    emu.play("""
        click Answer
        submit answer="Go-live in 6 weeks"
        expect Discovery is ready for review
    """)
    [gate] = service.items.gates(project.project_id)
    assert gate["review"]["open_blockers"] == []
    assert open_blockers(emu, project.project_id) == []
    status = emu.command("/project status Acme store").text
    assert "Questions waiting for you" not in status and "Blockers: none" in status


def test_an_answer_resolves_its_blocker_at_once(emu: Any) -> None:
    new_project(emu, sow=SOW_WITHOUT_TIMELINE)
    project = project_named(emu)
    service = project_service(emu.crewbot)
    [question] = service.items.questions(project.project_id)
    assert open_blockers(emu, project.project_id) == [f"Waiting for the customer: {TIMELINE_QUESTION}"]
    # The answer is in: whatever the resumed phase does next (finish, fail), nobody waits for the customer now.
    emu.crewbot.workflows.send_task_success = lambda token, output: None  # keep the workflow where it is
    service.items.update(project.project_id, question["run_item"], status="failed")  # the run died meanwhile
    service.answer(project.project_id, question["item_id"], emu.user("dev"), "In 8 weeks")
    assert open_blockers(emu, project.project_id) == []
    assert "Thanks — recorded" in emu.fake.messages[-1].text


def test_a_sow_with_nothing_in_it_makes_the_pm_ask_first(emu: Any) -> None:
    turn = new_project(emu, sow=EMPTY_SOW)
    assert "0 objectives, 0 requirements" in turn.text
    assert "pm asks" in turn.text.lower() and "could not find any objectives" in turn.text
    assert "@dev" in turn.text  # the approvers are named, so Slack notifies them
    project = project_named(emu)
    service = project_service(emu.crewbot)
    assert service.items.gates(project.project_id) == []
    assert service.artifacts(project.project_id).files() == []  # nothing planned from nothing
    [question] = service.items.questions(project.project_id)
    assert question["question"] == SCOPE_QUESTION
    emu.play("""
        click Answer
        submit answer="An online shop for our 300 products, live by June"
        expect Discovery is ready for review
    """)
    facts = [e.text for e in project_records(emu.crewbot).ledger.for_project(project.project_id, "fact")]
    assert "Scope: An online shop for our 300 products, live by June" in facts


def test_project_answer_lists_open_questions_also_after_a_restart(
    crewbot_emulator_factory: Any, crewbot_home: Any
) -> None:
    first = crewbot_emulator_factory()
    new_project(first, sow=SOW_WITHOUT_TIMELINE)
    project = project_named(first)
    first.close()
    # A new process, a new workspace without the original question message: the command finds the question.
    second = Emulator.start(home=crewbot_home)
    try:
        listing = second.command("/project answer Acme store").text
        assert "1 open question(s)" in listing and TIMELINE_QUESTION in listing and "[Answer]" in listing
        second.play("""
            click Answer
            submit answer="Go-live by 1 March"
            expect Resuming *Discovery* with your answer
            expect Discovery is ready for review
        """)
        assert "has no open questions" in second.command("/project answer Acme store").text
        [run] = project_service(second.crewbot).items.runs(project.project_id, "discovery")
        assert run["status"] == "completed"
        second.act_as("alice")  # not an approver: sees the list, but may not answer
        assert "only the approvers" not in second.command("/project answer Acme store").text
    finally:
        second.close()


def test_an_unanswered_question_is_reminded_then_escalated_outside_quiet_hours(emu: Any) -> None:
    from plugins.projects.reminders import in_quiet_hours
    from plugins.projects.settings import QuietHours

    new_project(emu, sow=SOW_WITHOUT_TIMELINE)
    project = project_named(emu)
    service = project_service(emu.crewbot)
    emu.play(f"/project approvers Acme store add <@{emu.user('alice')}>")
    assert "Reminder" not in emu.last_output_text(emu.advance("29m"))
    text = emu.last_output_text(emu.advance("1m"))
    assert "⏰ *Reminder* @dev: pm asked 30 minutes ago in Discovery of *Acme store*" in text
    assert "@alice" not in text.splitlines()[0] and "[Answer]" in text and TIMELINE_QUESTION in text
    # Quiet hours around the next daily reminder (in UTC: neither approver has a time zone set): it waits.
    due = emu.crewbot.clock.now() + timedelta(days=1)
    quiet = QuietHours(start=f"{(due - timedelta(hours=1)):%H:%M}", end=f"{(due + timedelta(hours=2)):%H:%M}")
    service.settings.reminders.quiet_hours = quiet
    assert in_quiet_hours(quiet.start, quiet.end, "UTC", due)
    assert "Still waiting" not in emu.last_output_text(emu.advance("1d"))
    text = emu.last_output_text(emu.advance("2h"))
    assert "*Still waiting* (escalated to every approver) @dev @alice: pm asked 26 hours ago" in text
    dms = [m for m in emu.fake.messages if m.channel == emu.fake.dm_channel(emu.user("alice"))]
    assert any("Still waiting" in m.text for m in dms)
    audit = emu.crewbot.records.audit.for_scope(f"project#{project.project_id}")
    assert [e.action for e in audit].count("question_escalated") == 1
    # Answered: the reminders stop.
    emu.play("""
        click Answer
        submit answer="In 8 weeks"
        expect Discovery is ready for review
    """)
    assert "Still waiting" not in emu.last_output_text(emu.advance("2d"))
    [question] = service.items.questions(project.project_id)
    assert question["reminders"] == 2 and question["status"] == "answered"
