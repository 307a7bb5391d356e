"""The typed errors of the workflow engine, shared by the local runner and the Step Functions adapter.

Callers (Slack button handlers, the CLI) catch these by type: a token that was already answered is a
:class:`TaskTokenAnswered`, whatever the runtime, so the handler can say "already done" instead of
crashing.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base class of the workflow engine's errors."""


class DefinitionError(WorkflowError):
    """A definition (``*.asl.json``) is invalid or uses something the local runner does not support.

    The message names the file and the state (``workflows/x.asl.json: States.Foo.Retry[0]: ...``).
    """


class UnknownTaskError(DefinitionError):
    """A definition names a task (``${XFunctionArn}``) that no plugin registered."""


class WorkflowNotFound(WorkflowError):
    """No workflow (state machine) of that name is loaded or deployed."""


class ExecutionNotFound(WorkflowError):
    """No execution with that id."""


class ExecutionAlreadyExists(WorkflowError):
    """An execution with that name exists already for the workflow (names are unique, as in AWS)."""


class TaskTokenError(WorkflowError):
    """A task token cannot be answered. Subclasses say why."""


class InvalidTaskToken(TaskTokenError):
    """The token is not one this engine issued."""


class TaskTokenAnswered(TaskTokenError):
    """The token was answered already (success, failure) — the human step is done."""


class TaskTokenExpired(TaskTokenError):
    """The task the token belongs to is over: it timed out, or its execution ended or was stopped."""
