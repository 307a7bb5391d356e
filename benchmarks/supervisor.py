"""Benchmark of the Supervisor's fan-out through the local worker queue (prints figures; asserts nothing).

Each delegated agent's only tool sleeps a fixed simulated latency, so a delegation takes that latency
plus the agent's own turn. A fan-out to N agents runs the whole real path: the Supervisor's turn, N
``task.request`` work items, the workers (10 in parallel), the worker-state round, ``task.completion``
and the Supervisor's second turn. Its wall time is shown as a ratio to the slowest single delegation
of the fan-out (≈ 1 means the delegations overlapped; N would mean one after another), and the queue
path's overhead per delegation as (wall time - slowest delegation) / N.

.venv/bin/python benchmarks/supervisor.py [--latency 0.5] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.api import AgentSpec, crewbot_tool, hookimpl
from bot.runtime import start

FAN_OUTS = (2, 5, 10)
WORDS = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "indigo", "juniper"]


def specialists(latency: float) -> Any:
    """A plugin with ten delegable agents, each with one tool that takes ``latency`` seconds."""

    def make_tool(word: str) -> Any:
        def report() -> dict[str, Any]:
            time.sleep(latency)
            return {"figure": f"{word} done"}

        report.__name__ = f"{word}_report"
        report.__doc__ = f"Report the {word} figures."
        return crewbot_tool(side_effects="read")(report)

    tools = [make_tool(word) for word in WORDS]

    @hookimpl
    def register_tools() -> list[Any]:
        return tools

    @hookimpl
    def register_agents() -> list[AgentSpec]:
        return [
            AgentSpec(
                name=word,
                description=f"{word.capitalize()} analyst: reports {word} figures.",
                system_prompt=f"Report {word} figures.",
                tools=[f"{word}_report"],
                delegable=True,
            )
            for word in WORDS
        ]

    return SimpleNamespace(register_tools=register_tools, register_agents=register_agents)


def fan_out(crewbot: Any, n: int, user: str) -> tuple[float, float]:
    """(wall time of a fan-out to ``n`` agents, duration of its slowest delegation) in seconds: a
    delegation lasts from its work item's send to its recorded result."""
    from plugins.supervisor.supervisor import supervisor

    service = supervisor(crewbot)
    question = "Give me the " + " and ".join(WORDS[:n]) + " figures"
    began = time.perf_counter()
    orchestration = service.start(
        user_id=user, text=question, channel_id="D0BENCH", thread_ts=f"{began:.6f}", conversation=f"bench-{began}"
    )
    oid = orchestration["orchestration_id"]
    while (service.state.get(oid) or {}).get("status") not in ("completed", "failed"):
        crewbot.queues.workers.wait(timeout=60)
    wall = time.perf_counter() - began
    finished = service.state.get(oid) or {}
    if finished.get("status") != "completed" or len(finished.get("contributors", [])) != n:
        raise SystemExit(f"fan-out to {n} did not complete: {finished.get('status')} {finished.get('contributors')}")
    slowest = max(
        (datetime.fromisoformat(d["finished_at"]) - datetime.fromisoformat(d["created_at"])).total_seconds()
        for d in service.state.delegations(oid)
    )
    return wall, slowest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="simulated seconds each delegated agent takes")
    parser.add_argument("--runs", type=int, default=3, help="fan-outs per N (the median is shown)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        plugin = specialists(args.latency)
        environ = {"CREWBOT_HOME": home, "CREWBOT_RUNTIME": "local", "PATH": "", "HOME": home}
        crewbot = start(environ=environ, extra_plugins=[("bench_specialists", plugin)], setup_logging=False)
        try:
            fan_out(crewbot, 1, "U0WARMUP")  # imports Strands, opens the store
            print(f"simulated latency per delegated agent: {args.latency:.2f} s; runs per N: {args.runs}")
            for n in (1, *FAN_OUTS):
                walls, slowest, overheads = [], [], []
                for run in range(args.runs):
                    wall, delegation = fan_out(crewbot, n, f"U0BENCH{n}R{run}")
                    walls.append(wall)
                    slowest.append(delegation)
                    overheads.append((wall - delegation) / n)
                wall, slow = statistics.median(walls), statistics.median(slowest)
                print(
                    f"fan-out N={n:>2}: wall {wall:.3f} s, slowest delegation {slow:.3f} s, "
                    f"queue-path overhead per delegation {statistics.median(overheads) * 1000:.0f} ms, "
                    f"ratio: {wall / slow:.2f}"
                )
        finally:
            crewbot.close()


if __name__ == "__main__":
    main()
