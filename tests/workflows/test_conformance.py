"""Differential tests: the same definitions and inputs on the local runner and on the reference
interpreter (moto's Step Functions parser) end the same way, with the same output or error."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.workflows.engine import Execution, WorkflowEngine
from bot.workflows.local import LocalWorkflowEngine
from tests.workflows.conftest import fixture
from tests.workflows.handlers import Inbox, make_tasks
from tests.workflows.reference import reference_engine

Answer = Callable[[WorkflowEngine, str, dict[str, Any]], None]


def run(
    engine: WorkflowEngine,
    inbox: Inbox,
    workflow: str,
    data: Any,
    answer: Answer | None,
    tick: Callable[[], None],
    steps: int = 400,
) -> Execution:
    execution = engine.start(workflow, data, name="conformance")
    for _ in range(steps):
        execution = engine.describe(execution.execution_id)
        if execution.done:
            return execution
        for token, payload in inbox.take():
            if answer is not None:
                answer(engine, token, payload)
        tick()
    raise AssertionError(f"{workflow} did not finish: {engine.describe(execution.execution_id)}")


def outcome(execution: Execution) -> dict[str, Any]:
    return {"status": execution.status, "output": execution.output, "error": execution.error, "cause": execution.cause}


def both(make_engine, clock, workflow: str, data: Any, answer: Answer | None = None) -> tuple[dict, dict]:
    definition = fixture(workflow)
    local_inbox = Inbox()
    local: LocalWorkflowEngine = make_engine(definition)
    local.tasks = make_tasks(local_inbox)
    local_result = run(local, local_inbox, workflow, data, answer, lambda: clock.advance(timedelta(seconds=1)))
    ref_inbox = Inbox()
    with reference_engine([definition], make_tasks(ref_inbox)) as reference:
        ref_result = run(reference, ref_inbox, workflow, data, answer, lambda: time.sleep(0.05))
    return outcome(local_result), outcome(ref_result)


def succeed_with_question(engine: WorkflowEngine, token: str, payload: dict[str, Any]) -> None:
    engine.send_task_success(token, {"approved": True, "question": payload.get("question")})


EVERYTHING_INPUT = {
    "name": "Ann",
    "numbers": [1, 2, 3],
    "meta": {"base": 1, "flag": True},
    "when": "2026-01-01T00:00:00Z",
}


def test_every_supported_feature_gives_the_same_result(make_engine, clock):
    local, reference = both(make_engine, clock, "everything", EVERYTHING_INPUT, succeed_with_question)
    assert local["status"] == "SUCCEEDED", local
    assert local == reference
    assert local["output"]["announced"] == {"failed": 0, "published": 1}
    assert local["output"]["fanout"] == {
        "flaky": {"attempts": 3, "status": 200},
        "squares": {"values": [1, 3, 5]},
        "boom": "Custom.Boom",
    }


def test_a_failed_choice_reaches_the_same_fail_state(make_engine, clock):
    data = {**EVERYTHING_INPUT, "name": "Bob"}
    local, reference = both(make_engine, clock, "everything", data, succeed_with_question)
    assert local == reference
    assert (local["status"], local["error"]) == ("FAILED", "Test.Broken")


def test_error_paths_give_the_same_result(make_engine, clock):
    def refuse(engine: WorkflowEngine, token: str, payload: dict[str, Any]) -> None:
        engine.send_task_failure(token, "Human.Refused", "not today")

    local, reference = both(make_engine, clock, "errors", {"items": [1, 2, 3]}, refuse)
    assert local == reference
    assert (local["status"], local["error"], local["cause"]) == ("FAILED", "Test.Final", "the end")


def test_a_timed_out_human_wait_takes_its_catch_path_in_both(make_engine, clock):
    local, reference = both(make_engine, clock, "timeout", {"who": "U123"}, answer=None)
    assert local == reference
    assert local["output"] == {"who": "U123", "error": "States.Timeout"}


def test_a_missed_heartbeat_takes_the_timeout_catch_in_both(make_engine, clock):
    local, reference = both(make_engine, clock, "heartbeat", {"who": "U9"}, answer=None)
    assert local == reference
    assert local["output"] == {"who": "U9", "timed_out": True}


PATHS_INPUT = {
    "items": [{"name": "ann", "n": 1}, {"name": "bob", "n": 2}, {"name": "cy", "n": 3}],
    "wait": 1,
    "past": "2021-06-01T12:00:00Z",
    "flag": True,
    "nothing": None,
    "left": {"a": 1, "b": 1},
    "right": {"b": 2},
    "pair": {"a": "ann", "b": "bob"},
    "numbers": {"two": 2, "three": 3},
    "error_name": "Dynamic.Error",
    "error_cause": "raised from the input",
}


def test_paths_waits_type_tests_and_caught_failures_give_the_same_result(make_engine, clock):
    local, reference = both(make_engine, clock, "paths", PATHS_INPUT)
    assert local == reference
    assert local["status"] == "SUCCEEDED", local


def test_states_runtime_fails_the_execution_in_both(make_engine, clock):
    local, reference = both(make_engine, clock, "paths", {**PATHS_INPUT, "wait": "not a number"})
    assert (local["status"], local["error"]) == (reference["status"], reference["error"])
    assert (local["status"], local["error"]) == ("FAILED", "States.Runtime")


@pytest.mark.parametrize("workflow", ["everything", "errors", "timeout", "paths", "heartbeat"])
def test_fixtures_load_in_the_reference_interpreter(workflow):
    definition = fixture(workflow)
    with reference_engine([definition], make_tasks(Inbox())) as reference:
        assert reference.workflows() == [workflow]
        assert reference.state_machine_arn(workflow).endswith(f":crewbot-test-{workflow}")
