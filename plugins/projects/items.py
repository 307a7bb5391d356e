"""What a project keeps besides its record and ledger: phase runs, approval gates, customer questions,
lessons — one table, ``project_items``, keyed by project and ``<kind>#...`` — and the pattern library.

Items are plain table items (dicts) written with the store's optimistic concurrency: a gate is decided
by a conditional write from ``pending``, so two approvers pressing at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.api import ConflictError, IndexSpec, Item, SortCondition, Table, TableSpec, format_time, new_id

PROJECT_ITEMS = TableSpec(
    # item_id = run#<phase>#<attempt> | gate#<at>#<id> | recovery#<at>#<id> | question#<id> | lesson#<at>#<id>
    "project_items",
    pk="project_id",
    sk="item_id",
    description="A project's phase runs (usage per agent), approval gates, customer questions and lessons.",
)
PATTERNS = TableSpec(
    "patterns",
    pk="library",
    sk="pattern_id",
    indexes=(IndexSpec("by_tier", pk="tier", sk="pattern_id"),),
    description="The pattern library: reusable artifacts contributed by projects, their uses and success rate.",
)


class AlreadyDecided(Exception):
    """The gate (or question) was already decided; the message says by whom and when."""


class ProjectItems:
    """Typed access to one store's ``project_items`` table."""

    def __init__(self, table: Table, now: Callable[[], datetime]):
        self.table = table
        self.now = now

    def stamp(self) -> str:
        return format_time(self.now())

    def get(self, project_id: str, item_id: str) -> Item | None:
        return self.table.get({"project_id": project_id, "item_id": item_id})

    def of_kind(self, project_id: str, kind: str) -> list[Item]:
        return self.table.query_all(project_id, sort=SortCondition.begins_with(f"{kind}#"))

    def update(self, project_id: str, item_id: str, **changes: Any) -> Item:
        def change(item: Item) -> Item:
            item.update(changes, updated_at=self.stamp())
            return item

        return self.table.mutate({"project_id": project_id, "item_id": item_id}, change)

    # -- runs ----------------------------------------------------------------------------------

    def runs(self, project_id: str, phase: str | None = None) -> list[Item]:
        return self.of_kind(project_id, f"run#{phase}" if phase else "run")

    def new_run(self, project_id: str, phase: str, token: str, feedback: list[str]) -> Item:
        for _ in range(5):
            attempt = len(self.runs(project_id, phase)) + 1
            try:
                return self.table.create(
                    {
                        "project_id": project_id,
                        "item_id": f"run#{phase}#{attempt:03d}",
                        "phase": phase,
                        "attempt": attempt,
                        "status": "running",
                        "token": token,
                        "feedback": feedback,
                        "session_id": f"project-{project_id}-{phase}-{attempt}",
                        "usage": {},
                        "node_history": [],
                        "patterns_used": [],
                        "started_at": self.stamp(),
                    }
                )
            except ConflictError:
                continue  # another attempt was created meanwhile: take the next number
        raise ConflictError(f"could not number a new {phase} run of project {project_id}")

    # -- gates ---------------------------------------------------------------------------------

    def new_gate(self, project_id: str, phase: str, attempt: int, token: str, review: dict[str, Any]) -> Item:
        return self.table.create(
            {
                "project_id": project_id,
                "item_id": f"gate#{format_time(self.now())}#{new_id()[:8]}",
                "phase": phase,
                "attempt": attempt,
                "status": "pending",
                "token": token,
                "review": review,
                "created_at": self.stamp(),
            }
        )

    def gates(self, project_id: str) -> list[Item]:
        """The project's gates in the order they were asked for (stored times have whole seconds, so gates of
        one second are put in phase and attempt order rather than by their random id)."""
        return sorted(self.of_kind(project_id, "gate"), key=chronological)

    def decide_gate(self, project_id: str, gate_id: str, decision: str, user_id: str, **detail: Any) -> Item:
        """Move a pending gate to ``decision`` (``approved`` / ``revised``), once: :class:`AlreadyDecided` else."""
        for _ in range(5):
            gate = self.get(project_id, gate_id)
            if gate is None:
                raise AlreadyDecided("this approval request no longer exists")
            if gate.get("status") != "pending":
                raise AlreadyDecided(_decided_text(gate))
            updated = {**gate, **detail, "status": decision, "decided_by": user_id, "decided_at": self.stamp()}
            try:
                return self.table.put(updated, expected_version=gate["version"])
            except ConflictError:
                continue
        raise AlreadyDecided("this approval request is being decided by someone else right now")

    def new_recovery(self, project_id: str, phase: str, token: str, cause: str) -> Item:
        """A failed phase waiting for Retry or Stop (decided once, like a gate)."""
        return self.table.create(
            {
                "project_id": project_id,
                "item_id": f"recovery#{format_time(self.now())}#{new_id()[:8]}",
                "phase": phase,
                "status": "pending",
                "token": token,
                "cause": cause,
                "created_at": self.stamp(),
            }
        )

    def recoveries(self, project_id: str) -> list[Item]:
        return sorted(self.of_kind(project_id, "recovery"), key=chronological)

    # -- questions -----------------------------------------------------------------------------

    def new_question(
        self, project_id: str, run_item: str, phase: str, agent: str, interrupt_id: str, question: str
    ) -> Item:
        return self.table.create(
            {
                "project_id": project_id,
                "item_id": f"question#{new_id()[:12]}",
                "run_item": run_item,
                "phase": phase,
                "agent": agent,
                "interrupt_id": interrupt_id,
                "question": question,
                "status": "open",
                "created_at": self.stamp(),
            }
        )

    def questions(self, project_id: str) -> list[Item]:
        """The project's questions, oldest first."""
        return sorted(self.of_kind(project_id, "question"), key=chronological)

    def open_questions(self, project_id: str) -> list[Item]:
        return [q for q in self.questions(project_id) if q.get("status") == "open"]

    def close_question(self, project_id: str, question_id: str, status: str) -> Item | None:
        """Close an open question without an answer (``superseded`` by a new attempt); ``None`` if it was not open."""
        closed: list[Item] = []

        def change(item: Item) -> Item | None:
            if item.get("status") != "open":
                return None
            closed.append(item)
            return {**item, "status": status, "closed_at": self.stamp()}

        self.table.mutate({"project_id": project_id, "item_id": question_id}, change)
        return closed[0] if closed else None

    def answer_question(self, project_id: str, question_id: str, answer: str, user_id: str) -> Item:
        for _ in range(5):
            question = self.get(project_id, question_id)
            if question is None:
                raise AlreadyDecided("this question no longer exists")
            if question.get("status") != "open":
                raise AlreadyDecided(f"this question was already answered by <@{question.get('answered_by')}>")
            updated = {
                **question,
                "status": "answered",
                "answer": answer,
                "answered_by": user_id,
                "answered_at": self.stamp(),
            }
            try:
                return self.table.put(updated, expected_version=question["version"])
            except ConflictError:
                continue
        raise AlreadyDecided("this question is being answered by someone else right now")

    # -- lessons -------------------------------------------------------------------------------

    def add_lesson(self, project_id: str, text: str, category: str, author: str) -> Item:
        return self.table.create(
            {
                "project_id": project_id,
                "item_id": f"lesson#{self.stamp()}#{new_id()[:8]}",
                "text": text,
                "category": category,
                "author": author,
                "created_at": self.stamp(),
            }
        )

    def lessons(self, project_id: str) -> list[Item]:
        return self.of_kind(project_id, "lesson")


def chronological(item: Item) -> tuple[str, int, int, str]:
    """Sort key of gates, recoveries and questions: creation time, then phase order, then attempt."""
    from plugins.projects.crew import PHASE_ORDER

    phase = str(item.get("phase", ""))
    return (
        str(item.get("created_at", "")),
        PHASE_ORDER.index(phase) if phase in PHASE_ORDER else len(PHASE_ORDER),
        int(item.get("attempt") or 0),
        str(item.get("seq", "")),
    )


def _decided_text(gate: Item) -> str:
    status = gate.get("status")
    if status == "expired":
        return "this approval request is out of date: the phase moved on"
    verb = {"approved": "approved", "revised": "sent back for revision", "retry": "retried", "stop": "stopped"}.get(
        str(status), str(status)
    )
    return f"already decided: {verb} by <@{gate.get('decided_by')}> at {gate.get('decided_at')}"
