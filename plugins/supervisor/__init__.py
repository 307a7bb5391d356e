"""The Supervisor plugin: parallel delegation to agents through the worker queue, and the Fabricator.

* :mod:`plugins.supervisor.supervisor` — the Supervisor agent, its delegation tools, the queue workers,
  ``task.request`` / ``task.completion`` and the sweep (deadlines, lost events).
* :mod:`plugins.supervisor.state` — orchestration and worker-state tables (conditional writes).
* :mod:`plugins.supervisor.fabricator` — agent specs drafted, validated, approved and stored, versioned.
* :mod:`plugins.supervisor.slack_ui` — DMs, ``/crewbot ask`` / ``orchestrations`` / ``agents new``, buttons.
* :mod:`plugins.supervisor.offline` — the deterministic offline policies of both agents.

docs/supervisor.md is the guide.
"""

from __future__ import annotations

from typing import Any

from bot.api import Action, EventHandler, QueueConsumer, Schedule, TableSpec, ViewSubmission, data_dir, hookimpl
from plugins.supervisor import fabricator as fab
from plugins.supervisor import slack_ui
from plugins.supervisor.deploy import DEPLOYMENT
from plugins.supervisor.settings import SupervisorSettings
from plugins.supervisor.supervisor import (
    DEADLINE,
    EVENT_SOURCE,
    TASK_COMPLETION,
    TASK_REQUEST,
    WORKER_QUEUE,
    supervisor,
)


@hookimpl
def register_settings() -> type[SupervisorSettings]:
    return SupervisorSettings


@hookimpl
def register_tables() -> list[TableSpec]:
    from plugins.supervisor.fabricator import AGENT_CONFIGS
    from plugins.supervisor.state import ORCHESTRATIONS, WORKER_STATE

    return [ORCHESTRATIONS, WORKER_STATE, AGENT_CONFIGS]


@hookimpl
def register_agents(crewbot: Any) -> list[Any]:
    # The spec files, and the Fabricator as the source of the agents approved while Crewbot runs (only in a
    # runtime: a plugin host built without one, e.g. to list what would deploy, has no store to read).
    specs: list[Any] = sorted((data_dir("agents") / "supervisor").glob("*.yaml"))
    return [*specs, fab.fabricator(crewbot)] if crewbot is not None else specs


@hookimpl
def register_tools() -> list[Any]:
    return list(fab.TOOLS)


@hookimpl
def register_commands() -> list[Any]:
    return slack_ui.subcommands()


@hookimpl
def register_conversation_routes() -> list[Any]:
    return [slack_ui.SupervisorRoute()]


def _work(message: Any) -> None:
    supervisor(message.crewbot).work(message)


def _on_completion(event: Any) -> None:
    supervisor(event.crewbot).on_completion(event)


def _on_request(event: Any) -> None:
    supervisor(event.crewbot).on_request(event)


def _on_deadline(event: Any) -> None:
    supervisor(event.crewbot).on_deadline(event)


def _sweep(call: Any) -> None:
    supervisor(call.crewbot).sweep(call)


@hookimpl
def register_queue_consumers() -> list[QueueConsumer]:
    return [
        QueueConsumer(
            queue=WORKER_QUEUE,
            handler=_work,
            description="Supervisor delegations (task.request): each runs the target agent once",
            concurrency=10,
            batch_size=1,  # one delegation per invocation: each has its own timeout
            timeout_s=900,
        )
    ]


@hookimpl
def register_event_handlers() -> list[EventHandler]:
    return [
        EventHandler(
            "supervisor-task-request",
            {"source": [EVENT_SOURCE], "detail-type": [TASK_REQUEST]},
            _on_request,
        ),
        EventHandler(
            "supervisor-task-completion",
            {"source": [EVENT_SOURCE], "detail-type": [TASK_COMPLETION]},
            _on_completion,
        ),
        EventHandler(
            "supervisor-deadline",
            {"source": [EVENT_SOURCE], "detail-type": [DEADLINE]},
            _on_deadline,
        ),
    ]


@hookimpl
def register_schedules() -> list[Schedule]:
    return [
        Schedule(
            "supervisor-sweep",
            "rate(15 minutes)",
            _sweep,
            description="Safety net: time out overdue orchestrations whose deadline event was lost; "
            "re-announce rounds whose task.completion was lost",
        )
    ]


@hookimpl
def register_actions() -> list[Any]:
    return [
        Action(fab.APPROVE, slack_ui.decide_button),
        Action(fab.REJECT, slack_ui.decide_button),
        ViewSubmission(slack_ui.NEW_AGENT_VIEW, slack_ui.new_agent_submitted, admin_only=True),
    ]


@hookimpl
def register_deployment() -> list[Any]:
    return list(DEPLOYMENT)
