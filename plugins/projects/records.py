"""Delivery projects and their task ledger (facts, assumptions, decisions, blockers, deliverables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from bot.api import IndexSpec, Record, Repository, SortCondition, TableSpec, Timestamp, format_time, new_id

if TYPE_CHECKING:
    from bot.api import Crewbot

PROJECTS = TableSpec(
    "projects",
    pk="project_id",
    indexes=(IndexSpec("by_name", pk="name"), IndexSpec("by_channel", pk="channel_id")),
    description="Delivery projects: SOW, phase, approvers, channel.",
)
TASK_LEDGER = TableSpec(
    "task_ledger",
    pk="project_id",
    sk="entry_id",  # entry_id = "<kind>#<timestamp>#<id>"
    description="A project's facts, assumptions, decisions, blockers and deliverables (PM writes, all read).",
)


class Project(Record):
    """A delivery project run by the crew in one Slack channel."""

    project_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    channel_id: str | None = None
    phase: str = "discovery"
    status: Literal["active", "awaiting_approval", "paused", "completed", "cancelled"] = "active"
    #: Slack user ids allowed to approve a phase gate.
    approvers: list[str] = Field(default_factory=list)
    #: What the statement of work says (objectives, scope, deliverables, constraints, ...).
    sow: dict[str, Any] = Field(default_factory=dict)
    created_by: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class ProjectRepository(Repository[Project]):
    """Projects by id, by name and by Slack channel."""

    model = Project
    spec = PROJECTS

    def get(self, project_id: str) -> Project | None:
        return self._get({"project_id": project_id})

    def by_name(self, name: str) -> list[Project]:
        """Projects with exactly this name (the store does not make names unique)."""
        return [self.load(item) for item in self.table.query_all(name, index="by_name")]

    def by_channel(self, channel_id: str) -> list[Project]:
        """Projects run in this channel."""
        return [self.load(item) for item in self.table.query_all(channel_id, index="by_channel")]

    def update(self, project_id: str, **changes: Any) -> Project:
        """Change some fields, re-reading and retrying if someone else writes meanwhile."""
        return self._update({"project_id": project_id}, lambda project: project.with_changes(**changes))


LedgerKind = Literal["fact", "assumption", "decision", "blocker", "deliverable"]
LEDGER_KINDS: tuple[str, ...] = ("fact", "assumption", "decision", "blocker", "deliverable")


class LedgerEntry(Record):
    """One line of a project's task ledger. ``entry_id`` is ``<kind>#<created_at>#<id>``, so a project's
    entries group by kind and, within a kind, sort by time."""

    project_id: str = Field(min_length=1)
    entry_id: str = ""
    kind: LedgerKind
    text: str = Field(min_length=1)
    author: str = Field(min_length=1)  # the agent (or person) who wrote it
    status: str | None = None  # e.g. a blocker's "open" / "resolved"
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @model_validator(mode="after")
    def _entry_id_matches_kind(self) -> LedgerEntry:
        if self.entry_id and not self.entry_id.startswith(f"{self.kind}#"):
            raise ValueError(f"ledger entry {self.entry_id!r} must start with its kind {self.kind!r}")
        return self


class LedgerRepository(Repository[LedgerEntry]):
    """A project's ledger, all of it or one kind, in time order."""

    model = LedgerEntry
    spec = TASK_LEDGER

    def add(self, project_id: str, kind: LedgerKind, text: str, author: str, **fields: Any) -> LedgerEntry:
        """Append an entry (a new id, stamped with the current time)."""
        now = self.now()
        entry = LedgerEntry(
            project_id=project_id,
            entry_id=f"{kind}#{format_time(now)}#{new_id()[:12]}",
            kind=kind,
            text=text,
            author=author,
            created_at=now,
            **fields,
        )
        return self.save(entry)

    def get(self, project_id: str, entry_id: str) -> LedgerEntry | None:
        return self._get({"project_id": project_id, "entry_id": entry_id})

    def for_project(self, project_id: str, kind: LedgerKind | None = None) -> list[LedgerEntry]:
        """The project's entries (of one ``kind``, or all grouped by kind), oldest first within a kind."""
        if kind is not None and kind not in LEDGER_KINDS:
            raise ValueError(f"unknown ledger kind {kind!r} (use one of {', '.join(LEDGER_KINDS)})")
        sort = SortCondition.begins_with(f"{kind}#") if kind else None
        return [self.load(item) for item in self.table.query_all(project_id, sort=sort)]

    def update(self, project_id: str, entry_id: str, **changes: Any) -> LedgerEntry:
        """Change an entry (say, resolve a blocker), retrying if someone else writes meanwhile."""
        return self._update(
            {"project_id": project_id, "entry_id": entry_id}, lambda entry: entry.with_changes(**changes)
        )


@dataclass(frozen=True)
class ProjectRecords:
    """The project repositories of one runtime: ``projects`` and the task ``ledger``."""

    projects: ProjectRepository
    ledger: LedgerRepository


def project_records(crewbot: Crewbot) -> ProjectRecords:
    """The runtime's project repositories (built once, times from the runtime's clock)."""

    def build() -> ProjectRecords:
        store, now = crewbot.store, crewbot.clock.now
        return ProjectRecords(
            ProjectRepository(store.table(PROJECTS), now), LedgerRepository(store.table(TASK_LEDGER), now)
        )

    return crewbot.service("projects.records", build)
