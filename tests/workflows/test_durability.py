"""The local runner through the real runtime: a waiting execution survives a restart of the process,
tokens answered twice or too late get typed errors, and a timed-out human wait takes its Catch path
when the clock is advanced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl
from bot.runtime import Crewbot, start
from bot.workflows import TaskTokenAnswered, TaskTokenExpired, UnknownTaskError, WorkflowTask
from tests.workflows.conftest import FIXTURES

ASKED: list[dict[str, Any]] = []


def _ask(payload: dict[str, Any], ctx: Any) -> None:
    ASKED.append(payload)


def _add(payload: dict[str, Any], ctx: Any) -> int:
    return int(payload["a"]) + int(payload["b"])


def plugin(tasks: tuple[str, ...] = ("Ask", "Add")) -> SimpleNamespace:
    handlers = {"Ask": _ask, "Add": _add}

    @hookimpl
    def register_workflows() -> list[Path]:
        return [FIXTURES / "timeout.asl.json", FIXTURES / "approval.asl.json"]

    @hookimpl
    def register_workflow_tasks() -> list[WorkflowTask]:
        return [WorkflowTask(name, handlers[name]) for name in tasks]

    return SimpleNamespace(register_workflows=register_workflows, register_workflow_tasks=register_workflow_tasks)


def runtime(home: Path, tasks: tuple[str, ...] = ("Ask", "Add")) -> Crewbot:
    environ = {"CREWBOT_HOME": str(home), "CREWBOT_LOAD_PLUGINS": "wftest"}
    return start(environ=environ, extra_plugins=[("wftest", plugin(tasks))], setup_logging=False)


@pytest.fixture(autouse=True)
def _clear() -> None:
    ASKED.clear()


def test_a_waiting_execution_survives_a_restart_and_completes(tmp_path: Path) -> None:
    first = runtime(tmp_path)
    execution = first.workflows.start("approval", {"project": "apollo"}, name="restart")
    assert execution.status == "RUNNING"
    token = ASKED[-1]["taskToken"]
    first.close()
    del first  # the process is gone; only the data directory remains

    second = runtime(tmp_path)
    assert second.workflows.describe(execution.execution_id).status == "RUNNING"
    second.workflows.send_task_success(token, {"approved": True, "by": "U0123"})
    done = second.workflows.describe(execution.execution_id)
    assert done.status == "SUCCEEDED"
    assert done.output == {"project": "apollo", "decision": {"approved": True, "by": "U0123"}, "total": 3}
    types = [event.type for event in second.workflows.history(execution.execution_id)]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert "TaskSubmitted" in types and "TaskSucceeded" in types
    shown = json.dumps([event.as_dict() for event in second.workflows.history(execution.execution_id)], default=str)
    assert token not in shown  # the history never holds a usable token

    with pytest.raises(TaskTokenAnswered):
        second.workflows.send_task_success(token, {"approved": False})
    with pytest.raises(TaskTokenAnswered):
        second.workflows.send_task_failure(token, "Too.Late")
    second.close()


def test_a_token_of_an_ended_execution_is_expired(tmp_path: Path) -> None:
    crewbot = runtime(tmp_path)
    execution = crewbot.workflows.start("approval", {"project": "gemini"})
    token = ASKED[-1]["taskToken"]
    stopped = crewbot.workflows.stop(execution.execution_id, "Admin.Stopped", "no longer needed")
    assert (stopped.status, stopped.error) == ("ABORTED", "Admin.Stopped")
    with pytest.raises(TaskTokenExpired):
        crewbot.workflows.send_task_success(token, {})
    crewbot.close()


def test_a_timed_out_wait_takes_its_catch_path_when_the_clock_advances(tmp_path: Path) -> None:
    crewbot = runtime(tmp_path)
    execution = crewbot.workflows.start("timeout", {"who": "U0456"})
    token = ASKED[-1]["taskToken"]
    crewbot.clock.advance(timedelta(seconds=1))
    assert crewbot.workflows.describe(execution.execution_id).status == "RUNNING"
    crewbot.clock.advance(timedelta(seconds=2))
    done = crewbot.workflows.describe(execution.execution_id)
    assert (done.status, done.output) == ("SUCCEEDED", {"who": "U0456", "error": "States.Timeout"})
    with pytest.raises(TaskTokenExpired, match="timed out"):
        crewbot.workflows.send_task_success(token, {})
    crewbot.close()


def test_a_timeout_falls_due_on_the_clock_of_a_restarted_process(tmp_path: Path) -> None:
    first = runtime(tmp_path)
    execution = first.workflows.start("timeout", {"who": "U0789"})
    first.close()
    second = runtime(tmp_path)
    engine = second.workflows  # `crewbot dev` builds its services at start: their clock listeners register
    second.clock.advance(timedelta(minutes=5))
    assert engine.describe(execution.execution_id).output["error"] == "States.Timeout"
    third = runtime(tmp_path)  # the clock's offset is persisted in the data directory: still 5 minutes on
    assert third.clock.now() - datetime.now(UTC) > timedelta(minutes=4)
    third.close()
    second.close()


def test_start_up_fails_clearly_when_a_definition_names_an_unregistered_task(tmp_path: Path) -> None:
    crewbot = runtime(tmp_path, tasks=("Ask",))
    with pytest.raises(UnknownTaskError) as caught:
        crewbot.workflows  # noqa: B018 - building the engine runs the start-up check
    message = str(caught.value)
    assert "approval.asl.json" in message and "${AddFunctionArn}" in message and "'Add'" in message
    crewbot.close()
