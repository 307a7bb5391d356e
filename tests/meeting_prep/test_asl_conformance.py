"""workflows/meeting_prep.asl.json on the local runner and on the reference interpreter (moto's Step
Functions parser) with the same stand-in task handlers: both end the same way, with the same output —
a failing context branch caught in its branch, the chat answered, skipped or superseded, nothing to do."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.events.bus import LocalEventBus
from bot.resources import data_dir
from bot.storage.sqlite import SqliteStore
from bot.workflows.definitions import load_file
from bot.workflows.engine import Execution, WorkflowEngine
from bot.workflows.local import LocalWorkflowEngine
from bot.workflows.tasks import TaskContext, TaskFailure, TaskRegistry, WorkflowTask
from tests.workflows.handlers import Inbox
from tests.workflows.reference import reference_engine

DEFINITION = load_file(data_dir("workflows") / "meeting_prep.asl.json")


def stand_ins(inbox: Inbox) -> TaskRegistry:
    """Deterministic handlers with the real ones' shapes (the real ones are tested in the emulator)."""

    def load(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        return {
            "meeting_id": payload["meeting_id"],
            "user_id": "U1",
            "title": "LT",
            "prepare": payload["meeting_id"] != "past",
            "context_required": ["budget", "incidents"],
        }

    def fetch(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        topic = payload["topic"]
        if topic not in payload["meeting"]["context_required"]:
            return {"topic": topic, "status": "not_needed"}
        if topic == "incidents":
            raise TaskFailure("Context.Unavailable", "incident tool down")
        return {"topic": topic, "status": "ok", "data": {"total": 1}}

    def wait(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        inbox.put(payload["taskToken"], payload)
        return {"waiting": True}

    def generate(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        state = payload["state"]
        statuses = [c["status"] for c in state["context"]]
        return {
            "preview": "09:00 Opening",
            "statuses": statuses,
            "timed_out": "chat_timeout" in state,
            "answers": (state.get("chat") or {}).get("answers"),
        }

    handlers: dict[str, Callable[[dict[str, Any], TaskContext], Any]] = {
        "LoadMeeting": load,
        "FetchContext": fetch,
        "SendPrepNotification": lambda p, c: {"channel": "D1", "ts": "1.0"},
        "WaitForChatCompletion": wait,
        "GenerateMaterials": generate,
        "StoreMaterials": lambda p, c: {"markdown": "U1/m/materials.md", "html": "U1/m/materials.html"},
        "SendMaterials": lambda p, c: {"channel": "D1", "ts": "2.0"},
        "ScheduleReminder": lambda p, c: {"scheduled": True},
    }
    return TaskRegistry(("test", WorkflowTask(name, fn)) for name, fn in handlers.items())


Answer = Callable[[WorkflowEngine, str], None]


def _run(
    engine: WorkflowEngine, inbox: Inbox, data: dict[str, Any], answer: Answer | None, tick: Callable[[], None]
) -> Execution:
    execution = engine.start("meeting_prep", data, name="conformance")
    for _ in range(400):
        execution = engine.describe(execution.execution_id)
        if execution.done:
            return execution
        for token, _payload in inbox.take():
            if answer is not None:
                answer(engine, token)
        tick()
    raise AssertionError(f"did not finish: {execution}")


def both(tmp_path: Path, data: dict[str, Any], answer: Answer | None) -> tuple[dict[str, Any], dict[str, Any]]:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    store = SqliteStore.in_home(tmp_path)
    try:
        inbox = Inbox()
        local = LocalWorkflowEngine(
            {"meeting_prep": DEFINITION}, stand_ins(inbox), store, clock, bus=LocalEventBus(clock)
        )
        mine = _run(local, inbox, data, answer, lambda: clock.advance(timedelta(seconds=1)))
    finally:
        store.close()
    ref_inbox = Inbox()
    with reference_engine([DEFINITION], stand_ins(ref_inbox)) as reference:
        theirs = _run(reference, ref_inbox, data, answer, lambda: time.sleep(0.05))

    def outcome(e: Execution) -> dict[str, Any]:
        return {"status": e.status, "output": e.output, "error": e.error}

    return outcome(mine), outcome(theirs)


DATA = {"meeting_id": "m1", "prep_version": "v1"}


def test_chat_completed_with_a_failing_context_branch(tmp_path: Path) -> None:
    local, reference = both(tmp_path, DATA, lambda engine, token: engine.send_task_success(token, {"answers": 3}))
    assert local == reference
    assert local["status"] == "SUCCEEDED"
    output = local["output"]
    assert output["generated"]["materials"]["statuses"] == [
        "ok",
        "not_needed",
        "unavailable",
        "not_needed",
        "not_needed",
    ]
    assert output["context"][2] == {"topic": "incidents", "status": "unavailable", "error": "Context.Unavailable"}
    assert output["generated"]["materials"]["answers"] == 3 and output["stored"]["keys"]["html"].endswith(".html")
    assert output["reminder"] == {"reminder": {"scheduled": True}}


@pytest.mark.parametrize(("error", "end_key"), [("Prep.Skipped", "skipped"), ("Prep.Superseded", "superseded")])
def test_skipped_or_superseded_prep_ends_without_materials(tmp_path: Path, error: str, end_key: str) -> None:
    local, reference = both(tmp_path, DATA, lambda engine, token: engine.send_task_failure(token, error, "x"))
    # moto's interpreter drops the Cause of SendTaskFailure (Step Functions keeps it, as the local runner does).
    assert reference["output"][end_key].pop("Cause") is None and local["output"][end_key].pop("Cause") == "x"
    assert local == reference
    assert local["status"] == "SUCCEEDED" and end_key in local["output"] and "generated" not in local["output"]


def test_nothing_to_prepare(tmp_path: Path) -> None:
    local, reference = both(tmp_path, {"meeting_id": "past", "prep_version": "v1"}, None)
    assert local == reference
    assert local["status"] == "SUCCEEDED" and "context" not in local["output"]


def test_the_chat_deadline_generates_materials_from_what_is_known(tmp_path: Path) -> None:
    # PrepChatDeadline fails the wait with Prep.ChatTimedOut: caught like the 24-hour timeout.
    fail = "Prep.ChatTimedOut"
    local, reference = both(tmp_path, DATA, lambda engine, token: engine.send_task_failure(token, fail, "late"))
    assert reference["output"]["chat_timeout"].pop("Cause") is None
    assert local["output"]["chat_timeout"].pop("Cause") == "late"
    assert local == reference
    assert local["status"] == "SUCCEEDED" and local["output"]["chat_timeout"] == {"Error": fail}
    assert "generated" in local["output"] and local["output"]["stored"]["keys"]["html"].endswith(".html")
