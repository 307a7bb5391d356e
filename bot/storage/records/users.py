"""People who talk to Crewbot, created on first contact (key: the Slack user id)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bot.storage.base import ConflictError
from bot.storage.records.base import Record, Repository, Timestamp
from bot.storage.tables import USERS


class User(Record):
    """A Slack user known to Crewbot."""

    user_id: str = Field(min_length=1)
    name: str = ""
    email: str | None = None
    #: Only active users are synced by the calendar monitor (``by_status`` index).
    status: Literal["active", "inactive"] = "active"
    roles: list[str] = Field(default_factory=list)
    is_admin: bool = False
    default_agent: str | None = None
    timezone: str = "UTC"
    phone: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class UserRepository(Repository[User]):
    """Users by id; active users (calendar monitor); get-or-create on first contact."""

    model = User
    spec = USERS

    def get(self, user_id: str) -> User | None:
        return self._get({"user_id": user_id})

    def get_or_create(self, user_id: str, **defaults: Any) -> tuple[User, bool]:
        """The user, creating it from ``defaults`` if new; ``(user, created)``. Safe when two requests race."""
        user = self.get(user_id)
        if user is not None:
            return user, False
        try:
            return self.save(User(user_id=user_id, **defaults)), True
        except ConflictError:
            # Another request created the user between our read and our create: theirs stands.
            user = self.get(user_id)
            if user is None:
                raise
            return user, False

    def active(self) -> list[User]:
        """Every active user, by user id."""
        return [self.load(item) for item in self.table.query_all("active", index="by_status")]

    def update(self, user_id: str, **changes: Any) -> User:
        """Change some fields, re-reading and retrying if someone else writes meanwhile."""
        return self._update({"user_id": user_id}, lambda user: user.with_changes(**changes))

    def delete(self, user: User) -> None:
        """Delete the user if unchanged since read (ConflictError otherwise)."""
        self._delete({"user_id": user.user_id}, user.version)
