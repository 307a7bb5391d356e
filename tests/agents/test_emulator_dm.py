"""The agent conversation end to end through the local Slack emulator: a multi-turn DM with the Meeting
Coordinator on the offline model, remembered across a restart of the bot."""

from __future__ import annotations

import os
from pathlib import Path

from bot.emulator import Emulator

from .conftest import add_meeting


def start(home: Path) -> Emulator:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CREWBOT_"))}
    environ["HOME"] = str(home / "nohome")  # no ~/.aws: the offline model
    return Emulator.start(home, environ=environ)


def test_dm_conversation_uses_stored_meetings_and_survives_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start(home)
    add_meeting(first.crewbot, first.user("alice"), "m-lead", "Leadership sync", 1, meeting_type="leadership")
    add_meeting(first.crewbot, first.user("alice"), "m-qbr", "Customer QBR", 3, meeting_type="qbr")
    first.act_as("alice")

    turn = first.dm("What meetings do I have this week?")
    assert "[offline model]" in turn.text
    assert "Leadership sync" in turn.text and "Customer QBR" in turn.text
    assert "get_upcoming_meetings" in turn.text  # the context line names the tool used

    turn = first.dm("Build the agenda for the customer QBR")
    assert "Quarter in review" in turn.text and "generate_meeting_agenda" in turn.text

    turn = first.dm("What did I ask earlier?")
    assert "What meetings do I have this week?" in turn.text

    # The bot restarts: the emulator continues alice's DM thread from CREWBOT_HOME, with nothing carried by hand.
    first.close()

    second = start(home)
    second.act_as("alice")
    turn = second.dm("What did I ask earlier?")
    assert "What meetings do I have this week?" in turn.text
    assert "Build the agenda for the customer QBR" in turn.text
    second.new_thread()
    turn = second.dm("What did I ask earlier?")
    assert "What meetings do I have this week?" not in turn.text  # `new` starts a fresh conversation
    second.close()


def test_crewbot_dev_remembers_the_conversation_after_a_restart(tmp_path: Path) -> None:
    """The real command, twice, on one CREWBOT_HOME: the second process continues the same DM."""
    import subprocess
    import sys

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CREWBOT_", "SLACK_"))}
    environ.update(CREWBOT_HOME=str(tmp_path / "home"), HOME=str(tmp_path / "nohome"))

    def dev(script: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "dev", "--script", "-"],
            input=script,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    dev("What meetings do I have this week?\nexpect [offline model]\n")
    transcript = dev("What did I ask earlier?\nexpect What meetings do I have this week?\n")
    assert "What meetings do I have this week?" in transcript
