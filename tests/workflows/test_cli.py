"""``crewbot workflows ...`` against a local runtime with the test workflows registered."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli.context import CliContext
from bot.cli.main import build_parser
from tests.workflows.test_durability import ASKED, runtime


@pytest.fixture
def cli(tmp_path: Path):
    crewbot = runtime(tmp_path)
    parser = build_parser(with_plugins=False)

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        ctx = CliContext(parser.parse_args(["workflows", *argv]), out=out)
        ctx.__dict__["crewbot"] = crewbot  # the runtime a real invocation would start
        return ctx.args.func(ctx), out.getvalue()

    yield run
    crewbot.close()


def test_start_status_answer_and_history(cli):
    code, out = cli("start", "approval", "--input", '{"project": "apollo"}', "--name", "cli-run")
    assert code == 0
    started = json.loads(out)
    assert started["status"] == "RUNNING"
    token = ASKED[-1]["taskToken"]

    code, out = cli("list")
    assert code == 0 and "approval: 1 recent execution(s)" in out and "approval:cli-run" in out

    assert cli("send-success", token, "--output", '{"approved": true}') == (0, "task completed\n")
    code, out = cli("status", started["execution_id"])
    assert json.loads(out)["status"] == "SUCCEEDED"

    code, out = cli("send-success", token, "--output", "{}")
    assert code == 1 and "cannot answer that task token" in out and "answered already" in out

    code, out = cli("history", started["execution_id"])
    assert code == 0 and "ExecutionStarted" in out and "ExecutionSucceeded" in out
    code, out = cli("history", started["execution_id"], "--json")
    assert json.loads(out)[-1]["type"] == "ExecutionSucceeded"


def test_failure_and_bad_input_are_reported(cli):
    assert cli("start", "approval", "--input", "{not json")[0] == 2
    code, out = cli("start", "nope")
    assert code == 1 and "no workflow named 'nope'" in out
    cli("start", "approval", "--input", '{"project": "gemini"}')
    code, _ = cli("send-failure", ASKED[-1]["taskToken"], "--error", "Human.Rejected", "--cause", "no budget")
    assert code == 0
    code, out = cli("start", "approval", "--input", '{"project": "mercury"}', "--name", "to-stop")
    code, out = cli("stop", "approval:to-stop", "--error", "Admin.Stopped")
    assert code == 0 and json.loads(out)["status"] == "ABORTED"
    code, out = cli("status", "approval:missing")
    assert code == 1 and "no workflow execution" in out


def test_send_success_accepts_a_token_that_begins_with_a_dash(cli, monkeypatch):
    import bot.workflows.local

    # Task tokens are URL-safe base64: about one in 64 begins with "-", which argparse took for an option.
    monkeypatch.setattr(bot.workflows.local.secrets, "token_urlsafe", lambda n: "-Xdash" + "a" * 58)
    code, out = cli("start", "approval", "--input", '{"project": "dash"}', "--name", "dash")
    assert ASKED[-1]["taskToken"].startswith("-")
    assert cli("send-success", ASKED[-1]["taskToken"], "--output", '{"approved": true}') == (0, "task completed\n")
    code, out = cli("status", "approval:dash")
    assert json.loads(out)["status"] == "SUCCEEDED"
    code, out = cli("send-failure", ASKED[-1]["taskToken"], "--error", "Too.Late")
    assert code == 1 and "answered already" in out
