"""What a calendar provider reports, and the interface every provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
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


class ProviderThrottled(ProviderError):
    """The provider asks us to slow down for longer than a sync may wait: try this user again later.

    ``retry_after`` is in seconds. Providers retry a throttled request only briefly (a bounded number of
    short waits) and raise this instead of sleeping, so the caller can re-schedule the user (for example by
    making its queue message visible again after ``retry_after``).
    """

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = max(0.0, float(retry_after))


#: What kind of calendar entry an event is (as far as the provider says): only ``event`` can be a meeting.
EventKind = Literal["event", "out_of_office", "focus_time", "working_location", "birthday"]
#: How the event shows in the owner's free/busy.
ShowAs = Literal["busy", "free", "tentative", "out_of_office", "working_elsewhere", "unknown"]


class CalendarEvent(BaseModel):
    """One event (one instance of a recurring event) as a provider reports it.

    ``start``/``end`` are timezone-aware; ``timezone`` is the event's own zone as an IANA name (providers
    map Windows and custom names, see :mod:`bot.calendars.zones`; all-day events start at midnight in it).
    ``status="cancelled"`` reports a deleted event or a cancelled instance.

    ``kind``, ``show_as`` and ``declined`` are facts for deciding what is prepared (out of office, free
    time, an event the calendar's owner declined); ``attendees`` are people only — rooms and other
    resources are in ``rooms`` — and the owner is marked ``is_self``. An event without an end lasts
    :func:`default_end` (one day from a date, ``DEFAULT_DURATION`` from a date-time).
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
    kind: EventKind = "event"
    show_as: ShowAs = "busy"
    declined: bool = False
    rooms: list[str] = Field(default_factory=list)
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
            end = self.end if self.end is not None and self.end >= self.start else default_end(self.start, self.all_day)
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


#: The length given to a timed event that states no end (see :func:`default_end`).
DEFAULT_DURATION = timedelta(minutes=30)


def default_end(start: datetime, all_day: bool) -> datetime:
    """The end of an event that gives none (no DTEND/DURATION, or an end before its start).

    An all-day event lasts one day (RFC 5545 3.6.1). A timed one would end at its start by the RFC, but a
    meeting of no length can be neither shown as a span nor given an agenda: it gets :data:`DEFAULT_DURATION`,
    the usual default length of a new meeting, so its time and its agenda agree.
    """
    return start + (timedelta(days=1) if all_day else DEFAULT_DURATION)


@dataclass
class SyncResult:
    """One fetch of a user's calendar.

    ``complete`` means ``events`` is everything in the window (absent stored meetings were deleted);
    otherwise ``events`` are only the changes since ``cursor`` was last stored (incremental sync), with
    deletions reported as cancelled events. ``cursor`` is stored for the next sync (a sync token /
    delta link); ``tokens`` are refreshed credentials to store (encrypted), if any.

    ``window_end`` is the end of the time range the listing (and so ``cursor``) covers, which may lie
    beyond the window asked for (a provider lists ahead so its cursor need not start over daily); ``None``
    keeps the stored one. ``warnings`` are sentences for the user (a skipped event, an unknown time zone,
    a recurring series cut short); ``skipped`` counts the events that could not be read.
    """

    events: list[CalendarEvent] = field(default_factory=list)
    complete: bool = True
    cursor: str | None = None
    tokens: dict[str, Any] | None = None
    requests: int = 0
    window_end: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0

    def warn(self, message: str) -> None:
        """Add a warning once (the same sentence from many events is said once)."""
        if message not in self.warnings:
            self.warnings.append(message)


@runtime_checkable
class CalendarProvider(Protocol):
    """A calendar source, registered by a plugin through ``register_calendar_providers``.

    ``name`` is the stored provider name (``google``, ``microsoft``, ``ics``) and what users type in
    ``/prep connect NAME``; ``label`` is its display name. ``connect_kind`` says how a user connects:
    ``"oauth"`` goes through :meth:`authorization_url` / :meth:`complete_authorization` (and gets an
    ``/oauth/NAME/callback`` route), ``"url"`` needs only the connection's ``source`` (a path or URL,
    typed after the name). ``uses_oauth`` is ``connect_kind == "oauth"``.
    """

    name: str
    label: str
    connect_kind: Literal["url", "oauth"]
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
