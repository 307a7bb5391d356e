"""The workflow engine interface, the same in both runtimes.

``crewbot.workflows`` is a :class:`WorkflowEngine`: :class:`bot.workflows.local.LocalWorkflowEngine`
(the durable local ASL runner) in ``runtime: local``, :class:`bot.workflows.aws.StepFunctionsEngine`
in ``runtime: aws``. Execution ids are opaque strings (an execution ARN in AWS); so are task tokens.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Status = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
STATUSES: tuple[str, ...] = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass
class Execution:
    """What ``describe`` knows about one execution."""

    execution_id: str
    workflow: str
    name: str
    status: str
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status != "RUNNING"

    def as_dict(self) -> dict[str, Any]:
        return {
            "execution_id": self.execution_id,
            "workflow": self.workflow,
            "name": self.name,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
        }


@dataclass
class HistoryEvent:
    """One entry of an execution's history (Step Functions event type names)."""

    id: int
    timestamp: datetime
    type: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "timestamp": self.timestamp.isoformat(), "type": self.type, **self.details}


class WorkflowEngine(ABC):
    """Start, inspect and steer workflow executions; answer the task tokens of human steps."""

    @abstractmethod
    def workflows(self) -> builtins.list[str]:
        """The names of the workflows this engine can start (``meeting_prep`` ...)."""

    @abstractmethod
    def start(self, workflow: str, input: Any = None, *, name: str | None = None) -> Execution:
        """Start ``workflow`` with ``input`` (JSON-serialisable). ``name`` makes the start idempotent:
        a second start with the same name raises :class:`~bot.workflows.errors.ExecutionAlreadyExists`."""

    @abstractmethod
    def describe(self, execution_id: str) -> Execution:
        """The execution (:class:`~bot.workflows.errors.ExecutionNotFound` if unknown)."""

    @abstractmethod
    def list(
        self, workflow: str | None = None, *, status: str | None = None, limit: int = 100
    ) -> builtins.list[Execution]:
        """Executions, newest first, optionally of one workflow and/or status."""

    @abstractmethod
    def history(self, execution_id: str) -> builtins.list[HistoryEvent]:
        """The execution's events, oldest first."""

    @abstractmethod
    def send_task_success(self, token: str, output: Any) -> None:
        """Complete the waiting task with ``output``. Raises a
        :class:`~bot.workflows.errors.TaskTokenError` subclass when the token is unknown, answered
        already, or its task/execution is over."""

    @abstractmethod
    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        """Fail the waiting task with ``error`` (matched by Retry / Catch) and ``cause``."""

    @abstractmethod
    def send_task_heartbeat(self, token: str) -> None:
        """Tell a task with ``HeartbeatSeconds`` that its worker is still alive."""

    @abstractmethod
    def stop(self, execution_id: str, error: str = "", cause: str = "") -> Execution:
        """Abort a running execution (its waiting tokens become invalid)."""

    def run_due(self) -> int:
        """Run what became due on the clock (local runner); the number of executions touched."""
        return 0
