"""Building ``crewbot.workflows``: definitions and tasks from the plugins, the runtime's adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.workflows.definitions import WorkflowDefinition, check_tasks, load_definitions
from bot.workflows.engine import WorkflowEngine
from bot.workflows.tasks import TaskRegistry

if TYPE_CHECKING:
    from bot.runtime import Crewbot


def registered_tasks(crewbot: Crewbot) -> TaskRegistry:
    """Every :class:`~bot.workflows.tasks.WorkflowTask` enabled plugins registered."""
    return TaskRegistry((c.plugin, c.item) for c in crewbot.plugins.contributions("register_workflow_tasks"))


def registered_definitions(crewbot: Crewbot) -> dict[str, WorkflowDefinition]:
    """Every definition enabled plugins registered (``register_workflows``), loaded and validated."""
    return load_definitions(crewbot.plugins.items("register_workflows"))


def build_engine(crewbot: Crewbot) -> WorkflowEngine:
    """The engine of the configured runtime, after the start-up check that every task a definition
    names is registered (:class:`~bot.workflows.errors.UnknownTaskError` otherwise)."""
    definitions = registered_definitions(crewbot)
    tasks = registered_tasks(crewbot)
    check_tasks(definitions.values(), tasks)
    if crewbot.config.runtime == "aws":
        import boto3

        from bot.workflows.aws import StepFunctionsEngine

        client = boto3.client("stepfunctions", region_name=crewbot.config.aws.region)
        return StepFunctionsEngine(client, crewbot.namer, definitions)
    from bot.workflows.local import LocalWorkflowEngine

    return LocalWorkflowEngine(definitions, tasks, crewbot.store, crewbot.clock, bus=crewbot.bus, crewbot=crewbot)
