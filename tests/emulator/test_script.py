"""Script mode end to end: the script language, the transcript, exit codes, and `crewbot dev`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.emulator import Emulator, EmulatorError
from bot.emulator.script import ScriptError, ScriptRunner, parse_fields
from bot.emulator.terminal import interactive
from bot.slack.client import slack_client
from tests.emulator import hello_plugin
from tests.slack.conftest import DemoPlugin, RecordingConversations

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """\
# A tour of the script language
/hello
expect Hello @dev
/buttons
click Approve
expect Approved by @dev
expect-not error
/form
submit title=ab
expect longer title
submit title="Website relaunch" size=Large
expect Website relaunch
as alice
hello crewbot
expect from the agent
new
say click is just a word here
mention what's the status?
home
expect /hello
as admin
/secret
expect admin things done
advance 2h
expect-not Reminder
as dev
expect Reminder
"""


@pytest.fixture
def emu(crewbot_emulator_factory: Any) -> Emulator:
    emulator: Emulator = crewbot_emulator_factory(
        plugins=[("demo", DemoPlugin()), ("hello", hello_plugin)],
        only=["crewbot_command"],
        conversations=RecordingConversations(),
    )

    def remind(now: datetime) -> None:  # stands in for a schedule that fires when the clock moves
        slack_client(emulator.crewbot).chat_postMessage(channel=emulator.user("dev"), text=f"Reminder at {now:%H:%M}")

    emulator.crewbot.clock.on_advance(remind)
    return emulator


def test_script_tour_passes_and_prints_a_readable_transcript(emu: Emulator) -> None:
    out = io.StringIO()
    runner = ScriptRunner(emu, out)
    assert runner.run(SCRIPT.splitlines()) == 0, out.getvalue()
    transcript = out.getvalue()
    assert "dev> /hello" in transcript and "Crewbot (only you): Hello @dev!" in transcript
    assert "[Approve]" in transcript and "== " not in transcript.split("click Approve")[0][-5:]
    assert "┌─ Modal: New project" in transcript and "✗ form errors: title: Give the project" in transcript
    assert "alice> hello crewbot" in transcript and "Hello from the agent" in transcript
    assert "┌─ Home tab" in transcript
    messages = emu.crewbot.conversations.messages  # type: ignore[attr-defined]
    assert [m.text for m in messages] == ["hello crewbot", "click is just a word here", "what's the status?"]
    assert messages[0].thread_ts != messages[1].thread_ts  # `new` started a fresh thread


def test_failures_are_reported_and_counted(emu: Emulator) -> None:
    out = io.StringIO()
    runner = ScriptRunner(emu, out)
    failed = runner.run(
        ["/hello", "expect Goodbye", "click Nowhere", "submit a=b", "advance soon", "as", "expect Hello"], "demo.script"
    )
    assert failed == 5
    assert runner.failures[0].startswith("demo.script:2: expect Goodbye: expected 'Goodbye'")
    assert "no button labelled 'Nowhere'" in runner.failures[1]
    assert "no open modal" in runner.failures[2]
    assert "invalid duration 'soon'" in runner.failures[3]
    assert "usage: as <user>" in runner.failures[4]
    assert out.getvalue().count("✗") == 5


def test_play_helper_raises_with_the_transcript(emu: Emulator) -> None:
    assert "Hello @dev" in emu.play("""
        /hello
        expect hello @DEV
    """)
    with pytest.raises(EmulatorError, match="expected 'nope'"):
        emu.play("/hello\nexpect nope")


def test_parse_fields() -> None:
    assert parse_fields('title="Q3 review" date=2026-01-15 empty=') == {
        "title": "Q3 review",
        "date": "2026-01-15",
        "empty": "",
    }
    with pytest.raises(ScriptError, match="not field=value"):
        parse_fields("justaword")


def test_interactive_session_reads_until_quit(emu: Emulator) -> None:
    out = io.StringIO()
    assert interactive(emu, io.StringIO("/hello\nquit\n/never-run\n"), out) == 0
    assert "Hello @dev!" in out.getvalue() and "never-run" not in out.getvalue()


def test_crewbot_dev_script_file_exit_codes(
    crewbot_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.crewbot"
    good.write_text("/crewbot help\nexpect /crewbot reset\nas admin\n/crewbot plugins\nexpect crewbot_command\n")
    assert main(["dev", "--script", str(good)]) == 0
    assert "admin> /crewbot plugins" in capsys.readouterr().out
    bad = tmp_path / "bad.crewbot"
    bad.write_text("/crewbot help\nexpect something else\n")
    assert main(["dev", "--script", str(bad)]) == 1
    assert f"{bad}:2: expect something else" in capsys.readouterr().err
    assert main(["dev", "--script", str(tmp_path / "missing")]) == 2


def test_crewbot_dev_runs_piped_stdin_as_a_script(tmp_path: Path) -> None:
    """What `make dev` does when stdin is not a terminal, in a fresh process with a fresh home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CREWBOT_"))}
    env["CREWBOT_HOME"] = str(tmp_path / "home")
    script = textwrap.dedent("""\
        /crewbot help
        expect /crewbot agents
        /crewbot nonsense
        expect I don't know
    """)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "dev"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dev> /crewbot help" in done.stdout
    assert (tmp_path / "home" / "emulator" / "signing_secret").stat().st_mode & 0o777 == 0o600
    failing = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "dev"],
        input="/crewbot help\nexpect zebra\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert failing.returncode == 1 and "1 line(s) failed" in failing.stderr


def test_each_home_gets_its_own_signing_secret(tmp_path: Path) -> None:
    from bot.emulator.workspace import signing_secret_for

    first, second = signing_secret_for(tmp_path / "a"), signing_secret_for(tmp_path / "b")
    assert first != second and len(first) == 64
    assert signing_secret_for(tmp_path / "a") == first


def test_the_documented_demo_script_passes(crewbot_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "--script", str(REPO / "docs" / "slack-demo.crewbot")]) == 0, capsys.readouterr()
    assert "admin> /crewbot plugins" in capsys.readouterr().out


def test_a_crashing_handler_fails_the_line(emu: Emulator) -> None:
    out = io.StringIO()
    runner = ScriptRunner(emu, out)
    assert runner.run(["/boom", "expect error reference", "/hello"]) == 1
    assert "Crewbot logged an error: command /boom failed (error reference" in runner.failures[0]
    assert "error reference" in out.getvalue()  # the user-facing message is still in the transcript
