"""Claims on keys (Slack event ids, button presses), so each delivery is handled once.

A claim is a conditional create with a TTL: the first claimant wins, later ones get ``None``. A
handler that fails releases its claim so a retry may claim it again; one that crashes leaves a claim
that expires after ``ttl`` (expired items are absent to both adapters), so the work is never stuck.

Versions restart at 1 when a key is claimed afresh, so each claim also carries a random ``token``:
a handler whose claim expired and was taken over cannot complete or release the new claim.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from bot.storage.base import ConflictError
from bot.storage.records.base import Record, Repository, Timestamp, new_id
from bot.storage.tables import IDEMPOTENCY


class Claim(Record):
    """A claimed key: ``in_progress`` while its handler runs, ``done`` (with an optional result) after."""

    key: str = Field(min_length=1)
    token: str = Field(default_factory=new_id)
    status: Literal["in_progress", "done"] = "in_progress"
    result: Any = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    expires_at: int


class IdempotencyRepository(Repository[Claim]):
    """Claim, complete and release keys."""

    model = Claim
    spec = IDEMPOTENCY

    def get(self, key: str) -> Claim | None:
        return self._get({"key": key})

    def _expiry(self, ttl: timedelta) -> int:
        return int((self.now() + ttl).timestamp())

    def claim(self, key: str, ttl: timedelta = timedelta(minutes=10)) -> Claim | None:
        """Claim ``key`` for ``ttl``; ``None`` if someone holds a live claim (or it is done and not expired)."""
        try:
            return self.save(Claim(key=key, expires_at=self._expiry(ttl)))
        except ConflictError:
            return None

    def _mine(self, claim: Claim) -> Claim:
        current = self.get(claim.key)
        if current is None or current.token != claim.token:
            raise ConflictError(f"claim on {claim.key!r} was lost: it expired and was taken over")
        return current

    def complete(self, claim: Claim, result: Any = None, keep: timedelta = timedelta(hours=24)) -> Claim:
        """Mark the work done and keep the record for ``keep`` (ConflictError if the claim was lost)."""
        current = self._mine(claim)
        return self.save(current.with_changes(status="done", result=result, expires_at=self._expiry(keep)))

    def release(self, claim: Claim) -> None:
        """Give the key up after a failure so a retry can claim it (nothing if the claim was lost)."""
        # A lost claim (it expired and someone else claimed the key) is theirs now: leave it.
        with contextlib.suppress(ConflictError):
            current = self._mine(claim)
            self._delete({"key": claim.key}, current.version)
