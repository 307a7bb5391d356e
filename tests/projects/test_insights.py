"""Metrics, the survey, insights and reused patterns over two delivered projects: a metrics record per phase
run, the survey after delivery (approvers only), the second project's Architecture reusing the pattern the
first contributed, and ``/project insights`` with its chart."""

from __future__ import annotations

from typing import Any

from plugins.projects.crew import PHASE_ORDER
from plugins.projects.metrics import project_metrics
from plugins.projects.service import project_service
from tests.projects.conftest import new_project, project_named


def deliver(emu: Any, quality: str) -> str:
    """Approve every gate of the current project with ``quality``; returns the last turn's text."""
    text = ""
    for _ in PHASE_ORDER[1:]:
        emu.click("Approve")
        text = emu.submit({"quality": quality, "relevance": quality}).text
    assert "is delivered" in text
    return text


def test_two_delivered_projects_give_metrics_a_survey_reused_patterns_and_insights(emu: Any) -> None:
    new_project(emu)
    emu.play("""
        click Revise
        submit feedback="Add a disaster recovery plan"
        expect Discovery is ready for review
    """)
    text = deliver(emu, "4")
    assert "[Take the survey]" in text
    first = project_named(emu)
    metrics = project_metrics(emu.crewbot)
    runs = {r["metric_id"]: r for r in metrics.runs(first.project_id)}
    assert sorted(runs) == sorted(
        ["run#discovery#001", "run#discovery#002"] + [f"run#{p}#001" for p in PHASE_ORDER[1:]]
    )
    revised, approved = runs["run#discovery#001"], runs["run#discovery#002"]
    assert revised["decision"] == "revised" and approved["decision"] == "approved"
    assert approved["ratings"] == {"quality": 4, "relevance": 4} and approved["revisions_before"] == 1
    assert set(approved["agents"]) == {"pm", "sa"} and approved["tokens"] > 0
    assert approved["agents"]["pm"]["cost"] == 0.0 and approved["duration_seconds"] is not None
    assert {"tool_errors", "input", "output"} <= set(approved["agents"]["sa"])
    # The survey: approvers only; stored in the metrics, audited.
    emu.act_as("alice")
    assert "only the approvers" in emu.click("Take the survey").text
    emu.act_as("dev")
    emu.click("Take the survey")
    emu.submit({"satisfaction": "4", "again": "yes", "better": "Ask about the timeline earlier"})
    [survey] = metrics.surveys(first.project_id)
    assert survey["answers"] == {"satisfaction": 4, "again": "yes", "better": "Ask about the timeline earlier"}

    # The second project's Architecture is offered the first one's architecture pattern, and uses it.
    new_project(emu, name="Beta shop")
    emu.click("Approve")
    architecture = emu.submit({"quality": "5"}).text
    assert "Architecture is ready for review" in architecture
    assert "Reused from the pattern library: Acme store architecture" in architecture
    second = project_named(emu, "Beta shop")
    service = project_service(emu.crewbot)
    doc = service.artifacts(second.project_id).read("docs/architecture/architecture.md")
    assert "Reused pattern: Acme store architecture (candidate" in doc
    for _ in PHASE_ORDER[2:]:
        emu.click("Approve")
        text = emu.submit({"quality": "5", "relevance": "5"}).text
    assert "is delivered" in text
    [pattern] = [p for p in service.patterns.all() if p["name"] == "Acme store architecture"]
    assert pattern["times_used"] == 1 and pattern["successes"] == 1 and pattern["used_by"] == [second.project_id]

    insights = emu.command("/project insights").text
    assert "2 project(s), 2 delivered" in insights
    assert "Revisions per phase (average): Discovery 0.5 · Architecture 0.0" in insights
    assert "Ratings trend: Acme store 4.0 → Beta shop" in insights
    assert "Cost per phase: Discovery" in insights and "Cost per agent: " in insights
    assert "Most reused patterns: Acme store architecture (candidate, used 1 times)" in insights
    assert "Survey: satisfaction 4.0/5 from 1 answer(s)" in insights
    [chart] = [m for m in emu.fake.messages if m.files and m.files[0]["name"] == "project-insights.png"]
    content = emu.fake.files[chart.files[0]["id"]]["content"]
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) > 1000
