"""Meetings synced from calendars, and the action items that come out of them."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer, field_validator, model_validator

from bot.storage.base import SortCondition
from bot.storage.records.base import Record, Repository, Timestamp, format_time, parse_time
from bot.storage.tables import ACTION_ITEMS, MEETINGS

#: Fields that come from the calendar; a change in any of them is a change of the meeting.
CALENDAR_FIELDS = (
    "title",
    "description",
    "start",
    "end",
    "timezone",
    "all_day",
    "attendees",
    "organizer",
    "location",
    "video_link",
    "recurrence_id",
    "status",
    "kind",
    "show_as",
    "declined",
    "rooms",
)


#: How calendars spell a response (Google, Microsoft Graph, iCalendar PARTSTAT) → the stored value.
_RESPONSES = {
    "needsaction": "needs_action",
    "needs-action": "needs_action",
    "notresponded": "needs_action",
    "none": "needs_action",
    "tentativelyaccepted": "tentative",
    "organizer": "accepted",
}


class Attendee(BaseModel):
    """One attendee of a meeting, as the calendar reports them."""

    email: str = ""
    name: str = ""
    response: Literal["accepted", "declined", "tentative", "needs_action", "unknown"] = "unknown"
    optional: bool = False
    organizer: bool = False
    #: This attendee is the calendar's owner (the Crewbot user) — not one of the people they meet.
    is_self: bool = False

    @field_validator("response", mode="before")
    @classmethod
    def _provider_spelling(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            return _RESPONSES.get(lowered, lowered)
        return value


def external_key(user_id: str, provider: str, external_id: str) -> str:
    """The ``by_external`` lookup key: ``<user>#<provider>#<calendar event id>``."""
    return f"{user_id}#{provider}#{external_id}"


class Meeting(Record):
    """A calendar event of one user, with its classification and preparation state.

    ``start`` and ``end`` are timezone-aware (stored in UTC); an all-day event starts at midnight of its
    ``timezone`` (``all_day=True``), since a date alone has no place on the time axis.
    """

    meeting_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    provider: str = Field(min_length=1)  # google, microsoft, ics, ...
    external_id: str = Field(min_length=1)  # the calendar's event id
    external_key: str | None = None  # set from user_id, provider and external_id
    external_version: str | None = None  # the calendar's etag / change key, when it has one
    title: str = ""
    description: str = ""
    start: Timestamp
    end: Timestamp
    timezone: str = "UTC"
    all_day: bool = False
    attendees: list[Attendee] = Field(default_factory=list)
    organizer: str | None = None
    location: str | None = None
    video_link: str | None = None
    recurrence_id: str | None = None
    status: Literal["confirmed", "cancelled"] = "confirmed"
    #: What the calendar says the entry is: ``event``, ``out_of_office``, ``focus_time``, ``working_location``,
    #: ``birthday`` (see :class:`bot.calendars.events.CalendarEvent`).
    kind: str = "event"
    #: Free/busy: ``busy``, ``free``, ``tentative``, ``out_of_office``, ``working_elsewhere``, ``unknown``.
    show_as: str = "busy"
    #: The calendar's owner declined it.
    declined: bool = False
    #: Rooms and other resources booked for it (not counted among the attendees).
    rooms: list[str] = Field(default_factory=list)
    meeting_type: str | None = None
    prep_status: str = "not_started"
    prep_responses: dict[str, Any] = Field(default_factory=dict)
    #: Hash of the calendar fields when last synced (see :meth:`calendar_hash`).
    content_hash: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @model_validator(mode="after")
    def _checks(self) -> Meeting:
        if self.end < self.start:
            raise ValueError(f"meeting {self.meeting_id}: end {self.end} is before start {self.start}")
        key = external_key(self.user_id, self.provider, self.external_id)
        if self.external_key != key:
            # Assigning through __dict__ avoids re-running validation on assignment (recursion).
            self.__dict__["external_key"] = key
        return self

    def calendar_hash(self) -> str:
        """A digest of what the calendar says about this meeting: compare it to spot changes."""
        data = self.model_dump(mode="json", include=set(CALENDAR_FIELDS))
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def _range(start: datetime | None, end: datetime | None) -> SortCondition | None:
    if start is not None and end is not None:
        return SortCondition.between(format_time(start), format_time(end))
    if start is not None:
        return SortCondition("gte", format_time(start))
    if end is not None:
        return SortCondition("lte", format_time(end))
    return None


