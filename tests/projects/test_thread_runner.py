"""``phase_runner: thread``: the Slack request returns at once and the phase runs in the background; the
gate appears when the Swarm is done."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from plugins.projects.service import project_service
from tests.projects.conftest import new_project, project_named


def test_a_phase_runs_in_a_background_thread(crewbot_emulator_factory: Any, tmp_path: Path) -> None:
    config = tmp_path / "crewbot.yaml"
    config.write_text("plugins:\n  settings:\n    projects:\n      phase_runner: thread\n", encoding="utf-8")
    emu = crewbot_emulator_factory(config_file=config)
    new_project(emu)
    service = project_service(emu.crewbot)
    project = project_named(emu)
    deadline = time.monotonic() + 60  # a generous bound for a slow machine, not a performance assertion
    while time.monotonic() < deadline:
        gates = service.items.gates(project.project_id)
        if gates and gates[0].get("ts"):  # posted, and its message recorded: the thread is done
            break
        time.sleep(0.05)
    [gate] = service.items.gates(project.project_id)
    assert gate["phase"] == "discovery" and gate["status"] == "pending"
    assert service.items.runs(project.project_id, "discovery")[0]["status"] == "completed"
