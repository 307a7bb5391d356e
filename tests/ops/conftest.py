"""Fixtures for the operations commands: a runtime in ``runtime: aws`` against moto with the deployment's
tables, queues and dead-letter queues created as Terraform would, and a way to run a CLI step on it."""

from __future__ import annotations

import argparse
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
    from bot.deploy.catalog import aws_tables, build_catalog
    from bot.deploy.dlq import dead_letter_queues
    from bot.storage.dynamodb import create_tables

    config = tmp_path / "crewbot.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    with mock_aws():
        crewbot = start(config_file=config, environ={"CREWBOT_HOME": str(tmp_path / "home")}, setup_logging=False)
        create_tables(boto3.client("dynamodb", region_name=REGION), crewbot.namer, list(aws_tables().values()))
        sqs = boto3.client("sqs", region_name=REGION)
        for queue in build_catalog(crewbot).queues:
            sqs.create_queue(QueueName=crewbot.namer.queue(queue))
        for dlq in dead_letter_queues(crewbot):
            sqs.create_queue(QueueName=dlq.physical)
        try:
            yield crewbot
        finally:
            crewbot.close()


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
