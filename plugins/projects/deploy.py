"""How project delivery runs in AWS: each workflow task's function size and access, and the Fargate
phase runner (a container task for phases that may outlast Lambda's 15 minutes).

Returned by the plugin's ``register_deployment``; the deploy catalog grants each function exactly what
is declared here.
"""

from __future__ import annotations

from bot.api import Deployment, TaskSpec

_SLACK = ("slack_bot_token",)
_AGENT_TABLES = ("chat_sessions", "usage", "usage_totals")  # an agent turn: its conversation record and usage
_PROJECT_TABLES = ("audit_log", "patterns", "project_items", "project_metrics", "projects", "task_ledger")
_WAITS = ("human_waits",)  # waits for a person: opened by the gates, ended by any answered token

DEPLOYMENT: tuple[Deployment | TaskSpec, ...] = (
    Deployment(
        "workflow_task",
        "RunProjectPhase",
        "Run a phase's Swarm inline (at most 15 minutes) or start its Fargate task; the run answers its task token.",
        memory_mb=2048,
        timeout_s=900,
        tables_write=(*_AGENT_TABLES, *_PROJECT_TABLES, *_WAITS),
        buckets_write=("artifacts", "sessions"),
        bedrock=True,
        task_callback=True,
        secrets=_SLACK,
        run_tasks=("phase_runner",),
    ),
    Deployment(
        "workflow_task",
        "ReviewProjectPhase",
        "PM review of a phase's deliverables.",
        memory_mb=1024,
        timeout_s=300,
        tables_write=(*_AGENT_TABLES, *_PROJECT_TABLES),
        buckets_write=("artifacts", "sessions"),
        bedrock=True,
        secrets=_SLACK,
    ),
    Deployment(
        "workflow_task",
        "RequestPhaseApproval",
        "Post the Approve / Revise gate in Slack.",
        tables_write=(*_PROJECT_TABLES, *_WAITS),
        buckets_read=("artifacts",),
        secrets=_SLACK,
    ),
    Deployment(
        "workflow_task",
        "FinishProject",
        "Close a delivered project and post the totals.",
        tables_read=("usage",),
        tables_write=_PROJECT_TABLES,
        secrets=_SLACK,
    ),
    Deployment(
        "workflow_task",
        "ProjectPhaseFailed",
        "Report a failed phase and pause the project.",
        tables_write=(*_PROJECT_TABLES, *_WAITS),
        secrets=_SLACK,
    ),
    TaskSpec(
        "phase_runner",
        "A project phase's Swarm when it may outlast Lambda (phase_runner: ecs); answers the phase's task token.",
        # Without the launcher's override (which names the project and run) the task only prints its usage.
        command=("crewbot", "projects", "run-phase", "--help"),
        # Exactly what a phase run does inline in task_run_project_phase, which it replaces.
        tables_write=(*_AGENT_TABLES, *_PROJECT_TABLES, *_WAITS),
        buckets_write=("artifacts", "sessions"),
        bedrock=True,
        task_callback=True,
        secrets=_SLACK,
    ),
)
