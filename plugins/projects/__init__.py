"""Project delivery: a crew of agents works from a Statement of Work, phase by phase, with
Approve / Revise gates in Slack. This plugin registers:

* ``/project`` (new, list, status, deliverables), the gate buttons and modals, customer questions, and
  the PM answering mentions in a project channel;
* the crew's agent specs (``agents/projects/*.yaml``) and their tools;
* ``workflows/project_phases.asl.json`` and its task handlers.

Module map:

* :mod:`plugins.projects.sow` — reading SOW files (text, Markdown, PDF, DOCX) and parsing them.
* :mod:`plugins.projects.artifacts` — the per-project artifact store (git locally, S3 + commit log in AWS)
  and the crew's write scopes.
* :mod:`plugins.projects.crew` — the phases (agents, Swarm limits, deliverables) and the artifact templates.
* :mod:`plugins.projects.tools` — the crew's Strands tools (ledger, artifacts, questions, lessons, patterns).
* :mod:`plugins.projects.specialist` — the specialists' tools (diagrams, ADRs, IaC checks, threat models ...).
* :mod:`plugins.projects.offline_crew` — the deterministic playbook model used without AI credentials.
* :mod:`plugins.projects.runner` — running and resuming a phase's Swarm.
* :mod:`plugins.projects.items` — runs, gates, questions and lessons (``project_items``); the patterns table.
* :mod:`plugins.projects.patterns` — the pattern library.
* :mod:`plugins.projects.service` — the project service (``project_service(crewbot)``): create, decide, answer.
* :mod:`plugins.projects.workflow_tasks` — the task handlers of ``workflows/project_phases.asl.json``.
* :mod:`plugins.projects.slack_ui` / :mod:`plugins.projects.slack` — Block Kit and the Slack handlers.

See docs/projects.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.api import Action, EventHandler, SlackEvent, SlashCommand, TableSpec, ViewSubmission, data_dir, hookimpl
from plugins.projects.settings import Settings


@hookimpl
def register_settings() -> type[Settings]:
    return Settings


@hookimpl
def register_tables() -> list[TableSpec]:
    from plugins.projects.items import PATTERNS, PROJECT_ITEMS
    from plugins.projects.metrics import METRICS
    from plugins.projects.records import PROJECTS, TASK_LEDGER

    return [PROJECTS, TASK_LEDGER, PROJECT_ITEMS, PATTERNS, METRICS]


@hookimpl
def register_commands() -> list[Any]:
    from plugins.projects.slack import project_command

    return [
        SlashCommand(
            "/project",
            project_command,
            description="Project delivery by the agent crew",
            usage_hint="[new | list | status | answer | memory | insights | deliverables | approvers] [NAME]",
        )
    ]


@hookimpl
def register_actions() -> list[Any]:
    from plugins.projects import chat, slack
    from plugins.projects import slack_ui as ui

    return [
        ViewSubmission(ui.NEW_VIEW, slack.submit_new_project, lazy=slack.create_new_project),
        Action(ui.APPROVE, slack.on_approve),
        Action(ui.REVISE, slack.on_revise),
        ViewSubmission(ui.APPROVE_VIEW, slack.submit_approval),
        ViewSubmission(ui.REVISE_VIEW, slack.submit_revision),
        Action(ui.ANSWER, slack.on_answer),
        ViewSubmission(ui.ANSWER_VIEW, slack.submit_answer),
        Action(ui.SURVEY, slack.on_survey),
        ViewSubmission(ui.SURVEY_VIEW, slack.submit_survey),
        Action(ui.RETRY, slack.on_retry),
        Action(ui.STOP, slack.on_stop),
        SlackEvent("app_mention", chat.on_mention, scopes=("app_mentions:read", "chat:write", "files:read")),
    ]


@hookimpl
def register_workflows() -> list[Path]:
    return [data_dir("workflows") / "project_phases.asl.json"]


@hookimpl
def register_agents() -> list[Path]:
    return sorted((data_dir("agents") / "projects").glob("*.yaml"))


@hookimpl
def register_tools() -> list[Any]:
    from plugins.projects.specialist import SPECIALIST_TOOLS
    from plugins.projects.tools import TOOLS

    return [*TOOLS, *SPECIALIST_TOOLS]


@hookimpl
def register_workflow_tasks() -> list[Any]:
    from plugins.projects.workflow_tasks import workflow_tasks

    return workflow_tasks()


@hookimpl
def register_event_handlers() -> list[Any]:
    from plugins.projects import reminders

    return [
        EventHandler(
            "project-question-reminder",
            {"source": [reminders.EVENT_SOURCE], "detail-type": [reminders.REMINDER_EVENT]},
            lambda event: reminders.on_reminder_due(event.crewbot, event.detail),
        )
    ]


@hookimpl
def register_conversation_routes() -> list[Any]:
    from plugins.projects.chat import ProjectChannelRoute

    return [ProjectChannelRoute()]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from plugins.projects.cli import add_to

    add_to(cli)


@hookimpl
def register_deployment() -> list[Any]:
    from plugins.projects.deploy import DEPLOYMENT

    return list(DEPLOYMENT)
