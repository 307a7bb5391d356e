"""``crewbot deploy destroy`` against Terraform's own destroy plans of the production deployment.

The production configuration is planned for real (``examples/prod.tfvars``), the state an apply of that plan
would leave is written, and the commands ``--keep-data`` and ``--force`` would run are planned by Terraform
with ``-destroy -refresh=false``: what Terraform would delete is compared with what each mode promises to keep.
Needs the ``terraform`` binary and the AWS provider in a local mirror (``TF_PROVIDER_MIRROR``, default
``/opt/tf-plugins``); skipped, saying so, without them. See tests/ops/terraform_offline.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.deploy.catalog import build_catalog
from bot.deploy.destroy import is_kept, plan_destroy, state_list
from bot.runtime import start
from tests.infra.conftest import TF
from tests.ops.terraform_offline import (
    AwsEndpoint,
    OfflineTerraform,
    changed,
    config_address,
    is_data_source,
    write_state,
)

MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))
PROD = ("-var-file=examples/prod.tfvars",)
#: What ``protect_data`` switches: deletion protection, emptying buckets and registries on delete.
PROTECTION = {"deletion_protection_enabled", "force_destroy", "force_delete", "termination_protection_enabled"}

pytestmark = pytest.mark.skipif(
    shutil.which("terraform") is None or not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir(),
    reason=f"needs the terraform binary and an AWS provider mirror at {MIRROR} (set TF_PROVIDER_MIRROR)",
)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The production deployment as Terraform would leave it after an apply: its plan and ``state list``."""
    home = tmp_path_factory.mktemp("home")
    runtime = start(env="prod", environ={"CREWBOT_HOME": str(home)}, setup_logging=False)
    try:
        catalog = build_catalog(runtime)
    finally:
        runtime.close()
    endpoint = AwsEndpoint()
    try:
        terraform = OfflineTerraform(TF, catalog, tmp_path_factory.mktemp("tf"), MIRROR, endpoint)
        created = terraform.plan(*PROD)
        # What --force's first step (an apply with the data unprotected) plans, from no state like `created`.
        lift = plan_destroy([], keep_data=False, var_args=PROD).commands[0]
        lifted = terraform.plan(*lift[3:])
        write_state(terraform, created)

        def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["terraform", f"-chdir={terraform.dir}", *args], capture_output=True, text=True, env=terraform.env
            )

        yield Deployed(terraform, created, lifted, state_list("terraform", terraform.dir, run=run))
    finally:
        endpoint.close()


@dataclass
class Deployed:
    terraform: OfflineTerraform
    plan: dict[str, Any]
    lifted: dict[str, Any]
    state: list[str]


def _types(addresses: set[str] | list[str]) -> set[str]:
    return {config_address(a).split(".")[-2] for a in addresses}


def test_keep_data_deletes_exactly_what_it_targets_and_keeps_tables_buckets_keys_and_secrets(
    deployed: Deployed,
) -> None:
    terraform, state = deployed.terraform, deployed.state
    teardown = plan_destroy(state, keep_data=True, var_args=PROD)
    [command] = teardown.commands
    assert command[:2] == ["destroy", "-input=false"]

    deleted = changed(terraform.plan("-destroy", "-refresh=false", *command[2:]), "delete")

    # Terraform deletes what is targeted and nothing more: no kept resource depends on a destroyed one.
    assert deleted == set(teardown.destroyed)
    assert not [a for a in deleted if is_kept(a)]
    assert {"aws_dynamodb_table", "aws_s3_bucket", "aws_kms_key", "aws_secretsmanager_secret"} <= _types(teardown.kept)
    # ... and everything else in the deployment goes: functions, API, queues, state machines, alarms.
    assert {"aws_lambda_function", "aws_apigatewayv2_api", "aws_sqs_queue", "aws_sfn_state_machine"} <= _types(deleted)
    assert len(teardown.kept) + len(deleted) == len([a for a in state if not is_data_source(a)])


def test_force_lifts_the_protection_on_the_data_then_deletes_everything(deployed: Deployed) -> None:
    terraform, state = deployed.terraform, deployed.state
    teardown = plan_destroy(state, keep_data=False, var_args=PROD)
    lift, destroy = teardown.commands
    assert lift[:3] == ["apply", "-input=false", "-auto-approve"] and destroy[:3] == [
        "destroy",
        "-input=false",
        "-auto-approve",
    ]

    # The first step changes protection settings only: the deployment planned with its variables differs from
    # the one deployed in those attributes alone, on the tables and buckets among others.
    assert lift == plan_destroy([], keep_data=False, var_args=PROD).commands[0]  # what the fixture planned
    lifted = {r["address"]: r["change"]["after"] for r in deployed.lifted["resource_changes"]}
    before = {r["address"]: r["change"]["after"] for r in deployed.plan["resource_changes"]}
    assert lifted.keys() == before.keys()
    differs = {
        address: {k for k in lifted[address] if lifted[address][k] != before[address].get(k)}
        for address in lifted
        if lifted[address] != before[address]
    }
    assert set().union(*differs.values()) <= PROTECTION, differs
    assert {"aws_dynamodb_table", "aws_s3_bucket"} <= _types(set(differs))

    # The second deletes every resource in the state.
    deleted = changed(terraform.plan("-destroy", "-refresh=false", *destroy[3:]), "delete")
    assert deleted == set(teardown.destroyed) == {a for a in state if not is_data_source(a)}
    assert {"aws_dynamodb_table", "aws_s3_bucket", "aws_kms_key", "aws_secretsmanager_secret"} <= _types(deleted)
