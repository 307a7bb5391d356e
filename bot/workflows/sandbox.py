"""Running any ASL definition on the local runner, alone: what ``crewbot workflows run`` does.

A :class:`Sandbox` holds a throw-away store and a manual clock. :meth:`Sandbox.run` loads a
definition (any Task resource is accepted; a Task runs a registered handler or its mock, as Step
Functions' mocked service integrations do), starts one execution per input and advances the clock
through every Wait, retry interval and timeout until the execution ends. The result is what Step
Functions' ``DescribeExecution`` would say, plus the states entered in order.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.events.bus import LocalEventBus
from bot.storage.sqlite import SqliteStore
from bot.workflows.definitions import WorkflowDefinition, parse_definition
from bot.workflows.errors import DefinitionError
from bot.workflows.local import LocalWorkflowEngine
from bot.workflows.tasks import TaskRegistry

#: A bound on clock advances per execution, so a definition that loops on Waits cannot hang the command.
MAX_ADVANCES = 100_000


@dataclass
class RunResult:
    """How one execution ended (``RUNNING`` when it waits on something nobody will answer)."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states: list[str] = field(default_factory=list)
    execution_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "states": self.states,
        }


def parse_mock(text: str) -> tuple[str, dict[str, Any]]:
    """``STATE=JSON`` → ``(state, mock)``. JSON ``{"Return": ...}`` or ``{"Throw": {"Error", "Cause"}}``
    is taken as is; any other JSON value is the state's result."""
    state, sep, body = text.partition("=")
    if not sep or not state:
        raise ValueError(f"--mock {text!r}: expected STATE=JSON")
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--mock {state}: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if isinstance(value, dict) and set(value) == {"Throw"}:
        throw = value["Throw"]
        if not isinstance(throw, dict) or not isinstance(throw.get("Error", ""), str):
            raise ValueError(f'--mock {state}: "Throw" needs {{"Error": "...", "Cause": "..."}}')
        return state, value
    if isinstance(value, dict) and set(value) == {"Return"}:
        return state, value
    return state, {"Return": value}


def machine_name(path: str | Path) -> str:
    """A state machine name for a file: ``flows/My Flow.asl.json`` → ``My-Flow``."""
    name = Path(path).name.removesuffix(".json").removesuffix(".asl")
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "workflow"


class Sandbox:
    """A local runner of its own (temporary store, manual clock) for running definitions one by one."""

    def __init__(self, tasks: TaskRegistry | None = None, *, start: datetime | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="crewbot-run-")
        self.store = SqliteStore.in_home(Path(self._dir.name))
        self.clock = ManualClock(start or datetime.now(UTC).replace(microsecond=0))
        self.engine = LocalWorkflowEngine(
            {}, tasks or TaskRegistry(), self.store, self.clock, bus=LocalEventBus(self.clock), listen=False
        )
        self.engine.load_options = {"any_resource": True}
        self._count = 0

    def close(self) -> None:
        self.store.close()
        self._dir.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, document: Any, name: str = "workflow", source: str = "<memory>") -> WorkflowDefinition:
        """Validate ``document`` (any Task resource accepted); :class:`DefinitionError` otherwise."""
        return parse_definition(name, document, source, any_resource=True)

    def unbound(self, definition: WorkflowDefinition, mocks: Mapping[str, Any]) -> list[str]:
        """Task states that would have nothing to run: neither mocked nor a registered task."""
        missing = [state for state in definition.foreign if state not in mocks]
        for task, states in definition.tasks.items():
            if task not in self.engine.tasks:
                missing += [state for state in states if state not in mocks]
        return sorted(set(missing))

    def run(
        self, definition: WorkflowDefinition, data: Any, mocks: Mapping[str, dict[str, Any]] | None = None
    ) -> RunResult:
        """Start one execution of ``definition`` with ``data`` and play it out on the clock."""
        self._count += 1
        self.engine.definitions[definition.name] = definition
        self.engine.mocks = dict(mocks or {})
        execution = self.engine.start(definition.name, data, name=f"run-{self._count}")
        for _ in range(MAX_ADVANCES):
            execution = self.engine.describe(execution.execution_id)
            if execution.done:
                break
            due = self.engine.next_due()
            if due is None:
                break  # waiting on a task token nobody will answer
            if due > self.clock.now():
                self.clock.advance(due - self.clock.now())
            self.engine.run_due(self.clock.now())
        states = [
            event.details["state"]
            for event in self.engine.history(execution.execution_id)
            if event.type.endswith("StateEntered")
        ]
        return RunResult(
            status=execution.status,
            output=execution.output,
            error=execution.error,
            cause=execution.cause,
            states=states,
            execution_id=execution.execution_id,
        )


__all__ = ["DefinitionError", "RunResult", "Sandbox", "machine_name", "parse_mock"]
