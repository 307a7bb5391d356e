"""What a calendar provider reports, and the interface every provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.storage.records import Attendee, Meeting, parse_time

if TYPE_CHECKING:
    from bot.calendars.connections import Connection
    from bot.runtime import Crewbot


class ProviderError(Exception):
    """A provider could not fetch a user's calendar (the monitor records it and goes on)."""


class ReauthorizationRequired(ProviderError):
    """The stored grant no longer works (revoked, expired refresh token): the user must connect again."""


class CalendarEvent(BaseModel):
    """One event (one instance of a recurring event) as a provider reports it.

    ``start``/``end`` are timezone-aware; ``timezone`` is the event's own zone name (all-day events start
    at midnight in it). ``status="cancelled"`` reports a deleted event or a cancelled instance.
    """

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    #: Absent only for a cancelled event reported by id alone (Google/Graph deletions in a delta).
    start: datetime | None = None
    end: datetime | None = None
    timezone: str = "UTC"
    all_day: bool = False
    attendees: list[Attendee] = Field(default_factory=list)
    organizer: str | None = None
    location: str | None = None
    video_link: str | None = None
    recurrence_id: str | None = None
    status: Literal["confirmed", "cancelled"] = "confirmed"
    etag: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"event time {value.isoformat()} has no time zone")
        return value

    def meeting_fields(self) -> dict[str, Any]:
        """The :class:`~bot.storage.records.Meeting` fields this event sets."""
        data = self.model_dump(exclude={"etag", "start", "end"})
        if self.start is not None:
            end = self.end if self.end is not None and self.end >= self.start else self.start
            data["start"], data["end"] = parse_time(self.start), parse_time(end)
        elif self.status == "cancelled":
            # Known only by id: keep what is stored, but mark it cancelled.
            data = {"status": "cancelled"}
        else:
            raise ValueError(f"event {self.external_id} has no start time")
        data["external_version"] = self.etag
        return data

    def to_meeting(self, meeting_id: str, user_id: str, provider: str) -> Meeting:
        return Meeting(meeting_id=meeting_id, user_id=user_id, provider=provider, **self.meeting_fields())


@dataclass
class SyncResult:
    """One fetch of a user's calendar.

    ``complete`` means ``events`` is everything in the window (absent stored meetings were deleted);
    otherwise ``events`` are only the changes since ``cursor`` was last stored (incremental sync), with
    deletions reported as cancelled events. ``cursor`` is stored for the next sync (a sync token /
    delta link); ``tokens`` are refreshed credentials to store (encrypted), if any.
    """

    events: list[CalendarEvent] = field(default_factory=list)
    complete: bool = True
    cursor: str | None = None
    tokens: dict[str, Any] | None = None
    requests: int = 0


@runtime_checkable
class CalendarProvider(Protocol):
    """A calendar source, registered by a plugin through ``register_calendar_providers``.

    ``name`` is the stored provider name (``google``, ``microsoft``, ``ics``); ``uses_oauth`` says
    whether connecting goes through :meth:`authorization_url` / :meth:`complete_authorization`
    (otherwise the connection's ``source`` — a path or URL — is all it needs).
    """

    name: str
    label: str
    uses_oauth: bool

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        """Fetch the events of ``[start, end]`` (or the changes since ``connection.cursor``)."""
        ...

    def authorization_url(self, crewbot: Crewbot, state: str, redirect_uri: str) -> str | tuple[str, dict[str, Any]]:
        """The consent page the user opens (OAuth providers); or ``(url, flow)`` where ``flow`` is state to
        keep (encrypted) until the callback, such as a PKCE verifier."""
        ...

    def complete_authorization(
        self,
        crewbot: Crewbot,
        code: str,
        redirect_uri: str,
        *,
        flow: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Exchange the authorization code for tokens (OAuth providers); ``flow`` is what
        :meth:`authorization_url` asked to keep, ``query`` the callback's parameters."""
        ...
