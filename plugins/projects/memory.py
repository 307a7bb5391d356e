"""Long-term memory of project delivery: facts, decisions and lessons that outlive a phase's Swarm session.

Short-term memory is each run's Strands session (the Swarm's session manager). Long-term memory is this:
at the end of every phase run the PM review extracts what is worth keeping (:func:`extract`: the PM agent
with a model, the ledger and lessons deterministically without one), stores it per project, and the next
phase gets the most relevant records of its own project and of the organisation's other projects in its
task (:func:`recall`); agents search it with ``search_memory``; people read it with ``/project memory``.

Two adapters behind one contract (:class:`LongTermMemory`, tested by one suite against both):

* :class:`SqliteMemory` — locally, a SQLite FTS5 index (BM25 ranking, Porter stemming) in
  ``<CREWBOT_HOME>/memory/long-term.sqlite3``;
* :class:`AgentCoreMemory` — in AWS, Amazon Bedrock AgentCore Memory (the ``bedrock-agentcore`` data plane):
  one record per memory in the namespace ``/projects/<project_id>/``, searched semantically by
  ``RetrieveMemoryRecords`` under ``/projects/`` (the organisation) or one project's namespace.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugins.projects.records import project_records

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

KINDS = ("fact", "decision", "lesson")
NAMESPACE_ROOT = "/projects/"


@dataclass(frozen=True)
class Memory:
    """One remembered fact, decision or lesson of a project."""

    project_id: str
    project: str
    kind: str
    text: str
    phase: str = ""
    created_at: str = ""
    record_id: str = ""
    score: float | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """A stable identifier of this memory in its project (the same text is remembered once)."""
        digest = hashlib.sha256(f"{self.kind}\n{' '.join(self.text.split()).lower()}".encode()).hexdigest()
        return f"{self.project_id}-{digest[:24]}"

    def line(self) -> str:
        origin = f"{self.project}, {self.phase}" if self.phase else self.project
        return f"[{self.kind}] {self.text} ({origin})"


class LongTermMemory(ABC):
    """The contract both adapters keep."""

    #: Why nothing is remembered, when this memory is switched off (shown by ``/project memory``).
    unavailable: str | None = None

    @abstractmethod
    def add(self, memories: Iterable[Memory]) -> int:
        """Store ``memories``; one already stored (same project, kind and text) is skipped. Returns how many
        were new."""

    @abstractmethod
    def search(self, query: str, *, project_id: str | None = None, limit: int = 5) -> list[Memory]:
        """The memories most relevant to ``query``, best first: of one project, or (``None``) of every project."""

    @abstractmethod
    def list(self, project_id: str) -> list[Memory]:
        """Every memory of a project, oldest first."""

    @abstractmethod
    def forget(self, project_id: str) -> int:
        """Delete every memory of a project; returns how many were deleted."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _terms(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2))


class SqliteMemory(LongTermMemory):
    """SQLite FTS5: one virtual table, ranked by BM25 over the text (Porter-stemmed)."""

    def __init__(self, path: Path | str, now: Callable[[], str] = _now):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        self._now = now
        with self._lock, self._db:
            self._db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS memory USING fts5("
                "record_id UNINDEXED, project_id UNINDEXED, project UNINDEXED, kind UNINDEXED, phase UNINDEXED, "
                "created_at UNINDEXED, text, tokenize='porter unicode61')"
            )

    _COLUMNS = "record_id, project_id, project, kind, phase, created_at, text"

    def _row(self, row: tuple[Any, ...], score: float | None = None) -> Memory:
        record_id, project_id, project, kind, phase, created_at, text = row[:7]
        return Memory(project_id, project, kind, text, phase, created_at, record_id, score)

    def add(self, memories: Iterable[Memory]) -> int:
        added = 0
        with self._lock, self._db:
            for memory in memories:
                key = memory.key
                if self._db.execute("SELECT 1 FROM memory WHERE record_id = ?", (key,)).fetchone():
                    continue
                self._db.execute(
                    f"INSERT INTO memory ({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        memory.project_id,
                        memory.project,
                        memory.kind,
                        memory.phase,
                        memory.created_at or self._now(),
                        memory.text,
                    ),
                )
                added += 1
        return added

    def search(self, query: str, *, project_id: str | None = None, limit: int = 5) -> list[Memory]:
        terms = _terms(query)
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = f"SELECT {self._COLUMNS}, bm25(memory) FROM memory WHERE memory MATCH ?"
        params: list[Any] = [match]
        if project_id is not None:
            sql += " AND project_id = ?"
            params.append(project_id)
        sql += " ORDER BY bm25(memory), created_at LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        # bm25() is lower for better matches; the contract's score is higher for better ones.
        return [self._row(row, round(-float(row[7]), 4)) for row in rows]

    def list(self, project_id: str) -> list[Memory]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM memory WHERE project_id = ? ORDER BY created_at, rowid", (project_id,)
            ).fetchall()
        return [self._row(row) for row in rows]

    def forget(self, project_id: str) -> int:
        with self._lock, self._db:
            return self._db.execute("DELETE FROM memory WHERE project_id = ?", (project_id,)).rowcount

    def close(self) -> None:
        self._db.close()


