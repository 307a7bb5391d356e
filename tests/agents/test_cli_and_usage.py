"""`crewbot agents`, `crewbot usage`, usage records, and the lazy Strands import."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.agents.usage import summarise
from bot.cli.main import main

from .conftest import MakeCrewbot, add_meeting


@pytest.fixture
def cli_env(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREWBOT_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))  # no ~/.aws/credentials: the offline model
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "CREWBOT_CONFIG",
        "CREWBOT_LOAD_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_agents_list_and_show(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "agents", "list", "--json")
    assert code == 0
    agent = next(a for a in json.loads(out) if a["name"] == "meeting_coordinator")  # other plugins add agents
    assert agent["resolved_model"].startswith("offline")
    code, out = run_cli(capsys, "agents", "show", "meeting_coordinator")
    assert code == 0
    assert "save_prep_response [write]" in out and "sliding_window (window 20)" in out and "access: everyone" in out
    code, out = run_cli(capsys, "agents", "show", "nobody")
    assert code == 1 and "no agent called 'nobody'" in out


def test_agents_chat_then_usage(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(
        capsys,
        "agents",
        "chat",
        "meeting_coordinator",
        "--user",
        "U42",
        "-m",
        "how is the budget?",
        "-m",
        "what did I ask earlier?",
    )
    assert code == 0
    assert "Cloud infrastructure" in out and "over_budget" in out
    assert "“how is the budget?”" in out and "used get_budget_context" in out
    code, out = run_cli(
        capsys, "agents", "chat", "meeting_coordinator", "--user", "U42", "--new", "-m", "what did I ask earlier?"
    )
    assert "start of our conversation" in out

    code, out = run_cli(capsys, "agents", "sessions", "--user", "U42")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("cli-U42-meeting_coordinator~1 [active] meeting_coordinator · 1 messages")
    assert "cli-U42-meeting_coordinator [reset → cli-U42-meeting_coordinator~1]" in out
    assert "last: what did I ask earlier?" in out

    code, out = run_cli(capsys, "usage")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("meeting_coordinator"))
    assert line.split()[1:3] == ["U42", "3"]
    code, out = run_cli(capsys, "usage", "--json", "--by", "agent")
    [row] = json.loads(out)
    assert row["agent"] == "meeting_coordinator" and row["turns"] == 3 and row["tool_calls"] == 1
    assert row["input_tokens"] > 0


def test_sample_meetings_for_a_demo(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "agents", "sample-meetings", "--user", "alice")
    assert code == 0 and "stored 4 sample meetings for UALICE" in out
    run_cli(capsys, "agents", "sample-meetings", "--user", "alice")  # again: refreshed, not doubled
    code, out = run_cli(
        capsys, "agents", "chat", "meeting_coordinator", "--user", "UALICE", "-m", "what meetings do I have this week?"
    )
    assert out.count("Leadership staff meeting") == 1 and "count: 4" in out


def test_usage_records_and_summary(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    add_meeting(crewbot, "U1", "m1", "Sync", 1)
    crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="a", text="my meetings")
    crewbot.agents.ask("meeting_coordinator", user_id="U2", conversation="b", text="hello")
    records = crewbot.agents.ledger.records(1)
    assert len(records) == 2
    mine = next(r for r in records if r["user_id"] == "U1")
    assert mine["tools"] == ["get_upcoming_meetings"] and mine["cycles"] == 2 and mine["stop_reason"] == "end_turn"
    assert mine["input_tokens"] > 0 and mine["latency_ms"] >= 0 and mine["session_id"] == "a"
    assert crewbot.agents.ledger.user_day_tokens("U1") == mine["total_tokens"]
    rows = summarise(records, ("agent",))
    assert len(rows) == 1 and rows[0].turns == 2 and rows[0].tool_calls == 1


def test_slack_path_does_not_import_strands(home: Path) -> None:
    code = f"""
import sys
from bot.runtime import start
crewbot = start(environ={{"CREWBOT_HOME": {str(home)!r}}}, setup_logging=False)
crewbot.conversations
crewbot.agents.validate()
crewbot.agents.available_to("U1")
assert "strands" not in sys.modules, sorted(m for m in sys.modules if m.startswith("strands"))[:5]
print("lazy")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "lazy"


def test_cli_chat_output_is_streamed_text(cli_env: Path) -> None:
    from bot.cli.context import CliContext
    from bot.cli.main import build_parser

    args = build_parser(with_plugins=False).parse_args(["agents", "chat", "meeting_coordinator", "-m", "hello"])
    out = io.StringIO()
    assert args.func(CliContext(args, out)) == 0
    assert "meeting_coordinator> [offline model] Hello!" in out.getvalue()
