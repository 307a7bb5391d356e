"""Orchestration and worker state: who asked what, which delegations are out, which results came back.

Three tables (DynamoDB in AWS, SQLite locally), all written with optimistic concurrency
(``Table.mutate`` / ``Table.create``, i.e. conditional writes), because completions arrive from
parallel workers, possibly twice and in any order:

* ``orchestrations`` — one record per Supervisor orchestration: the user, the Slack thread, the
  Supervisor's session, status, the current round, the progress message, the answer.
* ``worker_state`` — per orchestration (partition), one record per delegation (``d#<id>``: agent,
  task, status, result) and one per delegation *round* (``r#<n>``: the delegations the Supervisor's
  model made in one turn, expected vs received). A result is counted once: the delegation record
  flips from ``pending`` to ``done`` with a conditional write, and only that writer adds it to the
  round. The writer that completes a sealed round claims ``emitted`` (conditionally) and is the only
  one to publish ``task.completion``.
* ``agent_configs`` — see :mod:`plugins.supervisor.fabricator`.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.api import ConflictError, IndexSpec, NotFoundError, Table, TableSpec

ORCHESTRATIONS = TableSpec(
    "orchestrations",
    pk="orchestration_id",
    indexes=(
        IndexSpec("by_user", pk="user_id", sk="created_at"),  # /crewbot orchestrations
        IndexSpec("by_status", pk="status", sk="updated_at"),  # the sweep: waiting ones past their deadline
    ),
    ttl="expires_at",
    description="Supervisor orchestrations: the question, the Slack thread, status, rounds, answer.",
)
WORKER_STATE = TableSpec(
    "worker_state",
    pk="orchestration_id",
    sk="key",  # d#<delegation id> or r#<round>
    ttl="expires_at",
    description="Supervisor delegations and rounds: expected vs received results, counted once each.",
)

#: Orchestration statuses. ``waiting``: delegations are out; ``running``: the Supervisor is thinking.
RUNNING, WAITING, COMPLETED, FAILED = "running", "waiting", "completed", "failed"
#: How long orchestration records are kept.
KEEP = timedelta(days=30)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def round_key(number: int) -> str:
    return f"r#{number:04d}"


def delegation_key(delegation_id: str) -> str:
    return f"d#{delegation_id}"


@dataclass
class Completion:
    """What recording a result did: whether it counted, and whether it completed its round."""

    counted: bool
    round_complete: bool = False
    round: int = 0


class OrchestrationState:
    """The three record kinds over the two tables, with the conditional transitions the flow needs."""

    def __init__(self, orchestrations: Table, workers: Table, now: Any):
        self.orchestrations = orchestrations
        self.workers = workers
        self.now = now

    # -- orchestrations ----------------------------------------------------------------------------

    def create(self, **fields: Any) -> dict[str, Any]:
        now = self.now()
        item = {
            "orchestration_id": new_id("orch"),
            "status": RUNNING,
            "round": 0,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "expires_at": int((now + KEEP).timestamp()),
            "contributors": [],
            **fields,
        }
        return self.orchestrations.create(item)

    def get(self, orchestration_id: str) -> dict[str, Any] | None:
        return self.orchestrations.get({"orchestration_id": orchestration_id})

    def update(self, orchestration_id: str, **fields: Any) -> dict[str, Any]:
        def change(item: dict[str, Any]) -> dict[str, Any]:
            return {**item, **fields, "updated_at": self.now().isoformat()}

        return self.orchestrations.mutate({"orchestration_id": orchestration_id}, change)

    def claim_resume(self, orchestration_id: str, number: int) -> bool:
        """Move a waiting orchestration's round ``number`` to running; False if someone else did (a
        duplicate ``task.completion``) or the orchestration moved on."""
        claimed = False

        def change(item: dict[str, Any]) -> dict[str, Any] | None:
            nonlocal claimed
            claimed = False
            if item.get("status") != WAITING or int(item.get("round", 0)) != number:
                return None
            claimed = True
            return {**item, "status": RUNNING, "updated_at": self.now().isoformat()}

        try:
            self.orchestrations.mutate({"orchestration_id": orchestration_id}, change)
        except NotFoundError:
            return False
        return claimed

    def for_user(self, user_id: str, limit: int = 10) -> list[dict[str, Any]]:
        return self.orchestrations.query(user_id, index="by_user", descending=True, limit=limit).items

    def with_status(self, status: str) -> list[dict[str, Any]]:
        return self.orchestrations.query_all(status, index="by_status")

    # -- delegations and rounds --------------------------------------------------------------------

    def add_delegation(
        self, orchestration_id: str, number: int, delegation_id: str, agent: str, task: str
    ) -> dict[str, Any] | None:
        """Record a delegation of round ``number``; ``None`` when it exists already (a re-run tool)."""
        try:
            return self.workers.create(
                {
                    "orchestration_id": orchestration_id,
                    "key": delegation_key(delegation_id),
                    "delegation_id": delegation_id,
                    "round": number,
                    "agent": agent,
                    "task": task,
                    "status": "pending",
                    "created_at": self.now().isoformat(),
                    "expires_at": int((self.now() + KEEP).timestamp()),
                }
            )
        except ConflictError:
            return None

    def delegation(self, orchestration_id: str, delegation_id: str) -> dict[str, Any] | None:
        return self.workers.get({"orchestration_id": orchestration_id, "key": delegation_key(delegation_id)})

    def delegations(self, orchestration_id: str) -> list[dict[str, Any]]:
        found = [d for d in self.workers.query_all(orchestration_id) if d["key"].startswith("d#")]
        return sorted(found, key=lambda d: (int(d.get("round", 0)), d["agent"], d["key"]))  # stable for display

    def seal_round(self, orchestration_id: str, number: int, expected: dict[str, str]) -> Completion:
        """Close round ``number`` with the delegations it expects (delegation id → interrupt id)."""
        item = {
            "orchestration_id": orchestration_id,
            "key": round_key(number),
            "round": number,
            "expected": expected,
            "received": [],
            "emitted": False,
            "created_at": self.now().isoformat(),
            "expires_at": int((self.now() + KEEP).timestamp()),
        }
        with contextlib.suppress(ConflictError):  # sealed already (a retried turn): the first seal stands
            self.workers.create(item)
        # Results that arrived before the seal (fast workers) are counted now.
        for delegation_id in expected:
            done = self.delegation(orchestration_id, delegation_id)
            if done is not None and done.get("status") in ("done", "error"):
                self._receive(orchestration_id, number, delegation_id)
        return self._claim_emit(orchestration_id, number)

    def round(self, orchestration_id: str, number: int) -> dict[str, Any] | None:
        return self.workers.get({"orchestration_id": orchestration_id, "key": round_key(number)})

    def record_result(
        self, orchestration_id: str, delegation_id: str, status: str, result: str, **extra: Any
    ) -> Completion:
        """Store a delegation's result (``done`` or ``error``) exactly once and count it in its round."""
        counted = False

        def change(item: dict[str, Any]) -> dict[str, Any] | None:
            nonlocal counted
            counted = False
            if item.get("status") != "pending":
                return None  # a duplicate or late completion: the first result stands
            counted = True
            return {**item, **extra, "status": status, "result": result, "finished_at": self.now().isoformat()}

        try:
            record = self.workers.mutate(
                {"orchestration_id": orchestration_id, "key": delegation_key(delegation_id)}, change
            )
        except NotFoundError:
            return Completion(False)
        if not counted:
            return Completion(False, round=int(record.get("round", 0)))
        number = int(record["round"])
        if self.round(orchestration_id, number) is None:
            return Completion(True, round=number)  # out of order: the round is not sealed yet
        self._receive(orchestration_id, number, delegation_id)
        completion = self._claim_emit(orchestration_id, number)
        return Completion(True, completion.round_complete, number)

    def _receive(self, orchestration_id: str, number: int, delegation_id: str) -> None:
        def change(item: dict[str, Any]) -> dict[str, Any] | None:
            if delegation_id in item["received"] or delegation_id not in item["expected"]:
                return None
            return {**item, "received": [*item["received"], delegation_id]}

        self.workers.mutate({"orchestration_id": orchestration_id, "key": round_key(number)}, change)

    def _claim_emit(self, orchestration_id: str, number: int) -> Completion:
        """Claim the right to announce round ``number`` complete: true for exactly one caller."""
        claimed = False

        def change(item: dict[str, Any]) -> dict[str, Any] | None:
            nonlocal claimed
            claimed = False
            if item["emitted"] or set(item["expected"]) - set(item["received"]):
                return None
            claimed = True
            return {**item, "emitted": True, "emitted_at": self.now().isoformat()}

        self.workers.mutate({"orchestration_id": orchestration_id, "key": round_key(number)}, change)
        return Completion(True, claimed, number)


def past(deadline: str | None, now: datetime) -> bool:
    return bool(deadline) and datetime.fromisoformat(str(deadline)) <= now