class AgentCoreMemory(LongTermMemory):
    """Amazon Bedrock AgentCore Memory (data plane ``bedrock-agentcore``), one namespace per project.

    Records are written with ``BatchCreateMemoryRecords`` (the memory's key as ``requestIdentifier``, the
    kind, phase and project as metadata), found with ``RetrieveMemoryRecords`` (semantic search; the namespace
    is a prefix, so ``/projects/`` searches the organisation), listed with ``ListMemoryRecords`` and deleted
    with ``BatchDeleteMemoryRecords``."""

    BATCH = 100

    def __init__(self, client: Any, memory_id: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.client = client
        self.memory_id = memory_id
        self._now = now

    @staticmethod
    def namespace(project_id: str) -> str:
        return f"{NAMESPACE_ROOT}{project_id}/"

    @staticmethod
    def _memory(summary: dict[str, Any]) -> Memory:
        meta = {k: (v or {}).get("stringValue", "") for k, v in (summary.get("metadata") or {}).items()}
        created = summary.get("timestamp") or summary.get("createdAt")
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(created, datetime) else ""
        return Memory(
            project_id=meta.get("project_id", ""),
            project=meta.get("project", ""),
            kind=meta.get("kind", "fact"),
            text=str((summary.get("content") or {}).get("text", "")),
            phase=meta.get("phase", ""),
            created_at=stamp,
            record_id=str(summary.get("memoryRecordId", "")),
            score=summary.get("score"),
        )

    def _pages(self, operation: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = getattr(self.client, operation)(memoryId=self.memory_id, **params)
            found.extend(page.get("memoryRecordSummaries") or [])
            token = page.get("nextToken")
            if not token:
                return found
            params["nextToken"] = token

    def add(self, memories: Iterable[Memory]) -> int:
        wanted: dict[str, Memory] = {}
        for memory in memories:
            wanted.setdefault(memory.key, memory)
        if not wanted:
            return 0
        known: dict[str, set[str]] = {}
        fresh = []
        for key, memory in wanted.items():
            if memory.project_id not in known:
                known[memory.project_id] = {m.kind + "\n" + m.text for m in self.list(memory.project_id)}
            if memory.kind + "\n" + memory.text not in known[memory.project_id]:
                fresh.append((key, memory))
        added = 0
        for start in range(0, len(fresh), self.BATCH):
            chunk = fresh[start : start + self.BATCH]
            response = self.client.batch_create_memory_records(
                memoryId=self.memory_id,
                records=[
                    {
                        "requestIdentifier": key,
                        "namespaces": [self.namespace(memory.project_id)],
                        "content": {"text": memory.text[:16000]},
                        "timestamp": self._now(),
                        "metadata": {
                            name: {"stringValue": value[:256]}
                            for name, value in (
                                ("project_id", memory.project_id),
                                ("project", memory.project),
                                ("kind", memory.kind),
                                ("phase", memory.phase),
                            )
                            if value
                        },
                    }
                    for key, memory in chunk
                ],
            )
            for failed in response.get("failedRecords") or []:
                logger.warning(
                    "AgentCore refused memory %s: %s", failed.get("requestIdentifier"), failed.get("errorMessage")
                )
            added += len(response.get("successfulRecords") or [])
        return added

    def search(self, query: str, *, project_id: str | None = None, limit: int = 5) -> list[Memory]:
        if not query.strip():
            return []
        summaries = (
            self.client.retrieve_memory_records(
                memoryId=self.memory_id,
                namespace=self.namespace(project_id) if project_id else NAMESPACE_ROOT,
                searchCriteria={"searchQuery": query[:10000], "topK": max(1, min(limit, 100))},
                maxResults=max(1, min(limit, 100)),
            ).get("memoryRecordSummaries")
            or []
        )
        found = [self._memory(s) for s in summaries]
        return sorted(found, key=lambda m: -(m.score or 0.0))[:limit]

    def list(self, project_id: str) -> list[Memory]:
        found = [self._memory(s) for s in self._pages("list_memory_records", namespace=self.namespace(project_id))]
        return sorted(found, key=lambda m: m.created_at)

    def forget(self, project_id: str) -> int:
        ids = [m.record_id for m in self.list(project_id)]
        deleted = 0
        for start in range(0, len(ids), self.BATCH):
            response = self.client.batch_delete_memory_records(
                memoryId=self.memory_id,
                records=[{"memoryRecordId": record_id} for record_id in ids[start : start + self.BATCH]],
            )
            deleted += len(response.get("successfulRecords") or [])
        return deleted


class UnconfiguredMemory(LongTermMemory):
    """Long-term memory switched off, with the reason: in AWS without an AgentCore Memory, where a local
    index would live in one Lambda container's /tmp and be lost with it."""

    def __init__(self, reason: str):
        self.unavailable = reason
        self._warned = False

    def add(self, memories: Iterable[Memory]) -> int:
        if not self._warned:
            logger.warning("long-term memory not kept: %s", self.unavailable)
            self._warned = True
        return 0

    def search(self, query: str, *, project_id: str | None = None, limit: int = 5) -> list[Memory]:
        return []

    def list(self, project_id: str) -> list[Memory]:
        return []

    def forget(self, project_id: str) -> int:
        return 0


NO_MEMORY_IN_AWS = (
    "long-term memory is off in this deployment: it needs an Amazon Bedrock AgentCore Memory — set "
    "plugins.settings.projects.memory.memory_id to its id (docs/projects.md)"
)


def memory_of(crewbot: Crewbot) -> LongTermMemory:
    """The runtime's long-term memory (one per runtime), as ``plugins.settings.projects.memory`` says."""
    return crewbot.service("projects.memory", lambda: _open_memory(crewbot))


def _open_memory(crewbot: Crewbot) -> LongTermMemory:
    from plugins.projects.service import project_service

    settings = project_service(crewbot).settings.memory
    backend = settings.backend
    if backend == "auto":
        backend = "agentcore" if crewbot.config.runtime == "aws" and settings.memory_id else "local"
    memory: LongTermMemory
    if backend == "local" and crewbot.config.runtime == "aws":
        # A Lambda's home is its container's /tmp: an index there would be lost at the next cold start.
        return UnconfiguredMemory(NO_MEMORY_IN_AWS)
    if backend == "agentcore":
        import boto3

        client = boto3.client("bedrock-agentcore", region_name=settings.region or crewbot.config.aws.region)
        memory = AgentCoreMemory(client, str(settings.memory_id))
    else:
        memory = SqliteMemory(crewbot.home / "memory" / "long-term.sqlite3", now=lambda: _stamp(crewbot))
    return memory


def _stamp(crewbot: Crewbot) -> str:
    return crewbot.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- extraction and recall -------------------------------------------------------------------------------


EXTRACT_PROMPT = (
    "The {title} phase of {project} has ended. Read the task ledger and list what a later phase or a later "
    "project should remember: facts about the customer and the system, decisions and why, lessons. One short, "
    "self-contained sentence each; at most 12; nothing that is only true of this attempt."
)


def remember_phase(crewbot: Crewbot, project: Any, phase: str) -> int:
    """Extract and store what the phase (all its attempts so far) leaves for later; returns how many were new."""
    from plugins.projects.service import project_service

    runs = project_service(crewbot).items.runs(project.project_id, phase)
    since = str(runs[0].get("started_at", "")) if runs else ""
    try:
        return memory_of(crewbot).add(extract(crewbot, project, phase, since))
    except Exception as exc:  # the phase is done either way; what it leaves is in the ledger too
        logger.warning("could not store the memories of %s (%s): %s", project.project_id, phase, exc)
        return 0


def extract(crewbot: Crewbot, project: Any, phase: str, since: str) -> list[Memory]:
    """What the phase leaves for later: by the PM agent when a model is configured, else (or if that fails)
    deterministically — the ledger's facts, assumptions and decisions of this phase and the lessons recorded."""
    found = _extract_with_model(crewbot, project, phase)
    return found if found is not None else extract_offline(crewbot, project, phase, since)


def extract_offline(crewbot: Crewbot, project: Any, phase: str, since: str) -> list[Memory]:
    from plugins.projects.crew import PHASES
    from plugins.projects.service import project_service

    title = PHASES[phase].title
    found: list[Memory] = []
    for entry in project_records(crewbot).ledger.for_project(project.project_id):
        if entry.kind not in ("fact", "assumption", "decision"):
            continue
        if entry.data.get("type") == "approval":
            continue  # "Customer approved …" is in the metrics, not worth recalling
        created = entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if entry.created_at else ""
        if created < since:
            continue
        kind = "decision" if entry.kind == "decision" else "fact"
        found.append(Memory(project.project_id, project.name, kind, entry.text, title))
    for lesson in project_service(crewbot).items.lessons(project.project_id):
        found.append(Memory(project.project_id, project.name, "lesson", str(lesson["text"]), title))
    return found


def _extract_with_model(crewbot: Crewbot, project: Any, phase: str) -> list[Memory] | None:
    agents = crewbot.agents
    spec = agents.registry.get("pm")
    if agents.models.resolve(spec.model).chain == ("offline",):
        return None
    from pydantic import BaseModel, Field
    from strands import Agent

    from plugins.projects.crew import PHASES

    class Item(BaseModel):
        kind: str = Field(description="fact, decision or lesson")
        text: str

    class Extracted(BaseModel):
        memories: list[Item] = Field(default_factory=list)

    try:
        model, _ = agents.models.build(spec.model)
        agent = Agent(model=model, system_prompt=spec.system_prompt, callback_handler=None, name="pm")
        context = _ledger_text(crewbot, project)
        prompt = EXTRACT_PROMPT.format(title=PHASES[phase].title, project=project.name) + "\n\n" + context
        result = agent(prompt, structured_output_model=Extracted)
        extracted = result.structured_output
    except Exception as exc:  # the deterministic extraction still remembers the ledger
        logger.warning("memory extraction by the PM failed for %s (%s): %s", project.project_id, phase, exc)
        return None
    if not isinstance(extracted, Extracted):
        return None
    title = PHASES[phase].title
    return [
        Memory(project.project_id, project.name, m.kind if m.kind in KINDS else "fact", m.text.strip()[:2000], title)
        for m in extracted.memories[:12]
        if m.text.strip()
    ]


def _ledger_text(crewbot: Crewbot, project: Any) -> str:
    lines = []
    for entry in project_records(crewbot).ledger.for_project(project.project_id):
        if entry.kind in ("fact", "assumption", "decision", "blocker"):
            lines.append(f"- {entry.kind}: {entry.text}")
    return "Task ledger:\n" + "\n".join(lines[-80:])


def recall(crewbot: Crewbot, project: Any, query: str) -> list[Memory]:
    """For a phase's task: this project's most relevant memories (its most recent ones when nothing matches),
    then the most relevant of the organisation's other projects (``memory.recall`` / ``recall_shared``)."""
    from plugins.projects.service import project_service

    settings = project_service(crewbot).settings.memory
    limit, shared = settings.recall, settings.recall_shared
    memory = memory_of(crewbot)
    try:
        own = memory.search(query, project_id=project.project_id, limit=limit)
        if not own:
            own = memory.list(project.project_id)[-limit:]
        others = [m for m in memory.search(query, limit=limit + shared) if m.project_id != project.project_id]
    except Exception as exc:  # a phase runs without memory rather than not at all
        logger.warning("long-term memory is unavailable (%s); the phase runs without it", exc)
        return []
    return [*own, *others[:shared]]
