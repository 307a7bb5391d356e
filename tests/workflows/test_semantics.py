"""Step Functions semantics the local runner follows (as AWS documents and records them), run
through :class:`~bot.workflows.sandbox.Sandbox`: intrinsic functions, Fail, Wait, Map, execution
timeouts, the context object and error wording."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.workflows.sandbox import RunResult, Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(start=datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) as box:
        yield box


def run(sandbox: Sandbox, states: dict[str, Any], data: Any = None, **top: Any) -> RunResult:
    first = next(iter(states))
    return sandbox.run(sandbox.load({"StartAt": first, "States": states, **top}), data or {})


def pass_params(**params: Any) -> dict[str, Any]:
    return {"P": {"Type": "Pass", "Parameters": params, "End": True}}


def test_math_add_and_math_random_round_their_arguments_half_up(sandbox):
    done = run(sandbox, pass_params(**{"r.$": "States.MathAdd($.a, $.b)"}), {"a": 1.49, "b": 1.5})
    assert done.output == {"r": 3}
    done = run(sandbox, pass_params(**{"r.$": "States.MathAdd($.a, $.b)"}), {"a": -1.5, "b": -1.51})
    assert done.output == {"r": -3}
    done = run(sandbox, pass_params(**{"r.$": "States.MathRandom($.a, $.b)"}), {"a": 1.4, "b": 1.6})
    assert done.output == {"r": 1}


def test_string_to_json_of_an_empty_string_is_null(sandbox):
    done = run(sandbox, pass_params(**{"r.$": "States.StringToJson($.s)"}), {"s": ""})
    assert (done.status, done.output) == ("SUCCEEDED", {"r": None})


def test_format_writes_objects_and_the_context_as_step_functions_does(sandbox):
    params = {"r.$": "States.Format('{} / {} / {}', $.o, $.l, $$.StateMachine.Name)"}
    done = run(sandbox, pass_params(**params), {"o": {"a": 1, "b": []}, "l": ["x", 2]})
    assert done.output == {"r": "{a=1, b=[]} / [x, 2] / workflow"}


def test_a_path_with_an_escaped_quote_keeps_the_backslash(sandbox):
    done = run(sandbox, pass_params(**{"v.$": "$['a\\\"b']"}), {'a\\"b': 1})
    assert done.output == {"v": 1}


def test_fail_states(sandbox):
    bare = run(sandbox, {"F": {"Type": "Fail"}})
    assert (bare.status, bare.error, bare.cause) == ("FAILED", None, None)
    computed = run(
        sandbox,
        {"F": {"Type": "Fail", "ErrorPath": "States.Format('E.{}', $.n)", "CausePath": "$$.State.Name"}},
        {"n": 7},
    )
    assert (computed.error, computed.cause) == ("E.7", "F")


def test_wait_seconds_path_must_be_a_non_negative_integer_within_the_maximum(sandbox):
    wait = {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}
    half = run(sandbox, wait, {"s": 1.5})
    assert (half.status, half.error) == ("FAILED", "States.Runtime")
    assert half.cause == (
        "An error occurred while executing the state 'W' (entered at the event id #2). "
        "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"
    )
    assert "references a negative value: $.s == -1" in (run(sandbox, wait, {"s": -1}).cause or "")
    assert run(sandbox, wait, {"s": 2**31}).cause.endswith("Wait state delay is too long.")  # type: ignore[union-attr]
    assert run(sandbox, wait, {"s": 86400}).status == "SUCCEEDED"


def test_map_max_concurrency_path(sandbox):
    states = {
        "M": {
            "Type": "Map",
            "MaxConcurrencyPath": "$.limit",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    }
    assert run(sandbox, states, {"limit": 1, "items": [1, 2]}).output == [1, 2]
    bad = run(sandbox, states, {"limit": "x", "items": [1]})
    assert bad.cause and bad.cause.endswith(
        'The MaxConcurrencyPath field refers to value "x" which is not a valid integer: $.limit'
    )


def test_an_execution_level_timeout_times_the_execution_out(sandbox):
    states = {"W": {"Type": "Wait", "Seconds": 60, "Next": "P"}, "P": {"Type": "Pass", "End": True}}
    done = run(sandbox, states, TimeoutSeconds=5)
    assert (done.status, done.error, done.cause, done.states) == ("TIMED_OUT", None, None, ["W"])


def test_the_context_object_has_aws_arns_and_fields(sandbox):
    done = run(sandbox, {"P": {"Type": "Pass", "InputPath": "$$", "End": True}}, {"x": 1})
    context = done.output
    assert context["Execution"]["Id"].startswith("arn:aws:states:")
    assert context["Execution"]["Id"].endswith(":execution:workflow:" + context["Execution"]["Name"])
    assert context["StateMachine"] == {
        "Id": "arn:aws:states:local:000000000000:stateMachine:workflow",
        "Name": "workflow",
    }
    assert context["Execution"]["RoleArn"].startswith("arn:aws:iam::")
    assert context["Execution"]["RedriveCount"] == 0
    assert context["Execution"]["StartTime"] == "2026-01-05T09:00:00.000Z"
    assert context["State"] == {"Name": "P", "EnteredTime": "2026-01-05T09:00:00.000Z"}  # no RetryCount in a Pass
    assert sandbox.engine.describe(context["Execution"]["Id"]).status == "SUCCEEDED"  # the ARN is an execution id


def test_path_errors_use_step_functions_wording(sandbox):
    missing = run(sandbox, pass_params(**{"v.$": "$.nope"}), {"a": 1})
    assert missing.cause == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        "The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input '{\"a\":1}'"
    )
    input_path = run(sandbox, {"P": {"Type": "Pass", "InputPath": "$.nope", "End": True}})
    assert (input_path.cause or "").endswith("Invalid path '$.nope' : No results for path: $['nope']")
