"""Executions start through the state machine's ``live`` alias, which ``crewbot deploy rollback`` moves.

moto 5.2 cannot start an execution on an alias ARN (its StartExecution knows only state machines and
numbered versions), so the calls are checked at the SDK boundary with botocore's Stubber.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from botocore.stub import Stubber

from bot.config.naming import ResourceNamer
from bot.workflows.aws import StepFunctionsEngine

NAMER = ResourceNamer("crewbot", "test")
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:crewbot-test-approval"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:crewbot-test-approval:first"


def _engine() -> tuple[StepFunctionsEngine, Stubber]:
    client = boto3.client(
        "stepfunctions", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stub = Stubber(client)
    stub.add_response(
        "list_state_machines",
        {
            "stateMachines": [
                {
                    "name": "crewbot-test-approval",
                    "stateMachineArn": MACHINE,
                    "type": "STANDARD",
                    "creationDate": datetime(2026, 1, 1, tzinfo=UTC),
                }
            ]
        },
    )
    return StepFunctionsEngine(client, NAMER, ["approval"]), stub


def _described(stub: Stubber) -> None:
    stub.add_response(
        "describe_execution",
        {
            "executionArn": EXECUTION,
            "stateMachineArn": MACHINE,
            "stateMachineAliasArn": f"{MACHINE}:live",
            "name": "first",
            "status": "RUNNING",
            "startDate": datetime(2026, 1, 1, tzinfo=UTC),
            "input": "{}",
        },
        {"executionArn": EXECUTION},
    )


def test_executions_start_on_the_live_alias() -> None:
    engine, stub = _engine()
    stub.add_response(
        "start_execution",
        {"executionArn": EXECUTION, "startDate": datetime(2026, 1, 1, tzinfo=UTC)},
        {"stateMachineArn": f"{MACHINE}:live", "name": "first", "input": '{"project": "apollo"}'},
    )
    _described(stub)
    with stub:
        execution = engine.start("approval", {"project": "apollo"}, name="first")
    stub.assert_no_pending_responses()
    assert execution.workflow == "approval" and execution.execution_id == EXECUTION


def test_a_state_machine_without_the_alias_is_started_itself() -> None:
    engine, stub = _engine()
    stub.add_client_error(
        "start_execution",
        "StateMachineDoesNotExist",
        expected_params={"stateMachineArn": f"{MACHINE}:live", "name": "first", "input": "{}"},
    )
    stub.add_response(
        "start_execution",
        {"executionArn": EXECUTION, "startDate": datetime(2026, 1, 1, tzinfo=UTC)},
        {"stateMachineArn": MACHINE, "name": "first", "input": "{}"},
    )
    _described(stub)
    with stub:
        assert engine.start("approval", name="first").status == "RUNNING"
    stub.assert_no_pending_responses()
