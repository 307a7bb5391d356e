"""Every kind of non-Slack handler finds the runtime in the context object it already receives, locally and
through the Lambda entry points, so no plugin closes over the runtime its registration hook received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.api import TaskContext, WorkflowTask, hookimpl
from bot.runtime import Crewbot, start

DEFINITION = {
    "StartAt": "Probe",
    "States": {
        "Probe": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${ProbeFunctionArn}", "Payload.$": "$"},
            "ResultSelector": {"seen.$": "$.Payload"},
            "End": True,
        }
    },
}


class Probe:
    """A plugin whose handlers record the runtime their context carries."""

    def __init__(self, directory: Path):
        self.definition = directory / "probe.asl.json"
        self.definition.write_text(json.dumps(DEFINITION))
        self.seen: list[Any] = []

    def task(self, payload: Any, ctx: TaskContext) -> dict[str, Any]:
        self.seen.append(ctx.crewbot)
        return {"home": str(ctx.crewbot.home)}

    def plugin(self) -> SimpleNamespace:
        @hookimpl
        def register_workflows() -> list[Path]:
            return [self.definition]

        @hookimpl
        def register_workflow_tasks() -> list[WorkflowTask]:
            return [WorkflowTask("Probe", self.task, "Records its context's runtime")]

        return SimpleNamespace(register_workflows=register_workflows, register_workflow_tasks=register_workflow_tasks)


@pytest.fixture
def probe(tmp_path: Path) -> Probe:
    return Probe(tmp_path)


@pytest.fixture
def runtime(crewbot_home: Path, probe: Probe) -> Iterator[Crewbot]:
    crewbot = start(
        environ={"CREWBOT_HOME": str(crewbot_home), "CREWBOT_LOAD_PLUGINS": "probe"},
        extra_plugins=[("probe", probe.plugin())],
        setup_logging=False,
    )
    try:
        yield crewbot
    finally:
        crewbot.close()


def test_a_workflow_task_finds_the_runtime_in_its_context_in_the_local_runner(runtime: Crewbot, probe: Probe) -> None:
    execution = runtime.workflows.start("probe", {"x": 1})
    done = runtime.workflows.describe(execution.execution_id)
    assert done.status == "SUCCEEDED", done
    assert probe.seen == [runtime]
    assert done.output == {"seen": {"home": str(runtime.home)}}


def test_a_workflow_task_finds_the_runtime_in_its_context_through_the_lambda_entry_point(
    runtime: Crewbot, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.entrypoints import workflows as lambda_entry
    from bot.workflows.service import registered_tasks

    # The function's runtime is built once per container; here it is the test's.
    monkeypatch.setattr(lambda_entry, "_runtime", lambda: runtime)
    monkeypatch.setattr(lambda_entry, "_tasks", lambda: registered_tasks(runtime))
    monkeypatch.setenv("CREWBOT_WORKFLOW_TASK", "Probe")
    assert lambda_entry.handler({"x": 1}, None) == {"home": str(runtime.home)}
    assert probe.seen == [runtime]
