"""Loading definitions: everything unsupported or wrong is rejected at load, naming file and state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.workflows.definitions import check_tasks, load_definitions, load_file, parse_definition
from bot.workflows.errors import DefinitionError, UnknownTaskError
from bot.workflows.tasks import TaskRegistry, WorkflowTask
from tests.workflows.conftest import FIXTURES


def machine(**states: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


TASK = {"Type": "Task", "Resource": "${LoadMeetingFunctionArn}", "End": True}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (machine(A={"Type": "Activity", "End": True}), "States.A: state type 'Activity' is not supported"),
        ({**machine(A={"Type": "Pass", "End": True}), "QueryLanguage": "XPath"}, "must be JSONPath or JSONata"),
        (machine(A={"Type": "Pass", "Next": "B"}), "States.A.Next: 'B' is not a state"),
        (machine(A={"Type": "Pass"}), "States.A: needs exactly one of Next or End"),
        (machine(A={"Type": "Pass", "End": True}, B={"Type": "Succeed"}), "state(s) B cannot be reached"),
        (
            machine(A={**TASK, "Resource": "arn:aws:states:::sqs:sendMessage"}),
            "is not supported; use a task placeholder",
        ),
        (machine(A={**TASK, "Resource": "${LoadMeeting}"}), "must name a task as ${<TaskName>FunctionArn}"),
        (
            machine(
                A={
                    **TASK,
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": "${AskFunctionArn}", "Payload": {"x": 1}},
                }
            ),
            "must pass the token",
        ),
        (machine(A={**TASK, "Credentials": {}}), "field(s) ['Credentials'] not supported in a JSONPath Task state"),
        (
            machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Nope($.a)"}, "End": True}),
            "unsupported intrinsic function States.Nope",
        ),
        (
            machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Format('{}', $.a"}, "End": True}),
            "expected ',' or ')'",
        ),
        (machine(A={"Type": "Pass", "ResultPath": "$.items[*]", "End": True}), "must be a reference path"),
        (
            machine(A={"Type": "Pass", "Result": {"table": "${TableName}"}, "End": True}),
            "placeholders are only supported",
        ),
        (
            machine(A={**TASK, "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}),
            "States.ALL must appear alone, in the last entry",
        ),
        (machine(A={**TASK, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "FULL"}]}), "only NONE is supported"),
        (
            machine(A={**TASK, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}),
            "BackoffRate: must be a number >= 1.0",
        ),
        (
            machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "x", "Next": "Nowhere"}]}),
            "'Nowhere' is not a state",
        ),
        (
            machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "A"}]}),
            "exactly one comparison operator",
        ),
        (machine(A={"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": True}), "exactly one of"),
        (
            machine(
                A={
                    "Type": "Map",
                    "End": True,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                        "StartAt": "B",
                        "States": {"B": {"Type": "Succeed"}},
                    },
                }
            ),
            "only the INLINE mode is supported",
        ),
        (
            machine(A={"Type": "Parallel", "End": True, "Branches": [machine(B={"Type": "Pass", "Next": "C"})]}),
            "States.A.Branches[0].States.B.Next: 'C' is not a state",
        ),
        (
            machine(
                A={
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents",
                    "End": True,
                    "Parameters": {"Entries": [{"Source": "s", "DetailType": "d", "EventBusName": "default"}]},
                }
            ),
            "EventBusName: must be ${EventBusName}",
        ),
        (
            machine(
                A={
                    "Type": "Task",
                    "Resource": "arn:aws:states:::events:putEvents",
                    "End": True,
                    "Parameters": {"Entries": [{"Source": "s"}]},
                }
            ),
            "DetailType is required",
        ),
        (
            {"StartAt": "A", "States": {"A": TASK}, "TimeoutSeconds": 0},
            "TimeoutSeconds: must be a positive integer",
        ),
    ],
)
def test_invalid_definitions_are_rejected_with_the_place_named(document, message):
    with pytest.raises(DefinitionError) as caught:
        parse_definition("x", document, "workflows/x.asl.json")
    assert str(caught.value).startswith("workflows/x.asl.json: ")
    assert message in str(caught.value)


def test_a_file_with_broken_json_names_the_line(tmp_path: Path):
    path = tmp_path / "broken.asl.json"
    path.write_text('{"StartAt": "A",\n "States": {,}}')
    with pytest.raises(DefinitionError, match=r"broken.asl.json: invalid JSON at line 2"):
        load_file(path)


def test_file_names_are_workflow_names(tmp_path: Path):
    path = tmp_path / "Meeting Prep.asl.json"
    path.write_text(json.dumps(machine(A={"Type": "Succeed"})))
    with pytest.raises(DefinitionError, match="lower_snake_case"):
        load_file(path)


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path):
    (tmp_path / "one.asl.json").write_text(json.dumps(machine(A={"Type": "Nope"})))
    (tmp_path / "two.asl.json").write_text("[]")
    with pytest.raises(DefinitionError) as caught:
        load_definitions(sorted(tmp_path.glob("*.asl.json")))
    assert "one.asl.json" in str(caught.value) and "two.asl.json" in str(caught.value)


def test_tasks_and_placeholders_are_listed():
    definition = load_file(FIXTURES / "everything.asl.json")
    assert sorted(definition.tasks) == ["Add", "Ask", "Boom", "Flaky"]
    assert definition.placeholders() == [
        "AddFunctionArn",
        "AskFunctionArn",
        "BoomFunctionArn",
        "EventBusName",
        "FlakyFunctionArn",
    ]
    rendered = json.loads(definition.render({p: f"arn:{p}" for p in definition.placeholders()}))
    assert rendered["States"]["Sum"]["Resource"] == "arn:AddFunctionArn"
    with pytest.raises(DefinitionError, match="no value for placeholder"):
        definition.render({})


def test_the_start_up_check_names_every_missing_task():
    definitions = [load_file(FIXTURES / "everything.asl.json")]
    registry = TaskRegistry([("p", WorkflowTask("Add", lambda payload, ctx: 0))])
    with pytest.raises(UnknownTaskError) as caught:
        check_tasks(definitions, registry)
    text = str(caught.value)
    for missing in ("Ask", "Boom", "Flaky"):
        assert f"${{{missing}FunctionArn}}" in text
    assert "registered workflow tasks: Add" in text


def test_task_names_and_duplicates_are_checked():
    with pytest.raises(ValueError, match="CamelCase"):
        WorkflowTask("load_meeting", lambda payload, ctx: None)
    registry = TaskRegistry([("a", WorkflowTask("Add", lambda payload, ctx: 0))])
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(WorkflowTask("Add", lambda payload, ctx: 1), "b")
