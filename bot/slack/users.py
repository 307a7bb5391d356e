"""First contact: every Slack user who reaches Crewbot gets a user record."""

from __future__ import annotations

import logging
import threading
from datetime import UTC
from typing import TYPE_CHECKING, Any

from bot.storage.base import ConflictError
from bot.storage.tables import USERS

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)


class UserRegistry:
    """Creates the user record on a user's first request; later requests cost a set lookup."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def is_admin(self, user_id: str | None) -> bool:
        return bool(user_id) and user_id in self.crewbot.config.slack.admins

    def seen(self, user_id: str, team_id: str = "") -> None:
        """Make sure ``user_id`` has a record. Store trouble is logged, never fatal to the request."""
        with self._lock:
            if user_id in self._known:
                return
        try:
            self._ensure(user_id, team_id)
        except Exception as exc:  # a user must still get an answer when the store hiccups
            logger.warning("could not record first contact of %s: %s: %s", user_id, type(exc).__name__, exc)
            return
        with self._lock:
            self._known.add(user_id)

    def _ensure(self, user_id: str, team_id: str) -> None:
        records: Any = getattr(self.crewbot, "records", None)
        users = getattr(records, "users", None) if records is not None else None
        if users is not None and hasattr(users, "get_or_create"):
            admin = self.is_admin(user_id)
            _, created = users.get_or_create(user_id, is_admin=admin, roles=["admin"] if admin else [])
            if created:
                logger.debug("first contact: created user record for %s", user_id)
            return
        # Until the users repository exists, a minimal record straight into the users table.
        table = self.crewbot.store.table(USERS)
        if table.get({USERS.pk: user_id}) is not None:
            return
        record = {
            USERS.pk: user_id,
            "team_id": team_id,
            "status": "active",
            "roles": ["admin"] if self.is_admin(user_id) else [],
            "default_agent": self.crewbot.config.slack.default_agent,
            "created_at": self.crewbot.clock.now().astimezone(UTC).isoformat(),
        }
        try:
            table.create(record)
            logger.debug("first contact: created user record for %s", user_id)
        except ConflictError:
            pass  # another request created it first
