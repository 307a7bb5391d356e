"""The audit log: who did what, to what, and when (approvals, admin actions, access decisions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from bot.storage.base import SortCondition
from bot.storage.records.base import Record, Repository, Timestamp, format_time, new_id
from bot.storage.tables import AUDIT_LOG


class AuditEntry(Record):
    """One audited action. ``scope`` groups entries (``project#<id>``, ``user#<id>``, ``admin``)."""

    scope: str = Field(min_length=1)
    entry_id: str = Field(min_length=1)  # "<at>#<id>": time order within a scope
    actor: str = Field(min_length=1)
    action: str = Field(min_length=1)
    target: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)
    at: Timestamp


def _window(since: datetime | None, until: datetime | None, suffix: str) -> SortCondition | None:
    # Sort keys start with the time; "~" sorts after "#<id>", so ``until`` includes that whole second.
    low = format_time(since) if since is not None else None
    high = format_time(until) + suffix if until is not None else None
    if low and high:
        return SortCondition.between(low, high)
    if low:
        return SortCondition("gte", low)
    if high:
        return SortCondition("lte", high)
    return None


class AuditRepository(Repository[AuditEntry]):
    """Append-only: :meth:`record` writes, the queries read by scope or by actor."""

    model = AuditEntry
    spec = AUDIT_LOG

    def record(self, scope: str, actor: str, action: str, target: str = "", **detail: Any) -> AuditEntry:
        """Append an entry stamped with the current time."""
        now = self.now()
        entry = AuditEntry(
            scope=scope,
            entry_id=f"{format_time(now)}#{new_id()[:12]}",
            actor=actor,
            action=action,
            target=target,
            detail=detail,
            at=now,
        )
        return self.save(entry)

    def for_scope(
        self,
        scope: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[AuditEntry]:
        """Entries of ``scope`` between ``since`` and ``until`` (inclusive), newest first by default."""
        sort = _window(since, until, "~")
        if limit is None:
            items = self.table.query_all(scope, sort=sort, descending=newest_first)
        else:
            items = self.table.query(scope, sort=sort, limit=limit, descending=newest_first).items
        return [self.load(item) for item in items]

    def by_actor(
        self,
        actor: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[AuditEntry]:
        """What ``actor`` did between ``since`` and ``until`` (inclusive), newest first by default."""
        sort = _window(since, until, "")
        if limit is None:
            items = self.table.query_all(actor, index="by_actor", sort=sort, descending=newest_first)
        else:
            items = self.table.query(actor, index="by_actor", sort=sort, limit=limit, descending=newest_first).items
        return [self.load(item) for item in items]
