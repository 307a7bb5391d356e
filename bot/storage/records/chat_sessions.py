"""Metadata of agent conversations, one per Slack thread (the history itself is in the sessions blobs)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from bot.storage.records.base import Record, Repository, Timestamp
from bot.storage.tables import CHAT_SESSIONS

#: How long an idle conversation's metadata is kept before its TTL expires it.
DEFAULT_KEEP = timedelta(days=30)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ChatSession(Record):
    """One conversation between a user and an agent."""

    session_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    agent: str = ""
    channel_id: str | None = None
    thread_ts: str | None = None
    #: ``reset`` sessions were retired by the user; the conversation goes on in ``successor``.
    state: Literal["active", "completed", "expired", "reset"] = "active"
    successor: str | None = None
    message_count: int = Field(default=0, ge=0)
    last_message: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    #: Epoch seconds after which the store treats the record as gone (DynamoDB TTL).
    expires_at: int | None = None

    @staticmethod
    def id_for_thread(channel_id: str, thread_ts: str) -> str:
        """The session id of a Slack thread: stable, and safe as a blob key segment."""
        return _UNSAFE.sub("_", f"{channel_id}-{thread_ts}")


class ChatSessionRepository(Repository[ChatSession]):
    """Sessions by id and a user's sessions, newest first."""

    model = ChatSession
    spec = CHAT_SESSIONS

    def get(self, session_id: str) -> ChatSession | None:
        return self._get({"session_id": session_id})

    def for_user(self, user_id: str, limit: int | None = 20) -> list[ChatSession]:
        """The user's live sessions, most recently updated first."""
        if limit is None:
            items = self.table.query_all(user_id, index="by_user", descending=True)
        else:
            items = self.table.query(user_id, index="by_user", descending=True, limit=limit).items
        return [self.load(item) for item in items]

    def expiry(self, keep: timedelta = DEFAULT_KEEP) -> int:
        """The ``expires_at`` of a session touched now and kept for ``keep``."""
        return int((self.now() + keep).timestamp())

    def record_message(self, session_id: str, text: str, keep: timedelta = DEFAULT_KEEP) -> ChatSession:
        """Count one more message, remember it (first 500 characters) and push the expiry out."""

        def change(session: ChatSession) -> ChatSession:
            return session.with_changes(
                message_count=session.message_count + 1, last_message=text[:500], expires_at=self.expiry(keep)
            )

        return self._update({"session_id": session_id}, change)

    def update(self, session_id: str, **changes: Any) -> ChatSession:
        """Change some fields, re-reading and retrying if someone else writes meanwhile."""
        return self._update({"session_id": session_id}, lambda session: session.with_changes(**changes))
