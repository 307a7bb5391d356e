"""Workflows: ``workflows/*.asl.json`` run on AWS Step Functions or on the durable local ASL runner.

See docs/workflows.md. Public surface: :class:`~bot.workflows.engine.WorkflowEngine` (``crewbot.workflows``),
:class:`~bot.workflows.tasks.WorkflowTask` (what plugins register), the typed errors in
:mod:`bot.workflows.errors`.
"""

from bot.workflows.engine import Execution, HistoryEvent, WorkflowEngine
from bot.workflows.errors import (
    DefinitionError,
    ExecutionAlreadyExists,
    ExecutionNotFound,
    InvalidTaskToken,
    TaskTokenAnswered,
    TaskTokenError,
    TaskTokenExpired,
    UnknownTaskError,
    WorkflowError,
    WorkflowNotFound,
)
from bot.workflows.tasks import TaskContext, TaskFailure, WorkflowTask

__all__ = [
    "DefinitionError",
    "Execution",
    "ExecutionAlreadyExists",
    "ExecutionNotFound",
    "HistoryEvent",
    "InvalidTaskToken",
    "TaskContext",
    "TaskFailure",
    "TaskTokenAnswered",
    "TaskTokenError",
    "TaskTokenExpired",
    "UnknownTaskError",
    "WorkflowEngine",
    "WorkflowError",
    "WorkflowNotFound",
    "WorkflowTask",
]
