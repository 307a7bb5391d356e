"""A local-runner process for the crash tests to kill: ``python -m tests.workflows.chaos_child HOME COMMAND ...``.

It runs the ``chaos`` workflow (a task with a side effect, then a Parallel whose branches each ask a
human and have a side effect, then a last side effect) on the SQLite store in ``HOME``. Side effects
and the tokens handed to "humans" are appended to files in ``HOME`` (flushed and synced, so they
survive the kill). Where it dies is chosen by the environment:

* ``CHAOS_KILL_AFTER_WRITES=N`` — SIGKILL itself right after its N-th committed store write;
* ``CHAOS_KILL_AFTER_ANSWER=1`` — right after a task token's answer is committed;
* ``CHAOS_KILL_IN_ASK=1`` — inside the human-step handler, after the token was handed out.

Commands: ``start NAME``; ``answer TOKEN``; ``cycle NAME...`` (recover, start the missing executions,
answer every token handed out, until all have ended: prints ``DONE``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.storage.sqlite import SqliteStore, SqliteTable
from bot.workflows.definitions import parse_definition
from bot.workflows.errors import ExecutionAlreadyExists, TaskTokenError
from bot.workflows.local import LocalWorkflowEngine
from bot.workflows.tasks import TaskContext, TaskRegistry, WorkflowTask


def _ask(step: str, then: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {
            "FunctionName": "${AskFunctionArn}",
            "Payload": {"taskToken.$": "$$.Task.Token", "name.$": "$$.Execution.Name", "step": step},
        },
        "ResultPath": "$.answer",
        **then,
    }


def _effect(key: str, result_path: str, then: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "${EffectFunctionArn}",
        "Parameters": {"key": key, "name.$": "$$.Execution.Name"},
        "ResultPath": result_path,
        **then,
    }


CHAOS = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": _effect("prepare", "$.prepared", {"Next": "Both"}),
        "Both": {
            "Type": "Parallel",
            "ResultPath": "$.branches",
            "Next": "Finish",
            "Branches": [
                {
                    "StartAt": "AskA",
                    "States": {
                        "AskA": _ask("a", {"Next": "EffectA"}),
                        "EffectA": _effect("a", "$.effect", {"End": True}),
                    },
                },
                {
                    "StartAt": "EffectB",
                    "States": {
                        "EffectB": _effect("b", "$.effect", {"Next": "AskB"}),
                        "AskB": _ask("b", {"End": True}),
                    },
                },
            ],
        },
        "Finish": _effect("finish", "$.finished", {"End": True}),
    },
}


def answer_for(name: str, step: str) -> dict[str, str]:
    """What the "human" answers at ``step`` of execution ``name``."""
    return {"by": f"{name}-{step}"}


def expected_output(name: str) -> dict[str, Any]:
    """The output Step Functions reaches for execution ``name``."""
    base = {"name": name, "prepared": {"done": "prepare"}}
    return {
        **base,
        "branches": [
            {**base, "answer": answer_for(name, "a"), "effect": {"done": "a"}},
            {**base, "effect": {"done": "b"}, "answer": answer_for(name, "b")},
        ],
        "finished": {"done": "finish"},
    }


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm_write_kill(limit: int) -> None:
    """Die right after the ``limit``-th committed write to any table."""
    count = {"writes": 0}

    def wrap(method: Any) -> Any:
        def counted(self: SqliteTable, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            count["writes"] += 1
            if count["writes"] >= limit:
                _die()
            return result

        return counted

    for name in ("put", "create", "put_many", "delete"):
        setattr(SqliteTable, name, wrap(getattr(SqliteTable, name)))


def _arm_answer_kill() -> None:
    """Die right after a token's answer is committed (before the execution is driven)."""
    original = SqliteTable.put

    def put(self: SqliteTable, item: Any, **kwargs: Any) -> Any:
        result = original(self, item, **kwargs)
        if self.spec.name == "workflow_tokens" and item.get("status") in ("SUCCEEDED", "FAILED"):
            _die()
        return result

    SqliteTable.put = put  # type: ignore[method-assign]


def engine(home: Path) -> LocalWorkflowEngine:
    """The runner on ``home``'s store, with the chaos workflow and its two tasks."""

    def effect(payload: dict[str, Any], ctx: TaskContext) -> dict[str, str]:
        _append(home / "effects.log", f"{payload['name']} {payload['key']}")
        return {"done": payload["key"]}

    def ask(payload: dict[str, Any], ctx: TaskContext) -> None:
        _append(home / "asks.jsonl", json.dumps(payload))
        if os.environ.get("CHAOS_KILL_IN_ASK"):
            _die()

    tasks = TaskRegistry([("chaos", WorkflowTask("Effect", effect)), ("chaos", WorkflowTask("Ask", ask))])
    store = SqliteStore.in_home(home)
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    return LocalWorkflowEngine({"chaos": parse_definition("chaos", CHAOS)}, tasks, store, clock, listen=False)


def asks(home: Path) -> list[dict[str, Any]]:
    """Every token handed out so far (a handler called again hands out the same token again)."""
    path = home / "asks.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def cycle(home: Path, names: list[str]) -> bool:
    runner = engine(home)
    runner.recover()
    for name in names:
        with contextlib.suppress(ExecutionAlreadyExists):
            runner.start("chaos", {"name": name}, name=name)
    for _ in range(10):
        for item in asks(home):
            # Answered already raises (perhaps it was answered by a process that died right after).
            with contextlib.suppress(TaskTokenError):
                runner.send_task_success(item["taskToken"], answer_for(item["name"], item["step"]))
        if all(runner.describe(f"chaos:{name}").done for name in names):
            return True
    return False


def main(argv: list[str]) -> int:
    home, command, args = Path(argv[0]), argv[1], argv[2:]
    if os.environ.get("CHAOS_KILL_AFTER_WRITES"):
        _arm_write_kill(int(os.environ["CHAOS_KILL_AFTER_WRITES"]))
    if os.environ.get("CHAOS_KILL_AFTER_ANSWER"):
        _arm_answer_kill()
    if command == "start":
        engine(home).start("chaos", {"name": args[0]}, name=args[0])
        return 0
    if command == "answer":
        item = next(item for item in asks(home) if item["taskToken"] == args[0])
        engine(home).send_task_success(args[0], answer_for(item["name"], item["step"]))
        return 0
    if command == "cycle":
        done = cycle(home, args)
        print("DONE" if done else "NOT DONE")
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
