"""``crewbot workflows run FILE``: any definition, on a local runner of its own, one JSON line per input."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli.context import CliContext
from bot.cli.main import build_parser
from tests.workflows.test_durability import runtime

FLOW = {
    "StartAt": "Load",
    "States": {
        "Load": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:load",
            "Parameters": {"id.$": "$.id"},
            "ResultPath": "$.loaded",
            "Next": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 86400, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.loaded.ok", "BooleanEquals": True, "Next": "Done"}],
            "Default": "Broken",
        },
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Load.NotOk", "Cause": "not ok"},
    },
}


class NoRuntime:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError("`workflows run` started a runtime it did not need")


def run(*argv: str, crewbot: Any = None) -> tuple[int, list[str]]:
    out = io.StringIO()
    ctx = CliContext(build_parser(with_plugins=False).parse_args(["workflows", "run", *argv]), out=out)
    ctx.__dict__["crewbot"] = crewbot or NoRuntime()
    return ctx.args.func(ctx), out.getvalue().splitlines()


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "flow.asl.json"
    path.write_text(json.dumps(FLOW))
    return path


def test_runs_each_input_with_mocked_tasks_through_a_day_long_wait(flow: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text('{"id": 1}\n\n{"id": 2}\n')
    code, lines = run(str(flow), "--input", '{"id": 0}', "--inputs", str(inputs), "--mock", 'Load={"ok": true}')
    assert code == 0
    results = [json.loads(line) for line in lines]
    assert [r["output"]["id"] for r in results] == [0, 1, 2]
    assert results[0] == {
        "status": "SUCCEEDED",
        "output": {"id": 0, "loaded": {"ok": True}},
        "error": None,
        "cause": None,
        "states": ["Load", "Pause", "Check", "Done"],
    }


def test_a_thrown_mock_and_an_input_file(flow: Path, tmp_path: Path) -> None:
    data = tmp_path / "input.json"
    data.write_text('{"id": 5}')
    code, lines = run(str(flow), "--input", f"@{data}", "--mock", 'Load={"Throw": {"Error": "Boom", "Cause": "x"}}')
    assert code == 0
    assert json.loads(lines[0]) == {
        "status": "FAILED",
        "output": None,
        "error": "Boom",
        "cause": "x",
        "states": ["Load"],
    }
    code, lines = run(str(flow), "--input", '{"id": 9}', "--mock", 'Load={"Return": {"ok": false}}', "--json")
    line = json.loads(lines[0])
    assert (line["status"], line["error"], line["input"]) == ("FAILED", "Load.NotOk", {"id": 9})
    assert line["history"][0]["type"] == "ExecutionStarted"


def test_refuses_unbound_tasks_bad_mocks_and_bad_files(flow: Path, tmp_path: Path) -> None:
    code, lines = run(str(flow))
    assert code == 2 and "Load have no registered handler" in lines[0]
    code, lines = run(str(flow), "--mock", "Nope={}")
    assert code == 2 and "names no Task state" in lines[0]
    code, lines = run(str(flow), "--mock", "Load={not json")
    assert code == 2 and "not valid JSON" in lines[0]
    bad = tmp_path / "bad.asl.json"
    bad.write_text(json.dumps({"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}))
    code, lines = run(str(bad))
    assert code == 1 and "'Y' is not a state" in lines[0]


def test_unmocked_tasks_run_the_registered_handlers(tmp_path: Path) -> None:
    path = tmp_path / "adds.asl.json"
    path.write_text(
        json.dumps(
            {"StartAt": "Sum", "States": {"Sum": {"Type": "Task", "Resource": "${AddFunctionArn}", "End": True}}}
        )
    )
    crewbot = runtime(tmp_path / "home")
    code, lines = run(str(path), "--input", '{"a": 2, "b": 3}', crewbot=crewbot)
    crewbot.close()
    assert (code, json.loads(lines[0])["output"]) == (0, 5)
