"""The Lambda entry point that runs a workflow task in AWS reports errors as Step Functions expects."""

from __future__ import annotations

from typing import Any

import pytest

from bot.entrypoints import workflows as lambda_entry
from bot.workflows.tasks import TaskContext, TaskFailure, TaskRegistry, WorkflowTask


def test_run_task_passes_the_token_and_names_the_error_by_its_type():
    seen: list[TaskContext] = []

    def ok(payload: Any, ctx: TaskContext) -> dict[str, Any]:
        seen.append(ctx)
        return {"echo": payload["x"]}

    def fail(payload: Any, ctx: TaskContext) -> None:
        raise TaskFailure("Meeting.NotFound", "no meeting m1")

    tasks = TaskRegistry([("p", WorkflowTask("Ok", ok)), ("p", WorkflowTask("Fail", fail))])
    assert lambda_entry.run_task(tasks, "Ok", {"x": 1, "taskToken": "tok"}) == {"echo": 1}
    assert seen[0].task_token == "tok" and seen[0].task == "Ok"
    with pytest.raises(Exception) as caught:
        lambda_entry.run_task(tasks, "Fail", {})
    # Lambda reports errorType = the exception's type name: Step Functions matches it in Retry/Catch.
    assert type(caught.value).__name__ == "Meeting.NotFound" and str(caught.value) == "no meeting m1"
    with pytest.raises(LookupError, match="no workflow task named 'Nope'"):
        lambda_entry.run_task(tasks, "Nope", {})


def test_the_handler_needs_its_task_name(monkeypatch):
    monkeypatch.delenv("CREWBOT_WORKFLOW_TASK", raising=False)
    with pytest.raises(LookupError, match="CREWBOT_WORKFLOW_TASK"):
        lambda_entry.handler({}, None)
