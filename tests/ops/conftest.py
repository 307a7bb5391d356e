"""Fixtures for the operations commands: a runtime in ``runtime: aws`` against moto with the deployment's
tables, queues and dead-letter queues created as Terraform would, and a way to run a CLI step on it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.cli.context import CliContext
from bot.runtime import Crewbot, start

REGION = "us-east-1"
ACCOUNT = "123456789012"
CONFIG = f"""
runtime: aws
aws: {{region: {REGION}, account_id: "{ACCOUNT}"}}
models: {{default: offline}}
"""


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws_crewbot(aws_env: None, tmp_path: Path) -> Iterator[Crewbot]:
    """A deployed-looking account: tables, work queues with their DLQs and the async DLQs."""
    from bot.deploy.catalog import build_catalog
    from bot.deploy.dlq import dead_letter_queues
    from bot.storage.dynamodb import create_tables

    config = tmp_path / "crewbot.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    with mock_aws():
        crewbot = start(config_file=config, environ={"CREWBOT_HOME": str(tmp_path / "home")}, setup_logging=False)
        create_tables(
            boto3.client("dynamodb", region_name=REGION), crewbot.namer, list(build_catalog(crewbot).tables.values())
        )
        sqs = boto3.client("sqs", region_name=REGION)
        for queue in build_catalog(crewbot).queues:
            sqs.create_queue(QueueName=crewbot.namer.queue(queue))
        for dlq in dead_letter_queues(crewbot):
            sqs.create_queue(QueueName=dlq.physical)
        try:
            yield crewbot
        finally:
            crewbot.close()


@pytest.fixture
def sfn_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto 5.2 publishes state machine versions (``publish=True``) and keeps them, but has no
    ListStateMachineVersions: answer it from the versions moto holds, newest first as AWS lists them."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(machine.versions.values(), key=lambda v: v.version, reverse=True)
        listed = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in versions]
        return ActionResult({"stateMachineVersions": listed})

    monkeypatch.setattr(StepFunctionResponse, "list_state_machine_versions", list_state_machine_versions, raising=False)


def run_cli(crewbot: Crewbot, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``crewbot <argv>`` on ``crewbot`` (not a fresh runtime); return (status, stdout, stderr)."""
    from bot.cli.main import build_parser

    args: argparse.Namespace = build_parser(with_plugins=False).parse_args(argv)
    ctx = CliContext(args)
    ctx.__dict__["crewbot"] = crewbot  # the runtime under test instead of one started from --env
    capsys.readouterr()
    func: Callable[[CliContext], Any] = args.func
    status = int(func(ctx) or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def deploy_everything(crewbot: Crewbot, tmp_path: Path) -> None:
    """What ``terraform apply`` creates, on moto: secrets with values, buckets, schedules, state machines with
    the rendered definitions and the functions (their code is ``tmp_path/crewbot.zip``). moto's API Gateway
    needs an extra package: tests answer ``get_apis`` with :func:`http_api` instead."""
    import io
    import zipfile

    from bot.deploy.doctor import Doctor

    namer = crewbot.namer
    doctor = Doctor(crewbot)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    for name in doctor.catalog.secrets:
        secrets.create_secret(Name=namer.secret(crewbot.config.secrets[name].name), SecretString="value")
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in doctor.catalog.buckets:
        s3.create_bucket(Bucket=namer.bucket(bucket))
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    scheduler = boto3.client("scheduler", region_name=REGION)
    scheduler.create_schedule_group(Name=f"{namer.prefix}-fixed")
    for name, schedule in doctor.catalog.schedules.items():
        target = {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:x", "RoleArn": role}
        scheduler.create_schedule(
            Name=f"{namer.prefix}-{name}",
            GroupName=f"{namer.prefix}-fixed",
            ScheduleExpression=schedule["expression"],
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=target,
        )
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for name in doctor.catalog.workflows:
        definition = json.dumps(doctor.expected_definition(name))
        created = sfn.create_state_machine(
            name=namer.state_machine(name), definition=definition, roleArn=role, publish=True
        )
        route = {"stateMachineVersionArn": created["stateMachineVersionArn"], "weight": 100}
        sfn.create_state_machine_alias(name="live", routingConfiguration=[route])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    (tmp_path / "crewbot.zip").write_bytes(buffer.getvalue())
    lam = boto3.client("lambda", region_name=REGION)
    for name, spec in doctor.catalog.functions.items():
        lam.create_function(
            FunctionName=namer.function(name),
            Runtime="python3.12",
            Role=role,
            Handler=spec.handler,
            Code={"ZipFile": buffer.getvalue()},
            Publish=True,
        )


def http_api(crewbot: Crewbot, endpoint: str = "https://abc123.execute-api.us-east-1.amazonaws.com") -> Any:
    """An API Gateway client that lists the deployment's HTTP API at ``endpoint`` (empty: none deployed)."""
    from botocore.stub import Stubber

    client = boto3.client("apigatewayv2", region_name=REGION)
    stub = Stubber(client)
    api = {"Name": f"{crewbot.namer.prefix}-slack", "ApiEndpoint": endpoint, "ProtocolType": "HTTP"}
    items = [{**api, "RouteSelectionExpression": "${request.method} ${request.path}"}]
    for _ in range(5):
        stub.add_response("get_apis", {"Items": items if endpoint else []})
    stub.activate()
    return client
