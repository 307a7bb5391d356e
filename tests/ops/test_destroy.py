"""``crewbot deploy destroy``: what --keep-data and --force keep, against a stand-in ``terraform`` that records
the commands it is given, and against the Terraform configuration itself (what the kept modules hold, and that
they depend on nothing the targeted destroy removes)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.deploy.destroy import KEPT_MODULES, is_kept, plan_destroy
from bot.runtime import Crewbot
from tests.infra.conftest import TF, parse
from tests.ops.conftest import run_cli

# What `terraform state list` prints for a small deployment: the shapes that matter (module instances with
# keys, nested data sources, root resources).
STATE = """\
data.aws_caller_identity.current
data.aws_partition.current
aws_apigatewayv2_api.slack
aws_lambda_layer_version.dependencies
module.data.data.aws_iam_policy_document.tls_only["artifacts"]
module.data.aws_dynamodb_table.this["audit"]
module.data.aws_s3_bucket.this["artifacts"]
module.data.aws_s3_bucket_versioning.this["artifacts"]
module.secrets.aws_kms_key.this
module.secrets.aws_kms_alias.this
module.secrets.aws_secretsmanager_secret.this["slack_bot_token"]
module.function["bot"].aws_lambda_function.this
module.function["bot"].aws_lambda_alias.live
module.function["bot"].data.aws_iam_policy_document.assume
module.queues.aws_sqs_queue.this["meeting-prep"]
module.observability.aws_cloudwatch_dashboard.this
module.packages[0].aws_s3_bucket.this
"""

FAKE = """#!{python}
import json, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[1:] == ["state", "list"]:
    sys.stdout.write(open({state!r}).read())
"""


@pytest.fixture
def terraform(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in ``terraform``: answers ``state list`` from STATE, records every command line."""
    state, log, exe = tmp_path / "state.txt", tmp_path / "calls.jsonl", tmp_path / "terraform"
    state.write_text(STATE)
    exe.write_text(FAKE.format(python=sys.executable, log=str(log), state=str(state)))
    exe.chmod(0o755)
    return exe, log


def _crewbot() -> Crewbot:
    return cast(Crewbot, SimpleNamespace(config=SimpleNamespace(project="crewbot", environment="dev")))


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line)[1:] for line in log.read_text().splitlines()] if log.exists() else []


def test_keep_data_destroys_everything_else_in_one_targeted_destroy(
    terraform: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    exe, log = terraform
    argv = ["deploy", "destroy", "--keep-data", "--terraform", str(exe), "--dir", "tf", "--var-file", "dev.tfvars"]
    status, out, _ = run_cli(_crewbot(), argv, capsys)
    assert status == 0
    calls = _calls(log)
    assert calls[0] == ["state", "list"]
    destroy = calls[1]
    assert destroy[:3] == ["destroy", "-input=false", "-var-file=dev.tfvars"]
    targets = {a.removeprefix("-target=") for a in destroy if a.startswith("-target=")}
    assert targets == {
        "aws_apigatewayv2_api.slack",
        "aws_lambda_layer_version.dependencies",
        'module.function["bot"].aws_lambda_function.this',
        'module.function["bot"].aws_lambda_alias.live',
        'module.queues.aws_sqs_queue.this["meeting-prep"]',
        "module.observability.aws_cloudwatch_dashboard.this",
        "module.packages[0].aws_s3_bucket.this",  # the code bucket is rebuilt by make package + apply
    }
    # Terraform asks for confirmation itself (no -auto-approve) and nothing lifts the protection.
    assert "-auto-approve" not in destroy and not any("protect_data" in a for a in destroy)
    assert len(calls) == 2
    for kept in ('aws_dynamodb_table.this["audit"]', "aws_kms_key.this", 'aws_secretsmanager_secret.this["slack_'):
        assert "keep module." in out and kept in out


def test_force_confirms_with_the_deployment_name_then_lifts_protection_and_destroys_all(
    terraform: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    exe, log = terraform
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    status, _, err = run_cli(_crewbot(), ["deploy", "destroy", "--force", "--terraform", str(exe)], capsys)
    assert status == 1 and "not confirmed" in err
    assert _calls(log) == [["state", "list"]]  # a wrong answer destroys nothing

    log.unlink()
    monkeypatch.setattr("builtins.input", lambda prompt: "crewbot-dev")
    status, _, _ = run_cli(_crewbot(), ["deploy", "destroy", "--force", "--terraform", str(exe)], capsys)
    assert status == 0
    assert _calls(log)[1:] == [
        ["apply", "-input=false", "-auto-approve", "-var", "protect_data=false"],
        ["destroy", "-input=false", "-auto-approve", "-var", "protect_data=false"],
    ]


def test_dry_run_and_a_failing_state_list_change_nothing(
    terraform: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exe, log = terraform
    status, out, _ = run_cli(_crewbot(), ["deploy", "destroy", "--force", "--dry-run", "--terraform", str(exe)], capsys)
    assert status == 0 and "dry run" in out and _calls(log) == [["state", "list"]]
    broken = tmp_path / "broken"
    broken.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('no state')\nsys.exit(1)\n")
    broken.chmod(0o755)
    status, _, err = run_cli(_crewbot(), ["deploy", "destroy", "--keep-data", "--terraform", str(broken)], capsys)
    assert status == 2 and "no state" in err


def test_keep_data_with_only_data_left_runs_nothing() -> None:
    plan = plan_destroy([a for a in STATE.splitlines() if is_kept(a)], keep_data=True)
    assert plan.commands == [] and plan.kept


def _resource_types(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.glob("*.tf"):
        for block in parse(path).get("resource", []):
            found.update(k.strip('"') for k in block if k != "__is_block__")
    return found


def test_the_kept_modules_hold_the_data_and_depend_only_on_each_other() -> None:
    """What --keep-data keeps is tables, buckets, the KMS key and secrets; what the destroy removes holds none of
    them (except the code bucket, which `make package` refills) and nothing kept refers to it."""
    kept_types = _resource_types(TF / "modules" / "data") | _resource_types(TF / "modules" / "secrets")
    assert {"aws_dynamodb_table", "aws_s3_bucket", "aws_kms_key", "aws_secretsmanager_secret"} <= kept_types
    data_types = {"aws_dynamodb_table", "aws_kms_key", "aws_secretsmanager_secret"}
    for module in (TF / "modules").iterdir():
        if module.name not in ("data", "secrets") and module.is_dir():
            assert not _resource_types(module) & data_types, f"modules/{module.name} holds data --keep-data destroys"
    main: dict[str, Any] = parse(TF / "main.tf")
    blocks = {name.strip('"'): body for block in main["module"] for name, body in block.items()}
    kept = {m.removeprefix("module.") for m in KEPT_MODULES}
    for name in kept:
        refs = set(re.findall(r"module\.([a-z_]+)", json.dumps(blocks[name])))
        assert refs <= kept | {"catalog"}, f"module.{name} depends on {refs - kept} which --keep-data destroys"
