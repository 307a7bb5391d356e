"""Benchmark of project delivery on the offline crew (prints figures; asserts nothing).

For each of N projects: `/project new` through the emulator (SOW parsing, project record, workflow start,
the Discovery Swarm, the PM review and the gate), then Approve → the Architecture Swarm → its gate. Prints
wall time per phase step (median and worst), handoffs and tokens per phase, and the approval round-trip
(submit → the next phase's gate posted, which on the offline crew is dominated by that phase's Swarm).

    .venv/bin/python benchmarks/project_phases.py [--projects 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOW = (Path(__file__).resolve().parents[1] / "docs" / "projects-sample-sow.md").read_text(encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5)
    args = parser.parse_args()
    os.environ["CREWBOT_HOME"] = tempfile.mkdtemp(prefix="crewbot-bench-")
    from bot.emulator.workspace import Emulator
    from plugins.projects.service import project_service

    emu = Emulator.start(environ=dict(os.environ))
    service = project_service(emu.crewbot)
    discovery, approval, commands = [], [], []
    try:
        for index in range(args.projects):
            emu.command("/project new")
            started = time.perf_counter()
            emu.submit({"name": f"Bench {index}", "sow_text": SOW, "channel": f"C0BENCH{index}"})
            discovery.append(time.perf_counter() - started)
            emu.click("Approve")
            started = time.perf_counter()
            emu.submit({"quality": "4"})
            approval.append(time.perf_counter() - started)
            started = time.perf_counter()
            emu.command(f"/project status Bench {index}")
            commands.append(time.perf_counter() - started)
        project = service.find("Bench 0")
        runs = service.items.runs(project.project_id)
    finally:
        emu.close()

    def line(label: str, values: list[float]) -> str:
        return (
            f"{label:<52} median {statistics.median(values) * 1000:7.0f} ms   "
            f"max {max(values) * 1000:7.0f} ms   (n={len(values)})"
        )

    print(f"Project delivery on the offline crew, {args.projects} projects (emulator, SQLite, git artifacts)")
    print(line("/project new → Discovery Swarm → review → gate posted", discovery))
    print(line("Approve submitted → Architecture Swarm → gate posted", approval))
    print(line("/project status", commands))
    for run in runs:
        tokens = sum(int(u["input"]) + int(u["output"]) for u in run["usage"].values())
        history = run["node_history"]
        print(
            f"  {run['phase']:<13} agents {' → '.join(history):<24} handoffs {max(len(history) - 1, 0)}   "
            f"tokens {tokens:,} (estimated by Strands: characters / 4)"
        )


if __name__ == "__main__":
    main()
