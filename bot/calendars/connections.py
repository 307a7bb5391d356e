"""A user's connection to a calendar provider: source, encrypted tokens, sync cursor and health.

Table ``calendar_connections`` (pk ``user_id``, sk ``provider``): one item per user and provider. The
OAuth tokens are stored only encrypted (:mod:`bot.calendars.crypto`); :meth:`ConnectionRepository.tokens`
decrypts them for the provider that needs them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from bot.calendars.crypto import cipher_for
from bot.storage.base import TableSpec
from bot.storage.records import Record, Repository, Timestamp
from bot.storage.tables import register_table

if TYPE_CHECKING:
    from bot.runtime import Crewbot

CALENDAR_CONNECTIONS = register_table(
    TableSpec(
        "calendar_connections",
        pk="user_id",
        sk="provider",
        description="Each user's calendar connections: source, encrypted OAuth tokens, sync cursor, last sync.",
    )
)


class Connection(Record):
    """One user's connection to one provider (``source`` is the ICS path/URL; OAuth providers keep tokens)."""

    user_id: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    status: Literal["active", "error", "needs_reauthorization", "disconnected"] = "active"
    source: str | None = None
    account: str | None = None
    #: The OAuth tokens, encrypted (never stored in clear).
    tokens_encrypted: str | None = None
    #: Incremental sync position (Google sync token, Graph delta link); ``None`` means a full sync next.
    cursor: str | None = None
    #: End of the window the cursor was started for (Graph's delta is bound to its window).
    window_end: Timestamp | None = None
    last_sync_at: Timestamp | None = None
    last_error: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class ConnectionRepository(Repository[Connection]):
    """Connections by user; encrypted token access."""

    model = Connection
    spec = CALENDAR_CONNECTIONS

    def __init__(self, crewbot: Crewbot):
        super().__init__(crewbot.store.table(CALENDAR_CONNECTIONS), crewbot.clock.now)
        self.crewbot = crewbot

    def get(self, user_id: str, provider: str) -> Connection | None:
        return self._get({"user_id": user_id, "provider": provider})

    def for_user(self, user_id: str) -> list[Connection]:
        return [self.load(item) for item in self.table.query_all(user_id)]

    def connect(
        self,
        user_id: str,
        provider: str,
        *,
        source: str | None = None,
        tokens: dict[str, Any] | None = None,
        account: str | None = None,
    ) -> Connection:
        """Create or replace the connection (a new grant or source starts a full sync)."""
        fields: dict[str, Any] = {
            "status": "active",
            "source": source,
            "account": account,
            "cursor": None,
            "window_end": None,
            "last_error": None,
            "tokens_encrypted": self.encrypt(user_id, tokens) if tokens else None,
        }
        existing = self.get(user_id, provider)
        if existing is None:
            return self.save(Connection(user_id=user_id, provider=provider, **fields))
        return self.update(user_id, provider, **fields)

    def update(self, user_id: str, provider: str, **changes: Any) -> Connection:
        return self._update({"user_id": user_id, "provider": provider}, lambda c: c.with_changes(**changes))

    def encrypt(self, user_id: str, tokens: dict[str, Any]) -> str:
        return cipher_for(self.crewbot).encrypt(user_id, tokens)

    def tokens(self, connection: Connection) -> dict[str, Any]:
        """The decrypted tokens of ``connection`` (empty when it has none)."""
        if not connection.tokens_encrypted:
            return {}
        return cipher_for(self.crewbot).decrypt(connection.user_id, connection.tokens_encrypted)

    def record_sync(
        self,
        connection: Connection,
        *,
        cursor: str | None,
        window_end: datetime | None,
        tokens: dict[str, Any] | None,
        at: datetime,
    ) -> Connection:
        changes: dict[str, Any] = {
            "cursor": cursor,
            "window_end": window_end,
            "last_sync_at": at,
            "last_error": None,
            "status": "active",
        }
        if tokens is not None:
            changes["tokens_encrypted"] = self.encrypt(connection.user_id, tokens)
        return self.update(connection.user_id, connection.provider, **changes)

    def record_error(self, connection: Connection, error: str, *, reauthorize: bool = False) -> Connection:
        return self.update(
            connection.user_id,
            connection.provider,
            last_error=error[:500],
            status="needs_reauthorization" if reauthorize else "error",
        )
