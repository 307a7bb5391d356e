"""What a turn's metrics cost: emission time per turn, and the CloudWatch series they create.

    .venv/bin/python benchmarks/metrics_emit.py [--rounds 5000] [--agents 3] [--models 2]

Compares three ways of giving the per-turn metrics a model dimension while keeping the per-agent series:
Powertools with a second dimension set (``add_dimensions``: every metric in both sets), Powertools with
two records, and Crewbot's EMF writer (one record, two metric groups: the per-model group carries only
what differs by model). Prints microseconds per turn (stdout redirected to /dev/null), bytes per turn, and
the custom-metric series for ``--agents`` x ``--models`` (each billed monthly by CloudWatch). Also prints
the import time of the Slack entry point's metric module (json and logging preloaded, as in Lambda) and
the overhead of ``measured`` per request.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.agents.usage import TURN_METRIC_GROUPS, TURN_METRIC_UNITS
from bot.metrics import emf

VALUES = {"InputTokens": 12000, "OutputTokens": 3000, "Latency": 1800, "ToolCalls": 2, "ToolErrors": 0}
COST = 0.00144
DIMS = {"service": "crewbot", "agent": "meeting_coordinator", "model": "us.amazon.nova-lite-v1:0"}


def powertools_sets() -> None:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="crewbot", service="crewbot")
    metrics.add_dimension(name="agent", value=DIMS["agent"])
    metrics.add_dimensions(service="crewbot", agent=DIMS["agent"], model=DIMS["model"])
    for name, value in VALUES.items():
        unit = MetricUnit.Milliseconds if name == "Latency" else MetricUnit.Count
        metrics.add_metric(name=name, unit=unit, value=value)
    metrics.add_metric(name="EstimatedCostUSD", unit=MetricUnit.NoUnit, value=COST)
    metrics.flush_metrics()


def powertools_two_records() -> None:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    for extra in ({}, {"model": DIMS["model"]}):
        metrics = Metrics(namespace="crewbot", service="crewbot")
        metrics.add_dimension(name="agent", value=DIMS["agent"])
        for key, value in extra.items():
            metrics.add_dimension(name=key, value=value)
        for name, number in VALUES.items():
            if extra and name == "ToolCalls":
                continue
            unit = MetricUnit.Milliseconds if name == "Latency" else MetricUnit.Count
            metrics.add_metric(name=name, unit=unit, value=number)
        metrics.add_metric(name="EstimatedCostUSD", unit=MetricUnit.NoUnit, value=COST)
        metrics.flush_metrics()


def crewbot_writer() -> None:
    emf.emit(emf.record("crewbot", DIMS, {**VALUES, "EstimatedCostUSD": COST}, TURN_METRIC_UNITS, TURN_METRIC_GROUPS))


def timed(fn: Any, rounds: int) -> tuple[float, int]:
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        fn()
    size = len(captured.getvalue())
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        for _ in range(50):
            fn()
        started = time.perf_counter()
        for _ in range(rounds):
            fn()
        elapsed = time.perf_counter() - started
    return elapsed / rounds * 1e6, size


def series(agents: int, models: int) -> dict[str, int]:
    per_agent = 6  # every metric incl. EstimatedCostUSD
    return {
        "powertools add_dimensions (all metrics in both sets)": per_agent * agents + per_agent * agents * models,
        "powertools two records / Crewbot groups (5 metrics per model)": per_agent * agents + 5 * agents * models,
    }


def slack_overhead(rounds: int) -> float:
    from bot.metrics.slack import measured

    event = {"requestContext": {"timeEpoch": int(time.time() * 1000)}, "body": ""}

    def ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    environ = {"CREWBOT_RUNTIME": "aws", "CREWBOT_PROJECT": "crewbot"}
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        started = time.perf_counter()
        for _ in range(rounds):
            measured(ok, event, None, environ)
        with_metrics = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(rounds):
            ok(event, None)
        bare = time.perf_counter() - started
    return (with_metrics - bare) / rounds * 1e6


def import_ms(runs: int = 5) -> list[float]:
    """What importing the metric module adds once the entry point module is loaded, in fresh interpreters
    that already hold json and logging (Lambda's Python runtime imports both before the handler)."""
    code = (
        "import json, logging, time, bot.entrypoints.slack; t=time.perf_counter(); import bot.metrics.slack; "
        "print((time.perf_counter()-t)*1000)"
    )
    found = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        found.append(float(done.stdout.strip()))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--models", type=int, default=2)
    args = parser.parse_args()
    for name, fn in (
        ("powertools add_dimensions", powertools_sets),
        ("powertools two records", powertools_two_records),
        ("crewbot emf groups", crewbot_writer),
    ):
        micros, size = timed(fn, args.rounds)
        print(f"{name}: {micros:.1f} us per turn, {size} bytes per turn")
    for name, count in series(args.agents, args.models).items():
        print(f"series for {args.agents} agents x {args.models} models, {name}: {count}")
    print(f"slack measured() overhead: {slack_overhead(args.rounds):.1f} us per request")
    times = import_ms()
    print(f"import bot.metrics.slack after bot.entrypoints.slack: min {times[0]:.2f} ms, median {times[2]:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
