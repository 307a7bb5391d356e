"""Materials: agenda timings add up to the meeting, context highlights land in their sections, HTML is
escaped, and oversized context travels through the workflow as highlights only."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from bot import hookimpl
from bot.resources import data_dir
from bot.runtime import start
from bot.workflows.tasks import TaskContext
from plugins.meeting_prep.classify import load_meeting_types
from plugins.meeting_prep.materials import build_materials
from plugins.meeting_prep.tasks import MAX_CONTEXT_BYTES, fetch_context

TYPES = load_meeting_types()
MEETING = {
    "meeting_id": "m1",
    "user_id": "U1",
    "title": "Leadership <script>weekly</script>",
    "start": "2026-03-02T14:00:00Z",
    "end": "2026-03-02T15:30:00Z",
    "timezone": "America/New_York",
    "attendees": ["Ann", "Bob"],
    "meeting_type": "leadership_meeting",
}


def _context(topic: str) -> dict[str, Any]:
    return yaml.safe_load((data_dir("config") / "context" / f"{topic}.yaml").read_text())


def test_agenda_timings_fill_the_meeting_and_carry_context() -> None:
    context = [
        {"topic": "budget", "status": "ok", "data": _context("budget")},
        {"topic": "incidents", "status": "ok", "data": _context("incidents")},
        {"topic": "staffing", "status": "unavailable", "error": "Context.Unavailable"},
    ]
    answers = {
        "Top priorities?": {"response": "Ship the migration", "answered_at": "x"},
        "Skipped one": {"skipped": True},
    }
    materials = build_materials(MEETING, TYPES.get("leadership_meeting"), context, answers, date(2026, 3, 1))
    assert materials.agenda[0].start == "09:00" and materials.agenda[-1].end == "10:30"  # local time, to the end
    assert sum(item.minutes for item in materials.agenda) == 90
    assert [item.title for item in materials.agenda][:2] == ["Wins and headlines", "Points you prepared"]
    budget = next(item for item in materials.agenda if item.title == "Budget and spend")
    assert any(note.startswith("Cloud infrastructure: +11.7%") for note in budget.notes)
    incidents = next(item for item in materials.agenda if item.title == "Incidents and reliability")
    assert any("INC-2041" in note for note in incidents.notes)
    assert any("11.7%" in q for q in materials.questions)
    assert "staffing context was unavailable (Context.Unavailable)" in materials.context_notes
    assert materials.answers == [("Top priorities?", "Ship the migration")]
    markdown, html = materials.markdown(), materials.html()
    assert "### Action items" in markdown and "- context: Cloud infrastructure" in markdown
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_oversized_context_travels_as_highlights(crewbot_home: Path) -> None:
    big = {
        "cost_centers": [{"name": f"Center {i}", "budget": 100, "actual": 150, "note": "x" * 200} for i in range(200)]
    }

    class Big:
        name, topics = "big_finance", ("budget",)

        def fetch(self, topic: str, user_id: str, meeting: Any = None, **options: Any) -> dict[str, Any]:
            return big

    @hookimpl
    def register_context_providers() -> list[Any]:
        return [Big()]

    crewbot = start(
        environ={"CREWBOT_HOME": str(crewbot_home), "CREWBOT_LOAD_PLUGINS": "big"},
        extra_plugins=[("big", SimpleNamespace(register_context_providers=register_context_providers))],
        setup_logging=False,
    )
    try:
        result = fetch_context(
            {"topic": "budget", "meeting": {**MEETING, "context_required": ["budget"]}},
            TaskContext(task="FetchContext", crewbot=crewbot),
        )
    finally:
        crewbot.close()
    assert "data" not in result and int(result["data_omitted"].split()[0]) > MAX_CONTEXT_BYTES
    assert result["notes"][0] == "Center 0: +50.0% over budget" and len(result["notes"]) == 20
    materials = build_materials(MEETING, TYPES.get("leadership_meeting"), [result], {}, date(2026, 3, 1))
    assert any("Center 0" in note for item in materials.agenda for note in item.notes)
