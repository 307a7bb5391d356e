"""Every kind of non-Slack handler finds the runtime in the context object it already receives, locally and
through the Lambda entry points, so no plugin closes over the runtime its registration hook received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.api import (
    Event,
    EventHandler,
    Message,
    QueueConsumer,
    QueueSpec,
    Schedule,
    ScheduledCall,
    TaskContext,
    WorkflowTask,
    hookimpl,
)
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

    def record(self, received: Event | ScheduledCall | Message) -> None:
        self.seen.append(received.crewbot)

    def plugin(self) -> SimpleNamespace:
        @hookimpl
        def register_workflows() -> list[Path]:
            return [self.definition]

        @hookimpl
        def register_workflow_tasks() -> list[WorkflowTask]:
            return [WorkflowTask("Probe", self.task, "Records its context's runtime")]

        @hookimpl
        def register_schedules() -> list[Schedule]:
            return [Schedule("probe", "rate(1 minute)", self.record)]

        @hookimpl
        def register_event_handlers() -> list[EventHandler]:
            return [EventHandler("probe", {"source": ["crewbot.probe"]}, self.record)]

        @hookimpl
        def register_queue_consumers() -> list[QueueConsumer]:
            return [QueueConsumer(queue=QueueSpec("probe"), handler=self.record)]

        return SimpleNamespace(
            register_workflows=register_workflows,
            register_workflow_tasks=register_workflow_tasks,
            register_schedules=register_schedules,
            register_event_handlers=register_event_handlers,
            register_queue_consumers=register_queue_consumers,
        )


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


def test_a_schedule_event_handler_and_queue_consumer_find_the_runtime_in_what_they_receive_locally(
    runtime: Crewbot, probe: Probe
) -> None:
    calls = runtime.scheduler.run_due(runtime.clock.now() + timedelta(minutes=2))  # type: ignore[attr-defined]
    assert calls and probe.seen == [runtime] * len(calls)
    probe.seen.clear()
    runtime.bus.publish("crewbot.probe", "Probed", {"n": 1})
    assert probe.seen == [runtime]
    runtime.queues.get("probe").send({"n": 1})
    workers = runtime.queues.workers
    assert workers is not None and workers.wait()
    assert probe.seen == [runtime, runtime]


def test_a_schedule_event_handler_and_queue_consumer_find_the_runtime_through_the_lambda_entry_points(
    runtime: Crewbot, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.entrypoints import events as event_entry
    from bot.entrypoints import queues as queue_entry

    for entry in (event_entry, queue_entry):
        monkeypatch.setattr(entry, "_runtime", lambda: runtime)
    monkeypatch.setattr(event_entry, "_registered", event_entry._registered.__wrapped__)
    monkeypatch.setenv("CREWBOT_SCHEDULE", "probe")
    event_entry.schedule_handler({"id": "e1", "detail-type": "Scheduled Event", "time": "2026-01-05T10:00:00Z"}, None)
    assert probe.seen == [runtime]
    monkeypatch.setenv("CREWBOT_EVENT_HANDLER", "probe")
    envelope = Event("crewbot.probe", "Probed", {"n": 1}).as_eventbridge()
    event_entry.event_handler(envelope, None)
    assert probe.seen == [runtime, runtime]
    monkeypatch.setenv("CREWBOT_QUEUE", "probe")
    record = {
        "messageId": "m1",
        "receiptHandle": "r1",
        "body": json.dumps({"n": 1}),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:probe",
        "awsRegion": "us-east-1",
    }
    assert queue_entry.handler({"Records": [record]}, None) == {"batchItemFailures": []}
    assert probe.seen == [runtime, runtime, runtime]
