"""Step Functions' hard quotas on the local runner: 256 KB payloads, 25,000 history events, and
records that stay within the store's item limit whatever the data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.workflows import WorkflowError
from bot.workflows.local import MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES
from bot.workflows.tasks import TaskRegistry, WorkflowTask

BIG = "x" * (MAX_PAYLOAD_BYTES + 1)


def test_a_pass_result_over_256_kb_fails_with_data_limit_exceeded(make_engine):
    engine = make_engine(
        {
            "StartAt": "Big",
            "States": {"Big": {"Type": "Pass", "Result": {"blob": BIG}, "End": True}},
        }
    )
    done = engine.start("wf0", {})
    assert (done.status, done.error) == ("FAILED", "States.DataLimitExceeded")
    assert "exceeding the maximum number of bytes" in (done.cause or "")


def test_a_task_result_over_256_kb_fails_and_states_all_does_not_catch_it(store, clock):
    from bot.workflows.definitions import parse_definition
    from bot.workflows.local import LocalWorkflowEngine

    def huge(payload: Any, ctx: Any) -> str:
        return "y" * 300_000

    definition = parse_definition(
        "huge",
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "${HugeFunctionArn}",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Succeed"},
            },
        },
    )
    tasks = TaskRegistry([("t", WorkflowTask("Huge", huge))])
    engine = LocalWorkflowEngine({"huge": definition}, tasks, store, clock, listen=False)
    done = engine.start("huge", {})
    assert (done.status, done.error) == ("FAILED", "States.DataLimitExceeded")


def test_an_input_over_256_kb_is_refused_and_nothing_is_created(make_engine):
    engine = make_engine({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    with pytest.raises(WorkflowError, match="DataLimitExceeded"):
        engine.start("wf0", {"blob": BIG}, name="too-big")
    assert engine.list() == []


def test_a_200_kb_input_runs_through_parallel_branches_within_the_item_limit(make_engine):
    engine = make_engine(
        {
            "StartAt": "Fan",
            "States": {
                "Fan": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": f"Hold{i}",
                            "States": {f"Hold{i}": {"Type": "Wait", "Seconds": 10, "End": True}},
                        }
                        for i in range(3)
                    ],
                    "OutputPath": "$[0].n",
                    "End": True,
                }
            },
        }
    )
    data = {"blob": "z" * 200_000, "n": 7}
    running = engine.start("wf0", data)
    assert running.status == "RUNNING"  # four threads each holding the 200 KB input are stored
    assert engine.describe(running.execution_id).input == data
    engine.clock.advance(timedelta(seconds=10))
    done = engine.describe(running.execution_id)
    assert (done.status, done.output) == ("SUCCEEDED", 7)


def test_an_endless_loop_fails_at_25000_history_events_and_start_returns(make_engine):
    engine = make_engine(
        {"StartAt": "Again", "States": {"Again": {"Type": "Pass", "Next": "Again"}}},
    )
    done = engine.start("wf0", {})
    assert (done.status, done.error) == ("FAILED", "States.Runtime")
    history = engine.history(done.execution_id)
    assert len(history) == MAX_HISTORY_EVENTS
    assert history[-1].type == "ExecutionFailed"
