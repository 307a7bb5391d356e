"""Agent sessions: where a conversation's history lives, its metadata, and one turn at a time per session.

* History: one Strands session per conversation (a Slack thread). Locally Strands'
  ``FileSessionManager`` under ``<home>/sessions``; in AWS ``S3SessionManager`` in the ``sessions``
  bucket. Each agent in a session keeps its own history (Strands ``agent_id`` = agent name).
* Metadata: a ``chat_sessions`` record per session (user, agent, state, message count, last message,
  tokens, timestamps, TTL), queryable by user through the ``by_user`` index.
* Reset: ``/crewbot reset`` marks the session ``reset`` and names a successor; the next message of the
  conversation starts the successor, while the old history stays stored.
* Roll-over: a conversation idle for the agent's ``conversation.fresh_after_idle_hours``, or whose
  session has used the agent's ``budget.tokens_per_session``, continues in a successor session the same
  way (:meth:`ChatSessions.roll_over`), carrying a short summary of what was asked before — so a DM
  thread that lasts for months never hits a wall and never drags an unbounded history along.
* Serialisation: concurrent invocations of one Strands agent corrupt its history (Strands raises
  ``ConcurrencyException`` in one process; across processes two writers would overwrite each other's
  messages). :class:`SessionLocks` lets one turn at a time into a conversation within a process, and
  :meth:`ChatSessions.lease` does the same across processes (two Lambdas, two ``crewbot`` commands)
  with a lease on the conversation's record, taken and released with conditional writes.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.storage.base import ConflictError, Item, Table
from bot.storage.records import format_time

if TYPE_CHECKING:
    from bot.runtime import Crewbot

#: Chat-session metadata expires (DynamoDB TTL) this long after the last message.
SESSION_TTL = timedelta(days=30)
#: A turn's lease on its conversation lasts this long (seconds); a crashed holder blocks no longer.
LEASE_SECONDS = 300
#: How long a turn waits for the conversation's previous turn (seconds) before giving up.
LEASE_WAIT = 150.0
_LAST_MESSAGE_CHARS = 200
#: How many of the latest user messages a session keeps for the summary a roll-over carries.
_RECENT_MESSAGES = 4
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.=+@-]")


def safe_session_id(raw: str) -> str:
    """A session id Strands and S3 keys accept (no path separators or odd characters)."""
    return _SAFE_ID.sub("_", raw)[:200] or "session"


def session_manager(crewbot: Crewbot, session_id: str) -> Any:
    """The Strands session manager for ``session_id`` in this runtime (imports Strands)."""
    if crewbot.config.runtime == "aws":
        from strands.session import S3SessionManager

        return S3SessionManager(
            session_id,
            bucket=crewbot.namer.bucket("sessions"),
            prefix="agent-sessions/",
            region_name=crewbot.config.aws.region,
        )
    from strands.session import FileSessionManager

    return FileSessionManager(session_id, storage_dir=str(crewbot.home / "sessions"))


class SessionLocks:
    """One lock per session id, created on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(session_id, (threading.Lock(), 0))
            self._locks[session_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[session_id]
                if users <= 1:
                    del self._locks[session_id]
                else:
                    self._locks[session_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class SessionBusy(Exception):
    """Another turn of the conversation (in another process) did not finish in time."""


class ChatSessions:
    """Chat-session metadata in the ``chat_sessions`` table."""

    def __init__(self, table: Table, now: Any):
        self.table = table
        self._now = now  # a callable returning an aware datetime (the runtime clock)

    def active_id(self, conversation: str) -> str:
        """The session id the conversation continues in (following resets)."""
        session_id = safe_session_id(conversation)
        for _ in range(1000):  # a chain of resets; bounded so a corrupt record cannot loop forever
            record = self.table.get({"session_id": session_id})
            if record is None or record.get("state") != "reset" or not record.get("successor"):
                return session_id
            session_id = record["successor"]
        raise RuntimeError(f"conversation {conversation!r} has more than 1000 resets")

    def get(self, session_id: str) -> Item | None:
        return self.table.get({"session_id": session_id})

    @contextmanager
    def lease(
        self,
        conversation: str,
        *,
        user_id: str,
        agent: str,
        channel_id: str = "",
        thread_ts: str = "",
        wait: float = LEASE_WAIT,
        seconds: int = LEASE_SECONDS,
    ) -> Iterator[None]:
        """Hold the conversation for one turn, across processes; :class:`SessionBusy` after ``wait`` seconds.

        The lease lives on the conversation's first record (created here on its first turn); wall-clock
        time, not the runtime clock, decides expiry, so advancing the emulator's clock frees nothing.
        """
        key = safe_session_id(conversation)
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + wait
        delay = 0.02
        while not self._acquire(key, owner, seconds, user_id, agent, channel_id, thread_ts):
            if time.monotonic() >= deadline:
                raise SessionBusy(f"conversation {conversation!r} is still busy with an earlier message")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        try:
            yield
        finally:
            self._release(key, owner)

    def _acquire(
        self, key: str, owner: str, seconds: int, user_id: str, agent: str, channel_id: str, thread_ts: str
    ) -> bool:
        now = time.time()
        item = self.table.get({"session_id": key})
        try:
            if item is None:
                stamp = format_time(self._now())
                self.table.create(
                    {
                        "session_id": key,
                        "conversation": key,
                        "user_id": user_id,
                        "agent": agent,
                        "channel_id": channel_id,
                        "thread_ts": thread_ts,
                        "state": "active",
                        "message_count": 0,
                        "tokens": 0,
                        "last_message": "",
                        "created_at": stamp,
                        "updated_at": stamp,
                        "generation": 0,
                        "expires_at": int((self._now() + SESSION_TTL).timestamp()),
                        "lease_owner": owner,
                        "lease_until": now + seconds,
                    }
                )
                return True
            if item.get("lease_owner") and float(item.get("lease_until") or 0) > now:
                return False
            self.table.put(
                {**item, "lease_owner": owner, "lease_until": now + seconds}, expected_version=item["version"]
            )
            return True
        except ConflictError:
            return False  # someone else wrote first: look again

    def _release(self, key: str, owner: str) -> None:
        def change(item: Item) -> Item | None:
            if item.get("lease_owner") != owner:
                return None  # expired and taken over meanwhile: not ours to clear
            item.pop("lease_owner", None)
            item.pop("lease_until", None)
            return item

        # On failure the lease simply expires; it must never hide the turn's own outcome.
        with suppress(Exception):
            self.table.mutate({"session_id": key}, change)

    def record_turn(
        self,
        session_id: str,
        *,
        conversation: str,
        user_id: str,
        agent: str,
        text: str,
        tokens: int,
        channel_id: str = "",
        thread_ts: str = "",
    ) -> Item:
        """Count one user message (and its answer) in the session's metadata, creating it on the first."""
        now = self._now()
        stamp = format_time(now)
        expires = int((now + SESSION_TTL).timestamp())
        last = " ".join(text.split())[:_LAST_MESSAGE_CHARS]

        def change(item: Item) -> Item:
            item.update(
                updated_at=stamp,
                last_message=last,
                agent=agent,
                expires_at=expires,
                message_count=int(item.get("message_count", 0)) + 1,
                tokens=int(item.get("tokens", 0)) + tokens,
                recent=[*list(item.get("recent") or [])[-(_RECENT_MESSAGES - 1) :], last],
            )
            return item

        for _ in range(3):
            current = self.table.get({"session_id": session_id})
            if current is None:
                try:
                    return self.table.create(
                        {
                            "session_id": session_id,
                            "conversation": conversation,
                            "user_id": user_id,
                            "agent": agent,
                            "channel_id": channel_id,
                            "thread_ts": thread_ts,
                            "state": "active",
                            "message_count": 1,
                            "tokens": tokens,
                            "last_message": last,
                            "recent": [last],
                            "created_at": stamp,
                            "updated_at": stamp,
                            "expires_at": expires,
                            "generation": _generation(session_id),
                        }
                    )
                except ConflictError:
                    continue  # created meanwhile by another process: update it instead
            return self.table.mutate({"session_id": session_id}, change)
        raise ConflictError(f"chat session {session_id} could not be recorded")

    def for_user(self, user_id: str, limit: int = 50) -> list[Item]:
        """The user's sessions, most recently active first."""
        return self.table.query(user_id, index="by_user", descending=True, limit=limit).items

    def reset(self, user_id: str, channel_id: str, thread_ts: str | None = None) -> list[str]:
        """Retire the user's active sessions in ``channel_id`` (only ``thread_ts``'s when given).

        Returns the ids retired. History is kept; the conversation continues in a successor session.
        """
        retired = []
        for item in self.table.query_all(user_id, index="by_user"):
            if item.get("state") != "active" or item.get("channel_id") != channel_id:
                continue
            if thread_ts is not None and item.get("thread_ts") != thread_ts:
                continue
            successor = f"{_base(item['session_id'])}~{int(item.get('generation', 0)) + 1}"

            def change(current: Item, successor: str = successor) -> Item | None:
                if current.get("state") != "active":
                    return None
                current.update(state="reset", successor=successor, updated_at=format_time(self._now()))
                return current

            self.table.mutate({"session_id": item["session_id"]}, change)
            retired.append(item["session_id"])
        return retired

    def roll_over(self, session_id: str, reason: str) -> tuple[str, str]:
        """Continue the conversation of ``session_id`` in a successor session (``reason``: why, for the
        record); returns the successor's id and a short summary of the old session for its first turn."""
        record = self.get(session_id) or {}
        successor = f"{_base(session_id)}~{int(record.get('generation', _generation(session_id))) + 1}"

        def change(current: Item) -> Item | None:
            if current.get("state") != "active":
                return None  # rolled over or reset meanwhile: follow that successor instead
            current.update(state="reset", successor=successor, reset_reason=reason, updated_at=format_time(self._now()))
            return current

        if record:
            current = self.table.mutate({"session_id": session_id}, change)
            successor = str(current.get("successor") or successor)
        return successor, _summary(record, reason)


def _summary(record: Item, reason: str) -> str:
    """What a fresh session is told about the one before it (deterministic: no model call)."""
    recent = [str(text) for text in record.get("recent") or [] if str(text).strip()]
    if not recent:
        return ""
    why = "after a long pause" if reason == "idle" else "because the earlier one grew long"
    asked = "; ".join(f"“{text}”" for text in recent)
    return (
        f"[This conversation continues in a fresh session {why}. "
        f"It had {int(record.get('message_count', 0))} messages; the latest were: {asked}]"
    )


def _base(session_id: str) -> str:
    return session_id.split("~", 1)[0]


def _generation(session_id: str) -> int:
    _, _, generation = session_id.partition("~")
    return int(generation) if generation.isdigit() else 0
