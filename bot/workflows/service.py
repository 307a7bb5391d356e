"""Building ``crewbot.workflows``: definitions and tasks from the plugins, the runtime's adapter."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from bot.workflows.definitions import WorkflowDefinition, check_tasks, iter_states, load_definitions
from bot.workflows.engine import WorkflowEngine
from bot.workflows.tasks import TaskRegistry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)


def registered_tasks(crewbot: Crewbot) -> TaskRegistry:
    """Every :class:`~bot.workflows.tasks.WorkflowTask` enabled plugins registered; a task that waits for a
    person records the waits it opens (:func:`bot.metrics.human_waits.tracking`)."""
    from bot.metrics.human_waits import tracking

    @cache
    def timeouts() -> dict[str, timedelta]:
        return task_timeouts(registered_definitions(crewbot).values())

    def timeout(task: str) -> timedelta | None:
        return timeouts().get(task)

    return TaskRegistry(
        (c.plugin, tracking(c.item, timeout)) for c in crewbot.plugins.contributions("register_workflow_tasks")
    )


def task_timeouts(definitions: Iterable[WorkflowDefinition]) -> dict[str, timedelta]:
    """The longest literal ``TimeoutSeconds`` of the states running each task (tasks without one are absent)."""
    found: dict[str, timedelta] = {}
    for definition in definitions:
        seconds = {
            name: state["TimeoutSeconds"]
            for _, name, state in iter_states(definition)
            if isinstance(state.get("TimeoutSeconds"), int)
        }
        for task, states in definition.tasks.items():
            for state in states:
                if state in seconds and timedelta(seconds=seconds[state]) > found.get(task, timedelta(0)):
                    found[task] = timedelta(seconds=seconds[state])
    return found


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
        return StepFunctionsEngine(client, crewbot.namer, definitions, on_answer=_answered(crewbot))
    from bot.workflows.local import LocalWorkflowEngine

    return LocalWorkflowEngine(
        definitions, tasks, crewbot.store, crewbot.clock, bus=crewbot.bus, crewbot=crewbot, on_answer=_answered(crewbot)
    )


def _answered(crewbot: Crewbot) -> Callable[[str], None]:
    """Ends the recorded wait of an answered token (best effort: the answer itself already happened)."""
    from bot.metrics.human_waits import HumanWaits

    def answered(token: str) -> None:
        try:
            HumanWaits.for_runtime(crewbot).answered(token)
        except Exception:
            logger.exception("could not end the recorded wait of an answered task token")

    return answered
