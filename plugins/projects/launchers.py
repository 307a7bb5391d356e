"""Starting a phase run somewhere else than this process: a Fargate task (``phase_runner: ecs``).

A phase's Swarm may run in an ECS task because a Swarm can take longer than a Lambda's 15
minutes. The ``RunProjectPhase`` Lambda creates the run record (it holds the task token) and starts
the task with the command ``crewbot projects run-phase --project P --run R [--resume]``; the task reads
the run from the store, runs the Swarm and answers the token. No token or secret travels in the
command (ECS shows overrides to anyone who may describe tasks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.api import Crewbot


class LaunchError(RuntimeError):
    """ECS did not start the phase task."""


def run_phase_command(project_id: str, run_item: str, resume: bool) -> list[str]:
    return [
        "crewbot",
        "projects",
        "run-phase",
        "--project",
        project_id,
        "--run",
        run_item,
        *(["--resume"] if resume else []),
    ]


def launch_on_ecs(
    crewbot: Crewbot, settings: Any, project_id: str, run_item: str, resume: bool, client: Any = None
) -> str:
    """Start the Fargate task for one run; returns its task ARN (:class:`LaunchError` if ECS refuses)."""
    if settings is None:
        raise LaunchError("phase_runner is ecs but plugins.settings.projects.ecs is not configured")
    if client is None:
        import boto3

        client = boto3.client("ecs", region_name=crewbot.config.aws.region)
    response = client.run_task(
        cluster=settings.cluster,
        taskDefinition=settings.task_definition,
        launchType="FARGATE",
        count=1,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": list(settings.subnets),
                "securityGroups": list(settings.security_groups),
                "assignPublicIp": "ENABLED" if settings.assign_public_ip else "DISABLED",
            }
        },
        overrides={
            "containerOverrides": [
                {"name": settings.container, "command": run_phase_command(project_id, run_item, resume)}
            ]
        },
        startedBy=f"crewbot-{project_id}"[:36],
        tags=[{"key": "project_id", "value": project_id}],
    )
    failures = response.get("failures") or []
    tasks = response.get("tasks") or []
    if failures or not tasks:
        reasons = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in failures) or "no task"
        raise LaunchError(f"ECS did not start the phase task: {reasons}")
    return str(tasks[0]["taskArn"])
