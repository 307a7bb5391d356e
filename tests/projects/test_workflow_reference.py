"""workflows/project_phases.asl.json on both interpreters — Crewbot's local runner and moto's Step Functions
interpreter — with stub task handlers: a revision loops back to the phase, an approval moves on, a failed
phase waits for Retry / Stop, Stop fails the execution. Both must take the same path."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.resources import data_dir
from bot.storage.sqlite import SqliteStore
from bot.workflows.definitions import load_file
from bot.workflows.local import LocalWorkflowEngine
from bot.workflows.tasks import TaskContext, TaskRegistry, WorkflowTask
from tests.workflows.handlers import Inbox
from tests.workflows.reference import reference_engine

DEFINITION = load_file(data_dir("workflows") / "project_phases.asl.json")
# What the test answers to each waiting task, in order: (task, phase, success output | failure).
SCRIPT: list[tuple[str, str, Any]] = [
    ("RunProjectPhase", "discovery", {"status": "completed"}),
    ("RequestPhaseApproval", "discovery", {"decision": "revise", "feedback": "more detail"}),
    ("RunProjectPhase", "discovery", {"status": "completed"}),
    ("RequestPhaseApproval", "discovery", {"decision": "approve"}),
    ("RunProjectPhase", "architecture", ("Project.PhaseFailed", "limits")),
    ("ProjectPhaseFailed", "architecture", {"decision": "retry"}),
    ("RunProjectPhase", "architecture", ("Project.PhaseFailed", "limits again")),
    ("ProjectPhaseFailed", "architecture", {"decision": "stop"}),
]


def stub_tasks(inbox: Inbox, calls: list[str]) -> TaskRegistry:
    def waiting(name: str) -> Any:
        def handler(payload: dict[str, Any], ctx: TaskContext) -> None:
            calls.append(f"{name}:{payload['phase']}")
            inbox.put(payload["taskToken"], {**payload, "task": name})

        return handler

    def review(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        calls.append(f"ReviewProjectPhase:{payload['phase']}")
        return {
            "phase": payload["phase"],
            "attempt": 1,
            "summary": "ok",
            "deliverables": [],
            "missing": [],
            "open_blockers": [],
            "tokens": 0,
        }

    def finish(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        calls.append("FinishProject")
        return {"tokens": 0, "lessons": 0}

    return TaskRegistry(
        ("tests", WorkflowTask(name, fn))
        for name, fn in (
            ("RunProjectPhase", waiting("RunProjectPhase")),
            ("RequestPhaseApproval", waiting("RequestPhaseApproval")),
            ("ProjectPhaseFailed", waiting("ProjectPhaseFailed")),
            ("ReviewProjectPhase", review),
            ("FinishProject", finish),
        )
    )


def drive(engine: Any, inbox: Inbox, wait: Any) -> tuple[str, str]:
    execution = engine.start("project_phases", {"project_id": "p1"}, name="project-p1")
    for task, phase, answer in SCRIPT:
        [(token, payload)] = wait(inbox)
        assert (payload["task"], payload["phase"]) == (task, phase)
        if isinstance(answer, tuple):
            engine.send_task_failure(token, *answer)
        else:
            engine.send_task_success(token, answer)
    status = wait_for_end(engine, execution.execution_id)
    return status.status, status.error or ""


def wait_for_end(engine: Any, execution_id: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = engine.describe(execution_id)
        if described.status != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


def test_both_interpreters_take_the_same_path(tmp_path: Path) -> None:
    local_calls: list[str] = []
    local_inbox = Inbox()
    store = SqliteStore.in_home(tmp_path)
    local = LocalWorkflowEngine(
        {DEFINITION.name: DEFINITION},
        stub_tasks(local_inbox, local_calls),
        store,
        ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),
    )
    local_outcome = drive(local, local_inbox, lambda inbox: inbox.take())

    def poll(inbox: Inbox) -> list[tuple[str, dict[str, Any]]]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            items = inbox.take()
            if items:
                return items
            time.sleep(0.05)
        raise AssertionError("moto never reached the next waiting task")

    moto_calls: list[str] = []
    moto_inbox = Inbox()
    with reference_engine([DEFINITION], stub_tasks(moto_inbox, moto_calls)) as moto:
        moto_outcome = drive(moto, moto_inbox, poll)
    assert local_outcome == moto_outcome == ("FAILED", "Project.PhaseFailed")
    assert (
        local_calls
        == moto_calls
        == [
            "RunProjectPhase:discovery",
            "ReviewProjectPhase:discovery",
            "RequestPhaseApproval:discovery",
            "RunProjectPhase:discovery",
            "ReviewProjectPhase:discovery",
            "RequestPhaseApproval:discovery",
            "RunProjectPhase:architecture",
            "ProjectPhaseFailed:architecture",
            "RunProjectPhase:architecture",
            "ProjectPhaseFailed:architecture",
        ]
    )
    store.close()


def test_every_wait_for_a_person_has_a_limit(tmp_path: Path) -> None:
    """An undecided gate fails into Retry / Stop after 14 days; a Retry / Stop nobody answers ends the execution
    after 30 days as abandoned."""
    calls: list[str] = []
    inbox = Inbox()
    store = SqliteStore.in_home(tmp_path)
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    engine = LocalWorkflowEngine({DEFINITION.name: DEFINITION}, stub_tasks(inbox, calls), store, clock)
    execution = engine.start("project_phases", {"project_id": "p1"}, name="project-p1")
    [(token, _)] = inbox.take()
    engine.send_task_success(token, {"status": "completed"})
    assert [payload["task"] for _, payload in inbox.take()] == ["RequestPhaseApproval"]
    clock.advance(timedelta(days=13, hours=23))
    engine.run_due()
    assert inbox.take() == []
    clock.advance(timedelta(hours=2))
    engine.run_due()
    [(_, failed)] = inbox.take()
    assert failed["task"] == "ProjectPhaseFailed" and failed["error"]["Error"] == "States.Timeout"
    clock.advance(timedelta(days=30, hours=1))
    engine.run_due()
    ended = engine.describe(execution.execution_id)
    assert (ended.status, ended.error) == ("FAILED", "Project.Abandoned")
    store.close()
    states = json.loads((data_dir("workflows") / "project_phases.asl.json").read_text(encoding="utf-8"))["States"]
    waits = [s for s in states.values() if str(s.get("Resource", "")).endswith(".waitForTaskToken")]
    assert len(waits) == 17 and all(s.get("TimeoutSeconds") for s in waits)
