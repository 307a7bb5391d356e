"""Workflow task handlers: what a ``Task`` state runs, contributed by plugins.

A plugin returns :class:`WorkflowTask` objects from ``register_workflow_tasks``. The definitions name a
task through a Terraform placeholder ``${<Name>FunctionArn}`` (see docs/workflows.md): in AWS Terraform
fills it with the Lambda function's ARN, and that function calls the same handler
(:mod:`bot.entrypoints.workflows`); locally the runner calls the handler in-process.

A handler is ``handler(payload, context) -> result``: ``payload`` is the task's effective input (the
``Payload`` of a ``lambda:invoke`` resource, or the effective parameters of a plain function ARN), the
result must be JSON-serialisable. ``context.crewbot`` is the runtime (filled by the local runner and by
the Lambda entry point alike), so a handler needs no closure over the runtime its plugin's hook received.
To fail with a chosen error name (for ``Retry`` / ``Catch``), raise :class:`TaskFailure`; any other
exception fails with its class name as the error, as Lambda reports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Suffix of the placeholder naming a task: ``${LoadMeetingFunctionArn}`` → task ``LoadMeeting``.
PLACEHOLDER_SUFFIX = "FunctionArn"

_TASK_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


@dataclass(frozen=True)
class TaskContext:
    """What a handler knows about the call besides its payload.

    In AWS only ``task_token`` (read from ``payload["taskToken"]``) is known to the Lambda function;
    handlers that need the execution should receive it in their payload (``"execution.$":
    "$$.Execution.Id"``), which works the same in both runtimes.
    """

    task: str
    task_token: str | None = None
    workflow: str = ""
    execution_id: str = ""
    state: str = ""
    retry_count: int = 0
    #: The runtime the handler runs in (``bot.runtime.Crewbot``); its plugin's settings are
    #: ``context.crewbot.settings_for(Model)``. ``None`` only where a caller builds a context by hand.
    crewbot: Any = field(default=None, compare=False, repr=False)


Handler = Callable[[Any, TaskContext], Any]


@dataclass(frozen=True)
class WorkflowTask:
    """A named task handler. ``name`` is CamelCase (``LoadMeeting``); its placeholder is
    ``${LoadMeetingFunctionArn}``."""

    name: str
    handler: Handler
    description: str = ""
    #: The task hands its token to a person (an approval, a question): its open waits are counted
    #: (``bot.metrics.human_waits``) until the token is answered or its state times out.
    waits_for_person: bool = False

    def __post_init__(self) -> None:
        if not _TASK_NAME.match(self.name):
            raise ValueError(f"workflow task name {self.name!r} must be CamelCase letters and digits, like LoadMeeting")
        if not callable(self.handler):
            raise TypeError(f"workflow task {self.name!r}: handler must be callable")

    @property
    def placeholder(self) -> str:
        """The Terraform template variable that names this task's Lambda function ARN."""
        return f"{self.name}{PLACEHOLDER_SUFFIX}"


class TaskFailure(Exception):
    """Raised by a handler to fail its task with an explicit ``error`` name and ``cause``."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


def task_error(exc: BaseException) -> tuple[str, str]:
    """The (Error, Cause) a failed handler reports, shaped as Step Functions reports a Lambda error:
    the error is the exception type (or :attr:`TaskFailure.error`), the cause the function's error payload."""
    if isinstance(exc, TaskFailure):
        error, message = exc.error, exc.cause
    else:
        error, message = type(exc).__name__, str(exc)
    return error, json.dumps({"errorMessage": message, "errorType": error}, separators=(",", ":"))


def task_name_of_placeholder(placeholder: str) -> str | None:
    """``LoadMeetingFunctionArn`` → ``LoadMeeting``; ``None`` if it does not follow the convention."""
    if not placeholder.endswith(PLACEHOLDER_SUFFIX):
        return None
    name = placeholder[: -len(PLACEHOLDER_SUFFIX)]
    return name if _TASK_NAME.match(name) else None


class TaskRegistry:
    """The registered tasks by name; a second task with the same name is an error naming both."""

    def __init__(self, tasks: Iterable[tuple[str, WorkflowTask]] = ()):
        self._tasks: dict[str, WorkflowTask] = {}
        self._owners: dict[str, str] = {}
        for owner, task in tasks:
            self.add(task, owner)

    def add(self, task: WorkflowTask, owner: str = "") -> None:
        if not isinstance(task, WorkflowTask):
            raise TypeError(f"{owner or 'a plugin'} registered {task!r} as a workflow task; expected WorkflowTask")
        if task.name in self._tasks:
            raise ValueError(
                f"workflow task {task.name!r} is registered twice "
                f"(by {self._owners[task.name] or '?'} and {owner or '?'})"
            )
        self._tasks[task.name] = task
        self._owners[task.name] = owner

    def get(self, name: str) -> WorkflowTask | None:
        return self._tasks.get(name)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def __contains__(self, name: object) -> bool:
        return name in self._tasks
