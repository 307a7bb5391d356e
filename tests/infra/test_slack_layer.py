"""The Slack function's slim layer: the distributions it gets are the ones its paths import, and a
signed slash command and a DM run from the code artefact and those distributions alone, so a missing
dependency fails here rather than in AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from bot.deploy.package import SLACK_FUNCTION_DISTRIBUTIONS, build_code_zip, canonical_name, distribution_files
from bot.emulator.fake_slack import FakeSlack

SCENARIO = Path(__file__).with_name("slack_function_scenario.py")
USER = "U0SCENARIO"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack(token="xoxb-scenario").start()
    slack.add_user(USER, "dev")
    yield slack
    slack.stop()


def run_scenario(fake: FakeSlack, tmp_path: Path, *python_flags: str, paths: tuple[Path, ...] = ()) -> list[str]:
    """Run the scenario in a fresh interpreter; check both requests were answered; the modules it imported."""
    channel = fake.dm_channel(USER)
    message = fake.add_user_message(channel, USER, "hello")
    stdin = f"{USER} {channel}\n{fake.new_response_url(channel, USER)}\n{message.ts}\n"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "CREWBOT_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, *python_flags, str(SCENARIO), fake.base_url, *map(str, paths)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    help_texts = [c.args.get("text", "") for c in fake.calls_to("response_url")]
    assert any("/crewbot" in text for text in help_texts), help_texts
    replies = [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]
    assert replies, "the DM was not answered"
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return modules


def test_the_slim_layer_has_every_distribution_the_slack_paths_import(fake: FakeSlack, tmp_path: Path) -> None:
    modules = run_scenario(fake, tmp_path)
    owners = packages_distributions()
    ours = {"bot", "plugins", "tests", "benchmarks"}
    imported: set[str] = set()
    for top in {m.split(".")[0] for m in modules} - set(sys.stdlib_module_names) - ours:
        imported.update(canonical_name(d) for d in owners.get(top, ()))
    missing = imported - SLACK_FUNCTION_DISTRIBUTIONS
    assert not missing, f"add to SLACK_FUNCTION_DISTRIBUTIONS: {sorted(missing)}"
    unused = SLACK_FUNCTION_DISTRIBUTIONS - imported
    assert not unused, f"not imported by the Slack function's paths, drop: {sorted(unused)}"


def test_the_slack_function_runs_from_its_artefacts_alone(fake: FakeSlack, tmp_path: Path) -> None:
    code = tmp_path / "code"
    with zipfile.ZipFile(build_code_zip(tmp_path / "crewbot.zip")) as zf:
        zf.extractall(code)
    layer = tmp_path / "layer" / "python"
    for name, path in distribution_files(Path(sysconfig.get_paths()["purelib"]), SLACK_FUNCTION_DISTRIBUTIONS):
        target = layer / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    # -I -S: no site-packages, no PYTHON* variables, no current directory — only the artefacts.
    modules = run_scenario(fake, tmp_path, "-I", "-S", paths=(code, layer))
    assert any(m.startswith("slack_bolt") for m in modules)
