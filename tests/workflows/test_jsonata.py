"""JSONata states and workflow variables on the local runner, as Step Functions runs them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.workflows.errors import DefinitionError
from bot.workflows.sandbox import RunResult, Sandbox
from bot.workflows.tasks import TaskContext, TaskRegistry, WorkflowTask

ASKED: list[dict[str, Any]] = []


def _double(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
    return {"doubled": payload["n"] * 2}


def _ask(payload: dict[str, Any], ctx: TaskContext) -> None:
    ASKED.append(payload)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    ASKED.clear()
    tasks = TaskRegistry([("t", WorkflowTask("Double", _double)), ("t", WorkflowTask("Ask", _ask))])
    with Sandbox(tasks, start=datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) as box:
        yield box


def run(sandbox: Sandbox, states: dict[str, Any], data: Any = None, **top: Any) -> RunResult:
    document = {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states, **top}
    return sandbox.run(sandbox.load(document), {} if data is None else data)


def test_output_arguments_and_states_result_through_a_task(sandbox):
    states = {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "${DoubleFunctionArn}", "Payload": {"n": "{% $states.input.x + 1 %}"}},
            "Output": {"value": "{% $states.result.Payload.doubled %}", "was": "{% $states.input.x %}"},
            "End": True,
        }
    }
    done = run(sandbox, states, {"x": 4})
    assert (done.status, done.output) == ("SUCCEEDED", {"value": 10, "was": 4})


def test_assign_is_evaluated_with_the_values_before_the_state_and_read_later(sandbox):
    states = {
        "Init": {"Type": "Pass", "Assign": {"count": 1}, "Next": "Bump"},
        "Bump": {
            "Type": "Pass",
            "Assign": {"count": "{% $count + 1 %}", "before": "{% $count %}"},
            "Output": {"seen": "{% $count %}"},
            "Next": "Show",
        },
        "Show": {"Type": "Pass", "Output": {"count": "{% $count %}", "before": "{% $before %}"}, "End": True},
    }
    assert run(sandbox, states).output == {"count": 2, "before": 1}


def test_choice_conditions_with_per_rule_output_and_assign(sandbox):
    states = {
        "Pick": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $states.input.n > 10 %}", "Next": "Big", "Assign": {"size": "big"}},
            ],
            "Default": "Small",
            "Assign": {"size": "small"},
            "Output": {"n": "{% $states.input.n %}"},
        },
        "Big": {"Type": "Pass", "Output": "{% $size %}", "End": True},
        "Small": {"Type": "Pass", "Output": "{% $size & ':' & $string($states.input.n) %}", "End": True},
    }
    assert run(sandbox, states, {"n": 11}).output == "big"
    assert run(sandbox, states, {"n": 3}).output == "small:3"


def test_variables_are_read_inside_a_map_and_inner_assignments_stay_inside(sandbox):
    states = {
        "Init": {"Type": "Pass", "Assign": {"bias": 100, "seen": "outer"}, "Next": "Each"},
        "Each": {
            "Type": "Map",
            "Items": "{% $states.input.items %}",
            "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}"},
            "ItemProcessor": {
                "StartAt": "Add",
                "States": {
                    "Add": {
                        "Type": "Pass",
                        "Assign": {"seen": "inner"},
                        "Output": "{% $states.input.v + $bias %}",
                        "End": True,
                    }
                },
            },
            "Assign": {"total": "{% $sum($states.result) %}"},
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "Output": {"total": "{% $total %}", "seen": "{% $seen %}"}, "End": True},
    }
    assert run(sandbox, states, {"items": [1, 2]}).output == {"total": 203, "seen": "outer"}


def test_catch_output_sees_the_error_and_step_functions_functions_work(sandbox):
    states = {
        "Boom": {
            "Type": "Fail",
            "Error": "Custom.Err",
            "Cause": "{% 'because ' & $string($partition([1, 2, 3], 2)) %}",
        },
    }
    done = run(sandbox, states)
    assert (done.error, done.cause) == ("Custom.Err", "because [[1,2],[3]]")
    states = {
        "Try": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E.X", "Cause": "c"}}}],
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "Output": {"caught": "{% $states.errorOutput.Error %}"}, "Next": "End"}
            ],
            "End": True,
        },
        "End": {"Type": "Pass", "End": True},
    }
    assert run(sandbox, states).output == {"caught": "E.X"}


def test_undefined_results_and_wrong_types_fail_with_query_evaluation_error(sandbox):
    done = run(sandbox, {"P": {"Type": "Pass", "Output": {"r": "{% $nope %}"}, "End": True}})
    assert (done.status, done.error) == ("FAILED", "States.QueryEvaluationError")
    assert done.cause == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        "The JSONata expression '$nope' specified for the field 'Output/r' returned nothing (undefined)."
    )
    items = {
        "M": {
            "Type": "Map",
            "Items": "{% 1 %}",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    }
    assert "Expected 'array', but was 'number' for value: 1" in (run(sandbox, items).cause or "")


def test_a_callback_task_passes_its_token_through_arguments(sandbox):
    states = {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Arguments": {
                "FunctionName": "${AskFunctionArn}",
                "Payload": {"token": "{% $states.context.Task.Token %}"},
            },
            "End": True,
        }
    }
    waiting = run(sandbox, states)
    assert waiting.status == "RUNNING"
    sandbox.engine.send_task_success(ASKED[-1]["token"], {"ok": True})
    assert sandbox.engine.describe(waiting.execution_id).output == {"ok": True}


def test_jsonpath_states_assign_and_read_variables(sandbox):
    document = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"answer": 42}, "Assign": {"theAnswer.$": "$.answer"}, "Next": "Use"},
            "Use": {
                "Type": "Pass",
                "Parameters": {"a.$": "$theAnswer", "f.$": "States.Format('{}!', $theAnswer)"},
                "End": True,
            },
        },
    }
    assert sandbox.run(sandbox.load(document), {}).output == {"a": 42, "f": "42!"}


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            {"Type": "Pass", "Parameters": {"a": 1}, "End": True},
            "field(s) ['Parameters'] not supported in a JSONata Pass",
        ),
        ({"Type": "Pass", "Output": "{% $x + %}", "End": True}, "States.S.Output: invalid JSONata expression"),
        (
            {
                "Type": "Map",
                "ToleratedFailurePercentage": 5,
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "End": True,
            },
            "['ToleratedFailurePercentage'] not supported",
        ),
    ],
)
def test_what_is_not_supported_is_rejected_at_load_naming_the_field(sandbox, state, message):
    with pytest.raises(DefinitionError, match=re.escape(message)):
        sandbox.load({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": state}})


def test_a_task_timeout_given_by_an_expression(sandbox):
    states = {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Arguments": {
                "FunctionName": "${AskFunctionArn}",
                "Payload": {"token": "{% $states.context.Task.Token %}"},
            },
            "TimeoutSeconds": "{% $states.input.wait %}",
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Output": "{% $states.errorOutput %}", "Next": "Late"}],
            "End": True,
        },
        "Late": {"Type": "Pass", "End": True},
    }
    done = run(sandbox, states, {"wait": 60})
    assert (done.status, done.output, done.states) == ("SUCCEEDED", {"Error": "States.Timeout"}, ["Ask", "Late"])
