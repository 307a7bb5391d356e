"""The documented demo (docs/projects-demo.crewbot, shown in docs/projects.md) runs as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_script_runs(crewbot_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the script shares docs/projects-sample-sow.md by its relative path
    emu = crewbot_emulator_factory()
    transcript = emu.play((ROOT / "docs" / "projects-demo.crewbot").read_text(encoding="utf-8"))
    assert "Architecture is ready for review" in transcript
    assert "✗" not in transcript
    assert not emu.take_errors()


def test_the_memory_demo_script_runs(crewbot_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    emu = crewbot_emulator_factory()
    transcript = emu.play((ROOT / "docs" / "projects-memory-demo.crewbot").read_text(encoding="utf-8"))
    assert "Reminder" in transcript and "Carried in from long-term memory" in transcript
    assert "Ratings trend" in transcript and "✗" not in transcript
    assert not emu.take_errors()
