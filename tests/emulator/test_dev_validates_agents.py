"""`crewbot dev` checks agent specs at start: a broken one stops it with the file and key named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGIN = """
from pathlib import Path
from bot import hookimpl

@hookimpl
def register_agents():
    return [Path(__file__).with_name("broken_agent.yaml")]
"""


def test_dev_refuses_to_start_with_a_broken_agent_spec(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "crewbot_broken_agent.py").write_text(PLUGIN)
    (site / "broken_agent.md").write_text("You are broken.\n")
    (site / "broken_agent.yaml").write_text(
        "name: broken_agent\ndescription: Uses a tool nobody registered.\nmodel: default\n"
        "prompt: broken_agent.md\ntools: [no_such_tool]\n"
    )
    dist = site / "crewbot_broken_agent-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crewbot-broken-agent\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[crewbot]\nbroken_agent = crewbot_broken_agent\n")

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CREWBOT_", "SLACK_"))}
    environ.update(PYTHONPATH=str(site), CREWBOT_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "dev", "--script", "-"],
        input="hello\n",
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "broken_agent.yaml" in result.stderr and "no_such_tool" in result.stderr
    assert "Traceback" not in result.stderr
