"""The Step Functions adapter on moto: the parts the conformance runs do not exercise."""

from __future__ import annotations

import time

import pytest

from bot.workflows import ExecutionNotFound, TaskTokenError, WorkflowNotFound
from tests.workflows.conftest import fixture
from tests.workflows.handlers import Inbox, make_tasks
from tests.workflows.reference import reference_engine


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_list_history_and_token_errors():
    inbox = Inbox()
    with reference_engine([fixture("approval")], make_tasks(inbox)) as engine:
        first = engine.start("approval", {"project": "apollo"}, name="first")
        assert first.workflow == "approval" and first.name == "first"
        token = wait_for(inbox.take)[0][0]
        engine.send_task_success(token, {"approved": True})
        done = wait_for(lambda: (e := engine.describe(first.execution_id)).done and e)
        assert done.status == "SUCCEEDED" and done.output["decision"] == {"approved": True}
        with pytest.raises(TaskTokenError):
            engine.send_task_success(token, {"approved": False})

        # (stop_execution is not checked here: moto 5.2 does not stop executions run by its interpreter)
        engine.start("approval", {"project": "gemini"}, name="second")
        wait_for(inbox.take)
        assert [e.name for e in engine.list("approval")] == ["second", "first"]
        assert [e.name for e in engine.list(status="RUNNING")] == ["second"]

        types = [event.type for event in engine.history(first.execution_id)]
        assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
        with pytest.raises(ExecutionNotFound):
            engine.describe(first.execution_id.replace("first", "missing"))
        with pytest.raises(WorkflowNotFound):
            engine.start("nope", {})
