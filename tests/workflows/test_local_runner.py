"""The local runner's behaviour on the clock: retries with backoff, heartbeats, handlers that answer
their own token, stops, and the errors callers rely on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.workflows import (
    ExecutionAlreadyExists,
    ExecutionNotFound,
    InvalidTaskToken,
    TaskTokenAnswered,
    TaskTokenExpired,
    WorkflowError,
    WorkflowNotFound,
)
from bot.workflows.local import error_matches
from bot.workflows.tasks import TaskRegistry, WorkflowTask

FLAKY = {
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "${FlakyFunctionArn}",
            "Parameters": {"key": "backoff", "fail_times.$": "$.fail_times"},
            "Retry": [
                {
                    "ErrorEquals": ["States.TaskFailed"],
                    "IntervalSeconds": 2,
                    "BackoffRate": 3,
                    "MaxAttempts": 3,
                    "MaxDelaySeconds": 10,
                }
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "GaveUp"}],
            "End": True,
        },
        "GaveUp": {"Type": "Pass", "Result": "gave up", "End": True},
    },
}


def test_retries_wait_with_exponential_backoff_on_the_clock(make_engine, clock, inbox):
    engine = make_engine(FLAKY)
    started = clock.now()
    execution = engine.start("wf0", {"fail_times": 3})
    attempts_at: list[float] = []
    for _ in range(30):
        attempts_at.append(inbox.attempts.get("backoff", 0))
        clock.advance(timedelta(seconds=1))
    done = engine.describe(execution.execution_id)
    assert (done.status, done.output) == ("SUCCEEDED", {"attempts": 4})
    # Attempt 1 at t=0, then waits of 2 s, 6 s and min(18, 10) = 10 s: attempts at t=2, 8 and 18.
    first_seen = {n: attempts_at.index(n) for n in (1, 2, 3, 4)}
    assert first_seen == {1: 0, 2: 2, 3: 8, 4: 18}
    delays = [
        event.details["delay_seconds"]
        for event in engine.history(execution.execution_id)
        if event.type == "StateRetryScheduled"
    ]
    assert delays == [2, 6, 10]
    assert clock.now() - started == timedelta(seconds=30)


def test_retries_exhausted_go_to_catch(make_engine, clock, inbox):
    engine = make_engine(FLAKY)
    execution = engine.start("wf0", {"fail_times": 9})
    clock.advance(timedelta(seconds=60))  # one advance runs every due retry in order
    assert engine.describe(execution.execution_id).output == "gave up"
    assert inbox.attempts["backoff"] == 4


def test_a_missed_heartbeat_times_out_and_a_heartbeat_keeps_the_task_alive(make_engine, clock, inbox):
    engine = make_engine(
        {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": "${AskFunctionArn}", "Payload": {"taskToken.$": "$$.Task.Token"}},
                    "HeartbeatSeconds": 10,
                    "TimeoutSeconds": 100,
                    "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error", "Next": "Lost"}],
                    "End": True,
                },
                "Lost": {"Type": "Pass", "OutputPath": "$.error.Error", "End": True},
            },
        }
    )
    alive = engine.start("wf0", {}, name="alive")
    token = inbox.take()[0][0]
    for _ in range(5):
        clock.advance(timedelta(seconds=8))
        engine.send_task_heartbeat(token)
    assert engine.describe(alive.execution_id).status == "RUNNING"
    engine.send_task_success(token, {"done": True})
    assert engine.describe(alive.execution_id).output == {"done": True}

    lost = engine.start("wf0", {}, name="lost")
    clock.advance(timedelta(seconds=11))
    # Step Functions records a missed heartbeat as States.Timeout; a catcher naming
    # States.HeartbeatTimeout still catches it.
    assert engine.describe(lost.execution_id).output == "States.Timeout"


def test_a_handler_may_answer_its_own_token_at_once(store, clock):
    holder: dict[str, Any] = {}

    def instant(payload: dict[str, Any], ctx: Any) -> None:
        assert ctx.task_token == payload["taskToken"]
        holder["engine"].send_task_success(payload["taskToken"], {"instant": True})

    from bot.workflows.definitions import parse_definition
    from bot.workflows.local import LocalWorkflowEngine

    definition = parse_definition(
        "instant",
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": "${InstantFunctionArn}",
                        "Payload": {"taskToken.$": "$$.Task.Token"},
                    },
                    "End": True,
                }
            },
        },
    )
    engine = LocalWorkflowEngine(
        {"instant": definition}, TaskRegistry([("t", WorkflowTask("Instant", instant))]), store, clock
    )
    holder["engine"] = engine
    assert engine.start("instant", {}).output == {"instant": True}


def test_typed_errors_for_callers(make_engine, inbox):
    engine = make_engine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    engine.start("wf0", {"a": 1}, name="once")
    with pytest.raises(ExecutionAlreadyExists):
        engine.start("wf0", {"a": 1}, name="once")
    with pytest.raises(WorkflowNotFound, match="known: wf0"):
        engine.start("nope", {})
    with pytest.raises(ExecutionNotFound):
        engine.describe("wf0:missing")
    with pytest.raises(InvalidTaskToken):
        engine.send_task_success("not-a-token", {})
    with pytest.raises(WorkflowError, match="must be JSON data"):
        engine.start("wf0", {"when": object()})
    assert [e.name for e in engine.list()] == ["once"]
    assert [e.name for e in engine.list("wf0", status="FAILED")] == []


def test_states_runtime_is_not_caught_by_states_all(make_engine):
    engine = make_engine(
        {
            "StartAt": "Bad",
            "States": {
                "Bad": {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "Next": "End"},
                "End": {"Type": "Succeed"},
            },
        }
    )
    done = engine.start("wf0", {"present": 1})
    assert (done.status, done.error) == ("FAILED", "States.Runtime")
    assert "$.missing" in (done.cause or "")


def test_a_stopped_execution_cancels_its_waiting_branches(make_engine, inbox):
    engine = make_engine(
        {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {
                            "StartAt": f"Ask{i}",
                            "States": {
                                f"Ask{i}": {
                                    "Type": "Task",
                                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                                    "Parameters": {
                                        "FunctionName": "${AskFunctionArn}",
                                        "Payload": {"taskToken.$": "$$.Task.Token"},
                                    },
                                    "End": True,
                                }
                            },
                        }
                        for i in range(2)
                    ],
                }
            },
        }
    )
    execution = engine.start("wf0", {})
    tokens = [token for token, _ in inbox.take()]
    assert len(tokens) == 2
    engine.send_task_success(tokens[0], "first")
    assert engine.describe(execution.execution_id).status == "RUNNING"
    engine.stop(execution.execution_id, "Test.Stop")
    with pytest.raises(TaskTokenExpired):
        engine.send_task_success(tokens[1], "second")
    with pytest.raises(TaskTokenAnswered):
        engine.send_task_success(tokens[0], "again")


def test_error_matching_rules():
    assert error_matches(["States.ALL"], "Custom.Error")
    assert not error_matches(["States.ALL"], "States.Runtime")
    assert error_matches(["States.TaskFailed"], "ValueError")
    assert not error_matches(["States.TaskFailed"], "States.Timeout")
    assert error_matches(["States.Timeout"], "States.HeartbeatTimeout")
    assert not error_matches(["Other"], "Custom.Error")


def test_an_execution_interrupted_mid_step_is_resumed_by_the_next_process(store, clock):
    from bot.workflows.definitions import parse_definition
    from bot.workflows.local import LocalWorkflowEngine

    calls: list[int] = []

    def crashing(payload: Any, ctx: Any) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt  # the process dies inside the handler
        return "done"

    definition = parse_definition(
        "crash",
        {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "${WorkFunctionArn}", "End": True}}},
    )
    tasks = TaskRegistry([("t", WorkflowTask("Work", crashing))])
    first = LocalWorkflowEngine({"crash": definition}, tasks, store, clock, listen=False)
    with pytest.raises(KeyboardInterrupt):
        first.start("crash", {}, name="c1")
    assert first.describe("crash:c1").status == "RUNNING"

    second = LocalWorkflowEngine({"crash": definition}, tasks, store, clock, listen=False)
    assert second.recover() == ["crash:c1"]
    assert second.describe("crash:c1").output == "done"
    assert len(calls) == 2


def test_put_events_publishes_on_the_bus(store, clock):
    from bot.events.bus import Event, EventHandler, LocalEventBus
    from bot.workflows.definitions import parse_definition
    from bot.workflows.local import LocalWorkflowEngine

    received: list[Event] = []
    bus = LocalEventBus(clock, [EventHandler("done", {"detail-type": ["PrepDone"]}, received.append)])
    definition = parse_definition(
        "announce",
        {
            "StartAt": "Tell",
            "States": {
                "Tell": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents",
                    "End": True,
                    "Parameters": {
                        "Entries": [
                            {
                                "Source": "crewbot.meetings",
                                "DetailType": "PrepDone",
                                "EventBusName": "${EventBusName}",
                                "Detail": {"meeting.$": "$.meeting"},
                            },
                            {
                                "Source": "crewbot.meetings",
                                "DetailType.$": "$.kind",
                                "Detail.$": "States.JsonToString($)",
                            },
                        ]
                    },
                }
            },
        },
    )
    engine = LocalWorkflowEngine({"announce": definition}, TaskRegistry(), store, clock, bus=bus)
    done = engine.start("announce", {"meeting": "m1", "kind": "PrepDone"})
    assert done.status == "SUCCEEDED"
    assert [e.detail for e in received] == [{"meeting": "m1"}, {"meeting": "m1", "kind": "PrepDone"}]
    assert done.output["FailedEntryCount"] == 0 and [e["EventId"] for e in done.output["Entries"]] == [
        e.id for e in received
    ]


def test_no_choice_matched_is_an_error_a_catch_can_take(make_engine):
    # Step Functions semantics (the reference interpreter reports States.Runtime here instead).
    engine = make_engine(
        {
            "StartAt": "Guard",
            "States": {
                "Guard": {
                    "Type": "Parallel",
                    "End": True,
                    "Catch": [{"ErrorEquals": ["States.NoChoiceMatched"], "ResultPath": "$.e", "Next": "Caught"}],
                    "Branches": [
                        {
                            "StartAt": "Pick",
                            "States": {
                                "Pick": {
                                    "Type": "Choice",
                                    "Choices": [{"Variable": "$.x", "NumericEquals": 2, "Next": "Two"}],
                                },
                                "Two": {"Type": "Succeed"},
                            },
                        }
                    ],
                },
                "Caught": {"Type": "Pass", "OutputPath": "$.e.Error", "End": True},
            },
        }
    )
    assert engine.start("wf0", {"x": 1}).output == "States.NoChoiceMatched"


def test_map_max_concurrency_runs_waiting_iterations_one_after_another(make_engine, inbox):
    engine = make_engine(
        {
            "StartAt": "EachApprover",
            "States": {
                "EachApprover": {
                    "Type": "Map",
                    "ItemsPath": "$.approvers",
                    "MaxConcurrency": 1,
                    "End": True,
                    "ItemSelector": {"who.$": "$$.Map.Item.Value"},
                    "ItemProcessor": {
                        "StartAt": "Ask",
                        "States": {
                            "Ask": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                                "End": True,
                                "Parameters": {
                                    "FunctionName": "${AskFunctionArn}",
                                    "Payload": {"taskToken.$": "$$.Task.Token", "who.$": "$.who"},
                                },
                            }
                        },
                    },
                }
            },
        }
    )
    execution = engine.start("wf0", {"approvers": ["U1", "U2", "U3"]})
    asked = []
    for _ in range(3):
        pending = inbox.take()
        assert len(pending) == 1  # only one approver is asked at a time
        token, payload = pending[0]
        asked.append(payload["who"])
        engine.send_task_success(token, f"ok from {payload['who']}")
    assert asked == ["U1", "U2", "U3"]
    assert engine.describe(execution.execution_id).output == ["ok from U1", "ok from U2", "ok from U3"]
