"""The Step Functions adapter of the workflow engine (``runtime: aws``), on boto3 ``stepfunctions``.

Terraform deploys each ``workflows/<name>.asl.json`` as the state machine ``ResourceNamer.state_machine(name)``
(``crewbot-dev-meeting-prep``); this adapter finds it by that name. Execution ids are execution ARNs.
Executions start through the state machine's ``live`` alias (which ``crewbot deploy rollback`` moves), or
through the state machine itself where no alias exists yet (a deployment from before aliases).

Step Functions does not say *why* a token cannot be answered: a token answered twice and a token whose
task is over both get ``TaskTimedOut``, which becomes :class:`~bot.workflows.errors.TaskTokenExpired`;
callers should catch :class:`~bot.workflows.errors.TaskTokenError` for "already done".
"""

from __future__ import annotations

import builtins
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from bot.config.naming import ResourceNamer
from bot.workflows.engine import Execution, HistoryEvent, WorkflowEngine
from bot.workflows.errors import (
    ExecutionAlreadyExists,
    ExecutionNotFound,
    InvalidTaskToken,
    TaskTokenError,
    TaskTokenExpired,
    WorkflowError,
    WorkflowNotFound,
)

#: The alias Terraform points at each state machine's newest published version.
ALIAS = "live"
#: What StartExecution answers for an alias that does not exist.
_NO_ALIAS = ("StateMachineDoesNotExist", "ResourceNotFound")

