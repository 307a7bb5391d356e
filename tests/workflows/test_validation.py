"""CI validation of every definition: the repository's ``workflows/*.asl.json`` and the test fixtures
pass ``asl-validator`` (npm, installed here once, run offline through ``npx``), load in the local
runner's loader and in the reference interpreter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.resources import data_dir
from bot.workflows.definitions import load_file
from tests.workflows.handlers import Inbox, make_tasks
from tests.workflows.reference import reference_engine

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".crewbot-tools"  # gitignored
ASL_VALIDATOR = "asl-validator@4"
FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.asl.json"))
SHIPPED = sorted(data_dir("workflows").glob("*.asl.json"))


@pytest.fixture(scope="session")
def npx() -> list[str]:
    """``npx`` able to run asl-validator offline; installs it into .crewbot-tools/ the first time."""
    npm, npx_path = shutil.which("npm"), shutil.which("npx")
    if not npm or not npx_path:
        pytest.fail(
            "npm/npx not found: install Node.js (Debian: apt-get install nodejs npm) to validate "
            "workflows/*.asl.json with asl-validator",
            pytrace=False,
        )
    if not (TOOLS / "node_modules" / ".bin" / "asl-validator").exists():
        done = subprocess.run(
            [npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", ASL_VALIDATOR],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(
                f"could not install {ASL_VALIDATOR} with npm (exit {done.returncode}):\n{done.stdout}\n{done.stderr}",
                pytrace=False,
            )
    return [npx_path, "--no-install", "asl-validator"]


def test_every_definition_passes_asl_validator(npx: list[str]) -> None:
    paths = [*SHIPPED, *FIXTURES]
    command = [*npx]
    for path in paths:
        command += ["--json-path", str(path)]
    done = subprocess.run(command, cwd=TOOLS, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"asl-validator rejected a definition:\n{done.stdout}\n{done.stderr}"
    for path in paths:
        assert f'"{path}" is valid' in done.stdout


def test_asl_validator_really_rejects_an_invalid_definition(npx: list[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.asl.json"
    broken.write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}')
    done = subprocess.run([*npx, "--json-path", str(broken)], cwd=TOOLS, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr


@pytest.mark.parametrize("path", SHIPPED + FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_definition_loads_here_and_in_the_reference_interpreter(path: Path) -> None:
    definition = load_file(path)
    with reference_engine([definition], make_tasks(Inbox())) as reference:
        assert reference.state_machine_arn(definition.name)
