"""The waiting-for-a-person gauge: recorded when a gate opens, ended when its token is answered, published as EMF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl
from bot.metrics.human_waits import HUMAN_WAITS, HumanWaits, digest, publish
from bot.runtime import Crewbot, start
from bot.storage.sqlite import SqliteStore
from bot.workflows import TaskTokenAnswered, WorkflowTask
from tests.workflows.conftest import FIXTURES

from .conftest import EmfLines

ASKED: list[dict[str, Any]] = []


def _ask(payload: dict[str, Any], ctx: Any) -> None:
    if payload.get("project") == "broken":
        raise RuntimeError("could not post the gate")
    ASKED.append(payload)


def _add(payload: dict[str, Any], ctx: Any) -> int:
    return int(payload["a"]) + int(payload["b"])


def runtime(home: Path) -> Crewbot:
    @hookimpl
    def register_workflows() -> list[Path]:
        return [FIXTURES / "approval.asl.json"]

    @hookimpl
    def register_workflow_tasks() -> list[WorkflowTask]:
        return [WorkflowTask("Ask", _ask, waits_for_person=True), WorkflowTask("Add", _add)]

    plugin = SimpleNamespace(register_workflows=register_workflows, register_workflow_tasks=register_workflow_tasks)
    environ = {"CREWBOT_HOME": str(home), "CREWBOT_LOAD_PLUGINS": "wftest"}
    return start(environ=environ, extra_plugins=[("wftest", plugin)], setup_logging=False)


@pytest.fixture(autouse=True)
def _clear() -> None:
    ASKED.clear()


def gauge(emf_lines: EmfLines) -> dict[str, tuple[int, int]]:
    """The published figures by task ("*" for the whole service): (waiting, oldest age in seconds)."""
    return {
        d.get("task", "*"): (d["HumanStepsWaiting"], d["OldestHumanStepAge"])
        for d in emf_lines()
        if "HumanStepsWaiting" in d
    }


def test_the_gauge_goes_up_when_a_gate_opens_and_down_when_it_is_answered(tmp_path: Path, emf_lines: EmfLines) -> None:
    crewbot = runtime(tmp_path)
    publish(crewbot, emit=True)
    assert gauge(emf_lines) == {"*": (0, 0), "Ask": (0, 0)}  # nothing waits, and it says 0, not nothing

    first = crewbot.workflows.start("approval", {"project": "apollo"})
    crewbot.workflows.start("approval", {"project": "gemini"})
    assert publish(crewbot, emit=True).count == 2
    published = gauge(emf_lines)
    assert published["*"][0] == 2 and published["Ask"][0] == 2

    crewbot.workflows.send_task_success(ASKED[0]["taskToken"], {"approved": True})
    assert crewbot.workflows.describe(first.execution_id).status == "SUCCEEDED"
    publish(crewbot, emit=True)
    assert gauge(emf_lines)["*"][0] == 1
    with pytest.raises(TaskTokenAnswered):  # answered twice: still gone, not counted again
        crewbot.workflows.send_task_success(ASKED[0]["taskToken"], {"approved": True})

    crewbot.workflows.send_task_failure(ASKED[1]["taskToken"], "Rejected")
    publish(crewbot, emit=True)
    assert gauge(emf_lines) == {"*": (0, 0), "Ask": (0, 0)}
    crewbot.close()


def test_a_wait_ends_at_its_states_timeout_and_holds_no_token(tmp_path: Path) -> None:
    crewbot = runtime(tmp_path)
    crewbot.workflows.start("approval", {"project": "apollo"})
    token = ASKED[0]["taskToken"]
    (item,) = crewbot.store.table(HUMAN_WAITS).query_all("open")
    assert item["wait_id"] == digest(token) and token not in str(item)
    opened = datetime.fromisoformat(item["opened_at"])
    assert item["expires_at"] == int((opened + timedelta(seconds=86400)).timestamp())  # AskApprover's TimeoutSeconds
    crewbot.close()


def test_a_gate_whose_handler_failed_is_not_counted(tmp_path: Path) -> None:
    crewbot = runtime(tmp_path)
    crewbot.workflows.start("approval", {"project": "broken"})
    assert HumanWaits.for_runtime(crewbot).summary().count == 0
    crewbot.close()


def test_the_oldest_wait_and_expiry_by_the_clock(tmp_path: Path) -> None:
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    store = SqliteStore(tmp_path / "db.sqlite", tmp_path / "blobs", now=lambda: now[0].timestamp())
    waits = HumanWaits(store.table(HUMAN_WAITS), lambda: now[0])
    waits.opened("t1", "Ask", timedelta(hours=1))
    now[0] += timedelta(minutes=20)
    waits.opened("t2", "Review", timedelta(days=2))
    now[0] += timedelta(minutes=10)
    summary = waits.summary()
    assert (summary.count, summary.oldest_s) == (2, 1800)
    assert summary.by_task == {"Ask": (1, 1800), "Review": (1, 600)}
    now[0] += timedelta(hours=1)  # t1's state timed out: nobody can answer it any more
    summary = waits.summary()
    assert (summary.count, summary.oldest_s, list(summary.by_task)) == (1, 4200, ["Review"])
    waits.answered("t2")
    assert waits.summary().count == 0


def test_the_operations_plugin_publishes_every_five_minutes_from_its_own_function(tmp_path: Path) -> None:
    from bot.deploy.catalog import build_catalog

    crewbot = start(environ={"CREWBOT_HOME": str(tmp_path)}, setup_logging=False)
    (schedule,) = [s for s in crewbot.plugins.items("register_schedules") if s.name == "human-waits-gauge"]
    assert schedule.expression == "rate(5 minutes)"
    catalog = build_catalog(crewbot)
    function = catalog.functions["schedule_human_waits_gauge"]
    assert function.tables_read == ("human_waits",) and not function.tables_write
    # The tasks that open waits and the functions that answer tokens may write the table.
    for fn in ("task_request_phase_approval", "task_project_phase_failed", "task_wait_for_chat_completion"):
        assert "human_waits" in catalog.functions[fn].tables_write
    assert "human_waits" in catalog.tables
    crewbot.close()
