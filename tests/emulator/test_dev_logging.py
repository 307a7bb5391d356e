"""`crewbot dev` keeps the transcript readable: the log goes to CREWBOT_HOME/logs, warnings still show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_info_logs_go_to_the_log_file_not_the_transcript(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CREWBOT_", "SLACK_", "AWS_"))}
    environ.update(CREWBOT_HOME=str(tmp_path / "home"), HOME=str(tmp_path / "nohome"))
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "dev", "--script", "-"],
        input="/prep sync\nexpect Calendar synced\n",
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " INFO " not in result.stdout + result.stderr
    log = (tmp_path / "home" / "logs" / "crewbot.log").read_text()
    assert "calendar monitor" in log and " INFO " in log
