"""First contact: every Slack user who reaches Crewbot gets a user record, with the time zone Slack knows.

The record is created before the acknowledgement (a set lookup once known). The user's time zone is read
from Slack afterwards, never on the acknowledgement path: :meth:`UserRegistry.after_ack` runs in the lazy
part of a request and calls ``users.info`` (scope ``users:read``) when this user's zone was never read or
was read more than :data:`TIMEZONE_REFRESH` ago; Slack's ``user_change`` event updates it at once
(:meth:`UserRegistry.timezone_changed`). A zone set in ``/prep settings`` overrides Slack's: the record's
``timezone`` is the zone in effect, ``slack_timezone`` what Slack says.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.storage.base import ConflictError
from bot.storage.tables import USERS

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)

#: How long a user's time zone read from Slack is trusted before it is read again.
TIMEZONE_REFRESH = timedelta(days=1)


def _valid_zone(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def timezone_fields(slack_zone: str, override: str | None, now: datetime) -> dict[str, Any]:
    """The user-record fields for Slack's zone ``slack_zone`` (``override``: the user's own choice)."""
    return {
        "slack_timezone": slack_zone,
        "timezone": override or slack_zone,
        "timezone_checked_at": now.astimezone(UTC).isoformat(),
    }


def timezone_override(user: Any) -> str | None:
    """The zone the user chose in ``/prep settings``, if any."""
    settings = (getattr(user, "settings", None) or {}).get("meeting_prep")
    return _valid_zone(settings.get("timezone")) if isinstance(settings, dict) else None


class UserRegistry:
    """Creates the user record on a user's first request; later requests cost a set lookup."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot
        self._known: set[str] = set()
        #: When this process last made sure a user's zone is fresh (saves a store read per request).
        self._zone_checked: dict[str, datetime] = {}
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

    # -- time zones -----------------------------------------------------------------------------------

    def after_ack(self, user_id: str | None, client: Any = None) -> None:
        """In the lazy part of a request: read the user's zone from Slack when it is due. Never raises."""
        if not user_id:
            return
        now = self.crewbot.clock.now()
        with self._lock:
            last = self._zone_checked.get(user_id)
            if last is not None and now - last < TIMEZONE_REFRESH:
                return
            self._zone_checked[user_id] = now
        try:
            self.refresh_timezone(user_id, client)
        except Exception as exc:  # the user's request goes on in the zone stored; the next one tries again
            logger.warning("could not read the time zone of %s: %s: %s", user_id, type(exc).__name__, exc)
            with self._lock:
                self._zone_checked.pop(user_id, None)

    def refresh_timezone(self, user_id: str, client: Any = None, *, force: bool = False) -> str | None:
        """Read the user's zone with ``users.info`` if never read, stale, or ``force``; returns the zone in
        effect (None when there is no user record or Slack gave no zone)."""
        users = self.crewbot.records.users
        user = users.get(user_id)
        if user is None:
            return None
        now = self.crewbot.clock.now()
        checked = getattr(user, "timezone_checked_at", None)
        if not force and isinstance(checked, str):
            try:
                if now - datetime.fromisoformat(checked) < TIMEZONE_REFRESH:
                    return user.timezone
            except ValueError:
                pass
        if client is None:
            from bot.slack.client import slack_client

            client = slack_client(self.crewbot)
        answer = client.users_info(user=user_id)
        profile = answer.get("user") or {}
        return self._store_zone(user, profile.get("tz"), now)

    def timezone_changed(self, profile: dict[str, Any]) -> str | None:
        """Slack's ``user_change`` event: store the zone it carries (for users Crewbot knows)."""
        user_id = profile.get("id")
        if not isinstance(user_id, str):
            return None
        user = self.crewbot.records.users.get(user_id)
        if user is None:
            return None
        return self._store_zone(user, profile.get("tz"), self.crewbot.clock.now())

    def _store_zone(self, user: Any, zone: Any, now: datetime) -> str | None:
        valid = _valid_zone(zone)
        if valid is None:
            logger.info("Slack gave no usable time zone for %s (%r): keeping %s", user.user_id, zone, user.timezone)
            return None
        fields = timezone_fields(valid, timezone_override(user), now)
        updated = self.crewbot.records.users.update(user.user_id, **fields)
        with self._lock:
            self._zone_checked[user.user_id] = now
        return str(updated.timezone)