class MeetingRepository(Repository[Meeting]):
    """Meetings by id, a user's meetings in a time range, and lookup by calendar event."""

    model = Meeting
    spec = MEETINGS

    def get(self, meeting_id: str) -> Meeting | None:
        return self._get({"meeting_id": meeting_id})

    def for_user(
        self, user_id: str, start: datetime | None = None, end: datetime | None = None, limit: int | None = None
    ) -> list[Meeting]:
        """The user's meetings starting in ``[start, end]`` (both optional), earliest first."""
        sort = _range(start, end)
        if limit is None:
            items = self.table.query_all(user_id, index="by_user_start", sort=sort)
        else:
            items = self.table.query(user_id, index="by_user_start", sort=sort, limit=limit).items
        return [self.load(item) for item in items]

    def by_external(self, user_id: str, provider: str, external_id: str) -> Meeting | None:
        """The meeting synced from this calendar event, if any."""
        page = self.table.query(external_key(user_id, provider, external_id), index="by_external", limit=1)
        return self.load(page.items[0]) if page.items else None

    def save_many(self, meetings: list[Meeting]) -> None:
        """Store many meetings unconditionally in batches (the calendar monitor's sync)."""
        now = self.now()
        self.table.put_many(m.with_changes(created_at=m.created_at or now, updated_at=now).to_item() for m in meetings)

    def update(self, meeting_id: str, **changes: Any) -> Meeting:
        """Change some fields, re-reading and retrying if someone else writes meanwhile."""
        return self._update({"meeting_id": meeting_id}, lambda meeting: meeting.with_changes(**changes))

    def record_prep_response(self, meeting_id: str, question: str, answer: Any) -> Meeting:
        """Store one answer to a prep question; answers given at the same time are all kept."""
        return self._update(
            {"meeting_id": meeting_id},
            lambda meeting: meeting.with_changes(prep_responses={**meeting.prep_responses, question: answer}),
        )

    def delete(self, meeting: Meeting) -> None:
        """Delete the meeting if unchanged since read (ConflictError otherwise)."""
        self._delete({"meeting_id": meeting.meeting_id}, meeting.version)


#: Stored in place of a missing due date so undated items stay in the ``by_owner`` index (sorted last).
NO_DUE = "9999-12-31T23:59:59Z"


class ActionItem(Record):
    """A follow-up from a meeting, owned by someone."""

    item_id: str = Field(min_length=1)
    meeting_id: str | None = None
    owner_id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    due: Timestamp | None = None
    status: Literal["open", "done", "cancelled"] = "open"
    created_by: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @field_validator("due", mode="before")
    @classmethod
    def _no_due(cls, value: Any) -> Any:
        return None if value == NO_DUE else value

    @field_serializer("due")
    def _due_out(self, value: datetime | None) -> str:
        return NO_DUE if value is None else format_time(value)


class ActionItemRepository(Repository[ActionItem]):
    """Action items by id, by meeting (oldest first) and by owner (soonest due first)."""

    model = ActionItem
    spec = ACTION_ITEMS

    def get(self, item_id: str) -> ActionItem | None:
        return self._get({"item_id": item_id})

    def for_meeting(self, meeting_id: str) -> list[ActionItem]:
        return [self.load(item) for item in self.table.query_all(meeting_id, index="by_meeting")]

    def for_owner(self, owner_id: str, open_only: bool = False, due_by: datetime | None = None) -> list[ActionItem]:
        """The owner's items by due date (undated last); ``due_by`` keeps those due by then."""
        sort = SortCondition("lte", format_time(parse_time(due_by))) if due_by is not None else None
        items = [self.load(item) for item in self.table.query_all(owner_id, index="by_owner", sort=sort)]
        return [item for item in items if item.status == "open"] if open_only else items

    def update(self, item_id: str, **changes: Any) -> ActionItem:
        """Change some fields, re-reading and retrying if someone else writes meanwhile."""
        return self._update({"item_id": item_id}, lambda item: item.with_changes(**changes))
