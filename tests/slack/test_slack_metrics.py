"""The Slack entry point's EMF metrics: ack latency per request, lazy runs and their failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.emulator import Emulator
from bot.emulator.payloads import LambdaContext
from bot.entrypoints import slack as lambda_handler
from bot.metrics import slack as slack_metrics
from tests.slack.conftest import DemoPlugin


@pytest.fixture
def entry(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Every request and every lazy re-invocation through ``bot.entrypoints.slack.handler``, in ``runtime: aws``."""
    monkeypatch.setattr(lambda_handler, "_handler", emu.request_handler)

    class ViaModule:
        def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            return lambda_handler.handler(event, context)

    monkeypatch.setattr(emu, "request_handler", ViaModule())
    emu.lambda_client.target = emu.request_handler.handle
    monkeypatch.setenv("CREWBOT_RUNTIME", "aws")
    monkeypatch.setenv("CREWBOT_PROJECT", "crewbot")
    monkeypatch.setattr(slack_metrics, "_cold", True)
    return emu


def _documents(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]


def test_acks_and_lazy_runs_are_measured_and_a_failed_listener_is_counted(
    entry: Emulator, demo: DemoPlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    entry.command("/echo one")
    entry.command("/boom")
    entry.wait()
    documents = _documents(capsys)
    acks = [d for d in documents if "AckLatency" in d]
    lazy = [d for d in documents if "LazyRuns" in d]
    assert len(acks) == 2 and len(lazy) == 2
    for ack in acks:
        (directive,) = ack["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "crewbot"
        assert directive["Dimensions"] == [["service"], ["service", "start"]]
        assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
            "AckLatency": "Milliseconds",
            "AckLatencyFromGateway": "Milliseconds",  # the HTTP API event carries requestContext.timeEpoch
        }
        assert ack["service"] == "crewbot" and ack["status"] == 200
        assert 0 < ack["AckLatency"] <= ack["AckLatencyFromGateway"] + 1  # the gateway's stamp is in whole ms
    assert [a["start"] for a in acks] == ["cold", "warm"]
    assert sorted(d["LazyFailures"] for d in lazy) == [0, 1]  # /boom's handler raised inside its lazy run
    assert all(d["LazyRuns"] == 1 and d["LazyDuration"] > 0 for d in lazy)
    assert lazy[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_nothing_is_emitted_outside_aws_or_for_a_health_check(
    entry: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWBOT_RUNTIME", "local")
    entry.play("/echo local")
    entry.wait()
    assert _documents(capsys) == []
    monkeypatch.setenv("CREWBOT_RUNTIME", "aws")
    lambda_handler.handler({"crewbot": "health"}, LambdaContext())
    assert _documents(capsys) == []


def test_a_handler_that_raises_is_counted_and_the_error_still_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    monkeypatch.setattr(slack_metrics.emf, "emit", lambda document, stream=None: lines.append(json.dumps(document)))

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("crashed")

    with pytest.raises(RuntimeError):
        slack_metrics.measured(broken, {"method": "NONE"}, None, {"CREWBOT_RUNTIME": "aws"})
    (document,) = (json.loads(line) for line in lines)
    assert document["LazyFailures"] == 1 and document["service"] == "crewbot"
