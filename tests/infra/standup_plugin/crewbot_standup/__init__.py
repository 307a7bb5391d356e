"""A third-party plugin, written as an author outside Crewbot would: a daily stand-up workflow with one
task, a schedule that starts it, and a table the task writes. Installed beside Crewbot by the tests
(tests/infra/test_third_party_plugin.py), it must deploy with no Crewbot file edited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.api import Deployment, Schedule, ScheduledCall, TableSpec, TaskContext, WorkflowTask, hookimpl

STANDUPS = TableSpec("standups", pk="team", sk="day", description="Stand-up notes: one item per team and day.")


def collect(payload: dict[str, Any], context: TaskContext) -> dict[str, Any]:
    return {"team": payload.get("team", "core"), "collected": True}


def remind(call: ScheduledCall) -> None:
    """Starts the stand-up workflow (in AWS the schedule's function does)."""


@hookimpl
def register_tables() -> list[TableSpec]:
    return [STANDUPS]


@hookimpl
def register_workflows() -> list[Path]:
    return [Path(__file__).with_name("standup.asl.json")]


@hookimpl
def register_workflow_tasks() -> list[WorkflowTask]:
    return [WorkflowTask("CollectStandup", collect, "Collect the team's stand-up notes.")]


@hookimpl
def register_schedules() -> list[Schedule]:
    return [Schedule("standup-reminder", "cron(0 9 ? * MON-FRI *)", remind, description="Weekday stand-ups.")]


@hookimpl
def register_deployment() -> list[Deployment]:
    return [
        Deployment("workflow_task", "CollectStandup", "Collect the stand-up notes.", tables_write=("standups",)),
        Deployment("schedule", "standup-reminder", "Start the stand-up.", state_machines_start=("standup",)),
    ]
