"""An approval gate is a step waiting for a person: counted while it is open, no longer once it is decided."""

from __future__ import annotations

from typing import Any

from bot.metrics.human_waits import HUMAN_WAITS, HumanWaits, digest
from plugins.projects.service import project_service
from tests.projects.conftest import new_project, project_named


def waiting(emu: Any) -> dict[str, str]:
    """Open waits: token digest → task."""
    return {i["wait_id"]: i["task"] for i in emu.crewbot.store.table(HUMAN_WAITS).query_all("open")}


def test_a_gate_is_counted_while_open_and_not_once_approved(emu: Any) -> None:
    assert HumanWaits.for_runtime(emu.crewbot).summary().count == 0
    new_project(emu)
    items = project_service(emu.crewbot).items
    (discovery,) = items.gates(project_named(emu).project_id)
    assert waiting(emu) == {digest(discovery["token"]): "RequestPhaseApproval"}
    summary = HumanWaits.for_runtime(emu.crewbot).summary()
    assert summary.count == 1 and summary.by_task["RequestPhaseApproval"][0] == 1
    emu.play("""
        click Approve
        submit quality=4 relevance=5
        expect Architecture is ready for review
    """)
    gates = {g["phase"]: g for g in items.gates(project_named(emu).project_id)}
    assert gates["discovery"]["status"] == "approved"
    # The decided gate's wait is over; the next phase's gate is the one person-step waiting now.
    assert waiting(emu) == {digest(gates["architecture"]["token"]): "RequestPhaseApproval"}
