"""Task handlers the workflow tests run on both interpreters (local runner and moto)."""

from __future__ import annotations

import threading
from typing import Any

from bot.workflows.tasks import TaskContext, TaskFailure, TaskRegistry, WorkflowTask


class FlakyError(Exception):
    """Raised by the Flaky task until it has failed ``fail_times`` times for a key."""


class Inbox:
    """Where callback handlers leave their tokens for the test to answer (thread-safe: moto calls
    handlers from its execution threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.attempts: dict[str, int] = {}

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            items, self.items = self.items, []
            return items

    def put(self, token: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self.items.append((token, payload))

    def attempt(self, key: str) -> int:
        with self._lock:
            self.attempts[key] = self.attempts.get(key, 0) + 1
            return self.attempts[key]


def make_tasks(inbox: Inbox) -> TaskRegistry:
    def add(payload: dict[str, Any], ctx: TaskContext) -> int:
        return int(payload["a"]) + int(payload["b"])

    def flaky(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        attempt = inbox.attempt(payload["key"])
        if attempt <= payload["fail_times"]:
            raise FlakyError(f"attempt {attempt} failed")
        return {"attempts": attempt}

    def boom(payload: Any, ctx: TaskContext) -> None:
        raise TaskFailure("Custom.Boom", "it broke")

    def echo(payload: Any, ctx: TaskContext) -> Any:
        return payload

    def ask(payload: dict[str, Any], ctx: TaskContext) -> None:
        inbox.put(payload["taskToken"], payload)

    return TaskRegistry(
        ("tests", WorkflowTask(name, fn))
        for name, fn in (("Add", add), ("Flaky", flaky), ("Boom", boom), ("Echo", echo), ("Ask", ask))
    )
