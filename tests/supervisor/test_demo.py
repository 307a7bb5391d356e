"""The documented demo (docs/supervisor-demo.crewbot, shown in docs/supervisor.md) runs as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_script_runs(crewbot_emulator_factory: Any) -> None:
    emu = crewbot_emulator_factory()
    transcript = emu.play((ROOT / "docs" / "supervisor-demo.crewbot").read_text(encoding="utf-8"))
    assert "✗" not in transcript, transcript
    assert "Asked 2 agents: meeting_coordinator ✓, release_notes_writer ✓" in transcript
    assert not emu.take_errors()
