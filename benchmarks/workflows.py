"""Benchmark of the local workflow runner, scheduler and queue on SQLite (prints figures; asserts nothing).

.venv/bin/python benchmarks/workflows.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import ManualClock
from bot.events.bus import LocalEventBus
from bot.events.queues import LocalQueue, QueueSpec, process_batch
from bot.events.scheduler import LocalScheduler
from bot.events.schedules import Schedule
from bot.storage.sqlite import SqliteStore
from bot.workflows.definitions import parse_definition
from bot.workflows.local import LocalWorkflowEngine
from bot.workflows.tasks import TaskRegistry, WorkflowTask

SIMPLE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"a.$": "$.n", "b": 1}, "Next": "Add"},
        "Add": {"Type": "Task", "Resource": "${AddFunctionArn}", "ResultPath": "$.sum", "Next": "Big"},
        "Big": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.sum", "NumericGreaterThan": 10, "Next": "Yes"}],
            "Default": "No",
        },
        "Yes": {"Type": "Succeed"},
        "No": {"Type": "Succeed"},
    },
}
MAP = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "End": True,
            "ItemSelector": {"a.$": "$$.Map.Item.Value", "b.$": "$$.Map.Item.Index"},
            "ItemProcessor": {
                "StartAt": "Add",
                "States": {"Add": {"Type": "Task", "Resource": "${AddFunctionArn}", "End": True}},
            },
        }
    },
}
GATE = {
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "End": True,
            "Parameters": {"FunctionName": "${AskFunctionArn}", "Payload": {"taskToken.$": "$$.Task.Token"}},
        }
    },
}


PAUSE = {
    "StartAt": "Pause",
    "States": {
        "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": "done", "End": True},
    },
}
JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Assign": {"total": "{% $sum($states.input.values) %}"}, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $total > 10 %}", "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Output": {"total": "{% $total %}", "size": "big"}, "End": True},
        "Small": {"Type": "Pass", "Output": {"total": "{% $total %}", "size": "small"}, "End": True},
    },
}


def main() -> None:
    tokens: list[str] = []

    def add(payload: dict[str, Any], ctx: Any) -> int:
        return int(payload["a"]) + int(payload["b"])

    def ask(payload: dict[str, Any], ctx: Any) -> None:
        tokens.append(payload["taskToken"])

    tasks = TaskRegistry([("bench", WorkflowTask("Add", add)), ("bench", WorkflowTask("Ask", ask))])
    with tempfile.TemporaryDirectory() as home:
        store = SqliteStore.in_home(Path(home))
        clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
        definitions = {
            name: parse_definition(name, doc)
            for name, doc in (("simple", SIMPLE), ("map", MAP), ("gate", GATE), ("pause", PAUSE), ("jsonata", JSONATA))
        }
        engine = LocalWorkflowEngine(definitions, tasks, store, clock)

        runs = 200
        started = time.perf_counter()
        for n in range(runs):
            engine.start("simple", {"n": n})
        elapsed = time.perf_counter() - started
        events = len(engine.history(engine.list("simple", limit=1)[0].execution_id))
        print(
            f"simple (5 states): {runs / elapsed:.0f} executions/s, {runs * events / elapsed:.0f} history events/s, "
            f"{elapsed / runs * 1000:.1f} ms per execution"
        )

        started = time.perf_counter()
        for n in range(runs):
            engine.start("jsonata", {"values": [n, 1, 2]})
        elapsed = time.perf_counter() - started
        print(f"jsonata (3 states, Assign, Choice): {runs / elapsed:.0f} executions/s")

        for _ in range(runs):
            engine.start("pause", {})
        started = time.perf_counter()
        clock.advance(timedelta(hours=1))  # the runner's clock listener resumes every due Wait
        elapsed = time.perf_counter() - started
        resumed = len(engine.list("pause", status="SUCCEEDED", limit=runs))
        print(
            f"clock advance of 1 h resuming {resumed} waiting executions: {elapsed:.2f} s "
            f"({elapsed / max(resumed, 1) * 1000:.1f} ms per execution)"
        )

        items = 200
        started = time.perf_counter()
        done = engine.start("map", {"items": list(range(items))})
        elapsed = time.perf_counter() - started
        print(f"map over {items} items: {elapsed:.2f} s ({done.status})")

        gates = 100
        for _ in range(gates):
            engine.start("gate", {})
        started = time.perf_counter()
        for token in tokens:
            engine.send_task_success(token, {"ok": True})
        elapsed = time.perf_counter() - started
        succeeded = len(engine.list("gate", status="SUCCEEDED", limit=gates))
        print(
            f"answer {gates} waiting task tokens: {elapsed / gates * 1000:.1f} ms per answer "
            f"({succeeded} executions completed)"
        )

        fired: list[int] = []
        scheduler = LocalScheduler(
            store,
            clock,
            LocalEventBus(clock),
            [Schedule("tick", "rate(1 minute)", lambda call: fired.append(1))],
            listen=False,
        )
        started = time.perf_counter()
        scheduler.run_due(clock.now() + timedelta(days=1))
        elapsed = time.perf_counter() - started
        print(f"scheduler catching up one day of rate(1 minute): {len(fired)} firings in {elapsed:.2f} s")

        queue = LocalQueue(QueueSpec("bench", visibility_timeout=30), store, clock)
        messages = 500
        started = time.perf_counter()
        for n in range(messages):
            queue.send({"n": n})
        handled = 0
        while True:
            result = process_batch(queue, lambda message: None)
            if not result.succeeded:
                break
            handled += len(result.succeeded)
        elapsed = time.perf_counter() - started
        print(f"local queue: {handled} messages sent and handled in {elapsed:.2f} s ({handled / elapsed:.0f}/s)")
        store.close()


if __name__ == "__main__":
    main()
