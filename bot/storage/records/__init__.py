"""Typed records over the store, one repository per table: ``crewbot.records.users.get(...)``.

Each repository wraps a :class:`~bot.storage.base.Table` and speaks pydantic models; saves are
optimistic (see :mod:`bot.storage.records.base`).
"""

from __future__ import annotations

from functools import cached_property

from bot.storage.base import Store
from bot.storage.records.audit import AuditEntry, AuditRepository
from bot.storage.records.base import (
    Now,
    Record,
    RecordPage,
    Repository,
    Timestamp,
    format_time,
    new_id,
    parse_time,
    system_now,
)
from bot.storage.records.chat_sessions import ChatSession, ChatSessionRepository
from bot.storage.records.meetings import (
    NO_DUE,
    ActionItem,
    ActionItemRepository,
    Attendee,
    Meeting,
    MeetingRepository,
    external_key,
)
from bot.storage.records.users import User, UserRepository


class Repositories:
    """Every repository of one store, built on first use; times come from ``now`` (the runtime clock)."""

    def __init__(self, store: Store, now: Now = system_now):
        self.store = store
        self._now = now

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.store.table(UserRepository.spec), self._now)

    @cached_property
    def chat_sessions(self) -> ChatSessionRepository:
        return ChatSessionRepository(self.store.table(ChatSessionRepository.spec), self._now)

    @cached_property
    def meetings(self) -> MeetingRepository:
        return MeetingRepository(self.store.table(MeetingRepository.spec), self._now)

    @cached_property
    def action_items(self) -> ActionItemRepository:
        return ActionItemRepository(self.store.table(ActionItemRepository.spec), self._now)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.store.table(AuditRepository.spec), self._now)


__all__ = [
    "NO_DUE",
    "ActionItem",
    "ActionItemRepository",
    "Attendee",
    "AuditEntry",
    "AuditRepository",
    "ChatSession",
    "ChatSessionRepository",
    "Meeting",
    "MeetingRepository",
    "Record",
    "RecordPage",
    "Repositories",
    "Repository",
    "Timestamp",
    "User",
    "UserRepository",
    "external_key",
    "format_time",
    "new_id",
    "parse_time",
    "system_now",
]
