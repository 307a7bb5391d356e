"""The Lambda entry point that runs a workflow task in AWS: ``bot.entrypoints.workflows.handler``.

Terraform deploys one function per task (or one for several) with ``CREWBOT_WORKFLOW_TASK`` set to the
task name (``LoadMeeting``), and passes its ARN to the definition as ``${LoadMeetingFunctionArn}``.
The function calls the very handler the local runner calls. A :class:`~bot.workflows.tasks.TaskFailure`
is re-raised as an exception whose type name is the chosen error, because Step Functions takes a Lambda
error's name from its ``errorType``.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from bot.workflows.tasks import TaskContext, TaskFailure, TaskRegistry


@cache
def _runtime() -> Any:
    """The function's runtime, built once per container and reused by every invocation."""
    from bot.runtime import start

    return start()


@cache
def _tasks() -> TaskRegistry:
    from bot.workflows.service import registered_tasks

    return registered_tasks(_runtime())


def run_task(tasks: TaskRegistry, name: str, event: Any, crewbot: Any = None) -> Any:
    """Call task ``name`` with ``event`` as its payload, as Step Functions invoked it; ``crewbot`` is the
    runtime the handler finds in its context (``handler`` passes the function's own)."""
    task = tasks.get(name)
    if task is None:
        raise LookupError(f"no workflow task named {name!r} is registered (known: {', '.join(tasks.names())})")
    token = event.get("taskToken") if isinstance(event, dict) else None
    try:
        return task.handler(event, TaskContext(task=name, task_token=token, crewbot=crewbot))
    except TaskFailure as exc:
        raise type(exc.error, (Exception,), {})(exc.cause) from None


def handler(event: Any, context: Any) -> Any:
    name = os.environ.get("CREWBOT_WORKFLOW_TASK", "")
    if not name:
        raise LookupError("CREWBOT_WORKFLOW_TASK is not set: which workflow task should this function run?")
    from bot.entrypoints.health import is_health_check, report

    if is_health_check(event):
        return report("workflow task", name, _tasks().names())
    from bot.logs import lambda_log_context

    execution = event.get("execution") if isinstance(event, dict) else None
    with lambda_log_context(context, execution if isinstance(execution, str) else None):
        return run_task(_tasks(), name, event, _runtime())