_TOKEN_ERRORS = {
    "InvalidToken": InvalidTaskToken,
    "TaskDoesNotExist": TaskTokenExpired,
    "TaskTimedOut": TaskTokenExpired,
}


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class StepFunctionsEngine(WorkflowEngine):
    """Workflows on AWS Step Functions."""

    def __init__(
        self,
        client: Any,
        namer: ResourceNamer,
        workflows: Iterable[str],
        on_answer: Callable[[str], None] | None = None,
    ):
        self.client = client
        self.namer = namer
        #: Called with each token answered, or refused as over (ends its recorded wait for a person).
        self._on_answer = on_answer
        self._workflows = sorted(workflows)
        self._arns: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- names -----------------------------------------------------------------------------------

    def workflows(self) -> builtins.list[str]:
        return list(self._workflows)

    def state_machine_arn(self, workflow: str) -> str:
        """The ARN of the deployed state machine of ``workflow`` (looked up once by its physical name)."""
        if workflow not in self._workflows:
            raise WorkflowNotFound(f"no workflow named {workflow!r} (known: {', '.join(self._workflows) or 'none'})")
        with self._lock:
            if workflow not in self._arns:
                wanted = self.namer.state_machine(workflow)
                paginator = self.client.get_paginator("list_state_machines")
                for page in paginator.paginate():
                    for machine in page["stateMachines"]:
                        if machine["name"] == wanted:
                            self._arns[workflow] = machine["stateMachineArn"]
                if workflow not in self._arns:
                    raise WorkflowNotFound(f"state machine {wanted!r} of workflow {workflow!r} is not deployed")
            return self._arns[workflow]

    def _workflow_of(self, state_machine_arn: str) -> str:
        # arn:aws:states:<region>:<account>:stateMachine:<name>[:<alias or version>]
        parts = state_machine_arn.split(":")
        physical = parts[6] if len(parts) > 6 else parts[-1]
        for workflow in self._workflows:
            if self.namer.state_machine(workflow) == physical:
                return workflow
        return physical

    # -- the interface ---------------------------------------------------------------------------

    def start(self, workflow: str, input: Any = None, *, name: str | None = None) -> Execution:
        arn = self.state_machine_arn(workflow)
        arguments = {"name": name or str(uuid.uuid4()), "input": json.dumps({} if input is None else input)}
        try:
            try:
                response = self.client.start_execution(stateMachineArn=f"{arn}:{ALIAS}", **arguments)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in _NO_ALIAS:
                    raise
                # No alias yet (deployed before aliases, or mid-apply): the state machine itself. Every start
                # tries the alias first, so it is used as soon as Terraform creates it.
                response = self.client.start_execution(stateMachineArn=arn, **arguments)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
                raise ExecutionAlreadyExists(f"workflow {workflow!r} already has an execution named {name!r}") from None
            raise
        return self.describe(response["executionArn"])

    def describe(self, execution_id: str) -> Execution:
        try:
            found = self.client.describe_execution(executionArn=execution_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
                raise ExecutionNotFound(f"no workflow execution {execution_id!r}") from None
            raise
        return Execution(
            execution_id=found["executionArn"],
            workflow=self._workflow_of(found["stateMachineArn"]),
            name=found["name"],
            status=found["status"],
            input=_json(found.get("input")),
            output=_json(found.get("output")),
            error=found.get("error"),
            cause=found.get("cause"),
            started_at=found.get("startDate"),
            stopped_at=found.get("stopDate"),
        )

    def list(
        self, workflow: str | None = None, *, status: str | None = None, limit: int = 100
    ) -> builtins.list[Execution]:
        found: list[Execution] = []
        for name in [workflow] if workflow else self._workflows:
            try:
                arn = self.state_machine_arn(name)
            except WorkflowNotFound:
                if workflow:
                    raise
                continue
            kwargs: dict[str, Any] = {"stateMachineArn": arn}
            if status:
                kwargs["statusFilter"] = status
            for page in self.client.get_paginator("list_executions").paginate(**kwargs):
                for item in page["executions"]:
                    found.append(
                        Execution(
                            execution_id=item["executionArn"],
                            workflow=name,
                            name=item["name"],
                            status=item["status"],
                            started_at=item.get("startDate"),
                            stopped_at=item.get("stopDate"),
                        )
                    )
                if len(found) >= limit * 2:
                    break
        found.sort(key=lambda e: e.started_at.timestamp() if e.started_at else 0.0, reverse=True)
        return found[:limit]

    def history(self, execution_id: str) -> builtins.list[HistoryEvent]:
        events: list[HistoryEvent] = []
        try:
            for page in self.client.get_paginator("get_execution_history").paginate(executionArn=execution_id):
                for event in page["events"]:
                    details: dict[str, Any] = {}
                    for key, value in event.items():
                        if key.endswith("EventDetails") and isinstance(value, dict):
                            details.update(
                                {
                                    k: _json(v) if k in ("input", "output") else v
                                    for k, v in value.items()
                                    if not k.endswith("Details")
                                }
                            )
                    events.append(
                        HistoryEvent(id=event["id"], timestamp=event["timestamp"], type=event["type"], details=details)
                    )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
                raise ExecutionNotFound(f"no workflow execution {execution_id!r}") from None
            raise
        return events

    def send_task_success(self, token: str, output: Any) -> None:
        self._answer("send_task_success", taskToken=token, output=json.dumps(output))

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        self._answer("send_task_failure", taskToken=token, error=error, cause=cause)

    def _answer(self, method: str, **kwargs: Any) -> None:
        try:
            self._token_call(method, **kwargs)
        except TaskTokenError:
            if self._on_answer is not None:
                self._on_answer(kwargs["taskToken"])  # over already: nobody waits on it any more
            raise
        if self._on_answer is not None:
            self._on_answer(kwargs["taskToken"])

    def send_task_heartbeat(self, token: str) -> None:
        self._token_call("send_task_heartbeat", taskToken=token)

    def _token_call(self, method: str, **kwargs: Any) -> None:
        try:
            getattr(self.client, method)(**kwargs)
        except ClientError as exc:
            kind = _TOKEN_ERRORS.get(exc.response["Error"]["Code"])
            if kind is None:
                raise
            raise kind(f"{method}: {exc.response['Error'].get('Message') or exc.response['Error']['Code']}") from None

    def stop(self, execution_id: str, error: str = "", cause: str = "") -> Execution:
        try:
            self.client.stop_execution(executionArn=execution_id, error=error, cause=cause)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
                raise ExecutionNotFound(f"no workflow execution {execution_id!r}") from None
            raise WorkflowError(f"cannot stop {execution_id}: {exc}") from None
        return self.describe(execution_id)
