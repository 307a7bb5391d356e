"""The reference interpreter: moto's Step Functions parser, with Lambda tasks routed to the same
Python handlers the local runner calls (moto would otherwise need Docker to run a Lambda)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

from bot.config.naming import ResourceNamer
from bot.workflows.aws import StepFunctionsEngine
from bot.workflows.definitions import WorkflowDefinition
from bot.workflows.tasks import TaskContext, TaskRegistry, task_error, task_name_of_placeholder

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAMER = ResourceNamer("crewbot", "test")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/crewbot-test-workflows"
EVENT_BUS = "crewbot-test-bus"


def placeholder_values(definition: WorkflowDefinition) -> dict[str, str]:
    values = {}
    for placeholder in definition.placeholders():
        if placeholder == "EventBusName":
            values[placeholder] = EVENT_BUS
            continue
        task = task_name_of_placeholder(placeholder)
        assert task is not None, placeholder
        values[placeholder] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAMER.function(task.lower())}"
    return values


def _router(tasks: TaskRegistry) -> Any:
    by_function = {NAMER.function(name.lower()): name for name in tasks.names()}

    def invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
        function = str(parameters["FunctionName"]).rsplit(":", 1)[-1]
        task = tasks.get(by_function[function])
        assert task is not None
        raw = parameters.get("Payload") or b"{}"
        payload = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        token = payload.get("taskToken") if isinstance(payload, dict) else None
        try:
            result = task.handler(payload, TaskContext(task=task.name, task_token=token))
        except Exception as exc:
            _, cause = task_error(exc)
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": json.loads(cause)}
        return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": result}

    return invoke


@contextmanager
def reference_engine(definitions: list[WorkflowDefinition], tasks: TaskRegistry) -> Iterator[StepFunctionsEngine]:
    """A :class:`StepFunctionsEngine` on moto's interpreter with ``definitions`` deployed."""
    original = lambda_eval_utils._invoke_lambda_function
    lambda_eval_utils._invoke_lambda_function = _router(tasks)
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            client = boto3.client("stepfunctions", region_name=REGION)
            boto3.client("events", region_name=REGION).create_event_bus(Name=EVENT_BUS)
            for definition in definitions:
                client.create_state_machine(
                    name=NAMER.state_machine(definition.name),
                    definition=definition.render(placeholder_values(definition)),
                    roleArn=ROLE,
                )
            yield StepFunctionsEngine(client, NAMER, [d.name for d in definitions])
    finally:
        lambda_eval_utils._invoke_lambda_function = original
