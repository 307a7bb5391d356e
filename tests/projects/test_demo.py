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
    """The second demo delivers two projects; what it leaves behind is checked here too (metrics per run, the
    survey, the reused pattern, the chart) rather than delivering two more projects in another test."""
    from plugins.projects.crew import PHASE_ORDER
    from plugins.projects.metrics import project_metrics
    from plugins.projects.service import project_service

    monkeypatch.chdir(ROOT)
    emu = crewbot_emulator_factory()
    transcript = emu.play((ROOT / "docs" / "projects-memory-demo.crewbot").read_text(encoding="utf-8"))
    assert "Reminder" in transcript and "Carried in from long-term memory" in transcript
    assert "Ratings trend" in transcript and "✗" not in transcript
    assert not emu.take_errors()
    service = project_service(emu.crewbot)
    metrics = project_metrics(emu.crewbot)
    first, second = service.find("Acme store"), service.find("Beta shop")
    runs = {r["metric_id"]: r for r in metrics.runs(first.project_id)}
    assert sorted(runs) == sorted(f"run#{p}#001" for p in PHASE_ORDER)
    discovery = runs["run#discovery#001"]
    assert discovery["decision"] == "approved" and discovery["ratings"] == {"quality": 4, "relevance": 4}
    assert set(discovery["agents"]) == {"pm", "sa"} and discovery["tokens"] > 0
    assert discovery["agents"]["pm"]["cost"] == 0.0 and discovery["duration_seconds"] is not None
    assert {"tool_errors", "input", "output"} <= set(discovery["agents"]["sa"])
    [survey] = metrics.surveys(first.project_id)
    assert survey["answers"] == {"satisfaction": 4, "again": "yes", "better": "Ask for the timeline before Discovery"}
    [pattern] = [p for p in service.patterns.all() if p["name"] == "Acme store architecture"]
    assert pattern["times_used"] == 1 and pattern["successes"] == 1 and pattern["used_by"] == [second.project_id]
    doc = service.artifacts(second.project_id).read("docs/architecture/architecture.md")
    assert "Reused pattern: Acme store architecture (candidate" in doc
    insights = metrics.insights()
    assert [d["project"] for d in insights["delivered"]] == ["Acme store", "Beta shop"]
    assert insights["satisfaction"] == 4.0
    [chart] = [m for m in emu.fake.messages if m.files and m.files[0]["name"] == "project-insights.png"]
    content = emu.fake.files[chart.files[0]["id"]]["content"]
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 1000
