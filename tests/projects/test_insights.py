"""Metrics and insights details the demo does not show: a revision in the metrics and in the insights, the
survey refused to non-approvers, no chart before there is a trend. (Two delivered projects, the reused
pattern and the chart: tests/projects/test_demo.py runs docs/projects-memory-demo.crewbot and checks them.)"""

from __future__ import annotations

from typing import Any

from plugins.projects.crew import PHASE_ORDER
from plugins.projects.metrics import project_metrics
from tests.projects.conftest import new_project, project_named


def test_a_delivered_project_has_metrics_per_run_a_survey_and_insights(emu: Any) -> None:
    new_project(emu)
    emu.play("""
        click Revise
        submit feedback="Add a disaster recovery plan"
        expect Discovery is ready for review
    """)
    text = ""
    for _ in PHASE_ORDER[1:]:
        emu.click("Approve")
        text = emu.submit({"quality": "4", "relevance": "4"}).text
    assert "is delivered" in text and "[Take the survey]" in text
    project = project_named(emu)
    metrics = project_metrics(emu.crewbot)
    runs = {r["metric_id"]: r for r in metrics.runs(project.project_id)}
    revised, approved = runs["run#discovery#001"], runs["run#discovery#002"]
    assert revised["decision"] == "revised" and revised["ratings"] == {}
    assert approved["decision"] == "approved" and approved["revisions_before"] == 1
    assert runs["run#retrospective#001"]["decision"] is None  # no gate after the Retrospective
    emu.act_as("alice")
    assert "only the approvers" in emu.click("Take the survey").text
    emu.act_as("dev")
    emu.click("Take the survey")
    emu.submit({"satisfaction": "3", "again": "maybe"})
    [survey] = metrics.surveys(project.project_id)
    assert survey["answers"] == {"satisfaction": 3, "again": "maybe", "better": ""}
    insights = emu.command("/project insights").text
    assert "1 project(s), 1 delivered" in insights
    assert "Revisions per phase (average): Discovery 1.0 · Architecture 0.0" in insights
    assert "Retrospective" not in insights.split("Revisions per phase", 1)[1].split("\n", 1)[0]
    assert "Ratings trend: Acme store 4.0" in insights and "Survey: satisfaction 3.0/5" in insights
    assert "Most reused patterns: none reused yet" in insights
    assert not [m for m in emu.fake.messages if m.files]  # one project: no trend, no chart
    audit = emu.crewbot.records.audit.for_scope(f"project#{project.project_id}")
    assert "survey_answered" in [e.action for e in audit]


def test_a_survey_form_or_button_without_its_project_is_answered_not_raised(emu: Any) -> None:
    from plugins.projects.slack import on_survey, submit_survey

    acks: list[dict[str, Any]] = []
    view = {"private_metadata": "", "state": {"values": {}}}
    submit_survey(lambda **kwargs: acks.append(kwargs), {"user": {"id": emu.admin_id}}, view, None, emu.crewbot)
    assert acks == [{"response_action": "errors", "errors": {"satisfaction": "Sorry, that does not name a project."}}]

    told: list[str] = []

    class Client:
        def chat_postEphemeral(self, **kwargs: Any) -> None:
            told.append(kwargs["text"])

    press = {"actions": [{"value": ""}], "user": {"id": emu.admin_id}, "channel": {"id": "C0GENERAL"}}
    on_survey(press, Client(), emu.crewbot)
    assert told == ["Sorry, that does not name a project."]
