"""Meeting classification from ``config/meeting_types.yaml``: deterministic, explainable.

Types are tried in file order. A type matches when one of its keywords appears as a whole word in the
title (first) or the description (second) and its attendee rule holds; a type with
``attendees_alone: true`` also matches on its ``attendee_count`` alone (a two-person meeting is a
one-on-one). Nothing matching gives ``default``. :class:`Classification` says which rule matched, so
``crewbot meetings classify`` can print it.

Before the types, :func:`classify_meeting` recognises what is not a meeting to prepare for — out of
office, focus time, working location, birthdays, free (transparent) events, events the user declined
and all-day events without other attendees — from what the calendar reports. Those keep their kind as
their type (``out_of_office``, ``declined``, ...), are stored and listed, and get no prep, unless
``not_prepared.<kind>.prepare`` in the file says otherwise (then they are classified like any meeting).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.api import data_dir

CONTEXT_TOPICS = ("budget", "big_rocks", "incidents", "staffing", "decisions")


class MeetingTypesError(ValueError):
    """``meeting_types.yaml`` is invalid; the message names the file and the key."""


class AgendaSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section: str = Field(min_length=1)
    share: float = Field(gt=0, le=1)
    purpose: str = ""


class MeetingType(BaseModel):
    """One meeting type's rules and preparation."""

    model_config = ConfigDict(extra="forbid")

    label: str = ""
    keywords: list[str] = Field(default_factory=list)
    required_attendees_min: int | None = Field(default=None, ge=1)
    attendee_count: int | None = Field(default=None, ge=1)
    attendees_alone: bool = False
    prep_hours_before: float = Field(default=24, ge=0, le=24 * 60)
    prep_questions: list[str] = Field(default_factory=list)
    context_required: list[str] = Field(default_factory=list)
    agenda: list[AgendaSection] = Field(default_factory=list)

    @field_validator("context_required")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if not re.fullmatch(r"[a-z][a-z0-9_]*", t)]
        if unknown:
            raise ValueError(f"context topics must be lower_snake names, not {unknown}")
        return value

    @model_validator(mode="after")
    def _alone(self) -> MeetingType:
        if self.attendees_alone and self.attendee_count is None:
            raise ValueError("attendees_alone needs attendee_count")
        return self

    def attendee_rule(self, count: int) -> tuple[bool, str]:
        """Whether ``count`` attendees satisfy this type, and the rule in words."""
        if self.attendee_count is not None and count != self.attendee_count:
            return False, f"needs exactly {self.attendee_count} attendees, has {count}"
        if self.required_attendees_min is not None and count < self.required_attendees_min:
            return False, f"needs at least {self.required_attendees_min} attendees, has {count}"
        if self.attendee_count is not None:
            return True, f"exactly {self.attendee_count} attendees"
        if self.required_attendees_min is not None:
            return True, f"at least {self.required_attendees_min} attendees ({count})"
        return True, ""


#: What calendars mark as not a meeting, in the order they are checked.
NOT_MEETING_KINDS = (
    "out_of_office",
    "focus_time",
    "working_location",
    "birthday",
    "declined",
    "free",
    "all_day_alone",
)
_KIND_LABELS = {
    "out_of_office": "Out of office",
    "focus_time": "Focus time",
    "working_location": "Working location",
    "birthday": "Birthday",
    "declined": "Declined",
    "free": "Free time",
    "all_day_alone": "All-day event",
}


class NotPrepared(BaseModel):
    """One kind of calendar entry that is not prepared by default."""

    model_config = ConfigDict(extra="forbid")

    label: str = ""
    #: ``true``: prepare it like a meeting after all (it is then classified by the meeting types).
    prepare: bool = False


def _default_not_prepared() -> dict[str, NotPrepared]:
    return {kind: NotPrepared(label=_KIND_LABELS[kind]) for kind in NOT_MEETING_KINDS}


class MeetingTypes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_types: dict[str, MeetingType]
    #: Calendar entries that are not meetings (:data:`NOT_MEETING_KINDS`), each prepared or not.
    not_prepared: dict[str, NotPrepared] = Field(default_factory=_default_not_prepared)

    @field_validator("not_prepared", mode="after")
    @classmethod
    def _all_kinds(cls, value: dict[str, NotPrepared]) -> dict[str, NotPrepared]:
        unknown = sorted(set(value) - set(NOT_MEETING_KINDS))
        if unknown:
            raise ValueError(f"unknown kinds {unknown} (known: {', '.join(NOT_MEETING_KINDS)})")
        # Kinds the file does not name keep their default (not prepared).
        return {**_default_not_prepared(), **value}

    def prepares(self, name: str | None) -> bool:
        """Whether meetings of type ``name`` get a prep (every meeting type does; non-meetings do not)."""
        kind = self.not_prepared.get(name or "")
        return kind is None or kind.prepare

    @model_validator(mode="after")
    def _default(self) -> MeetingTypes:
        if "default" not in self.meeting_types:
            raise ValueError("meeting_types needs a `default` type (used when nothing matches)")
        return self

    def get(self, name: str | None) -> MeetingType:
        return self.meeting_types.get(name or "default") or self.meeting_types["default"]

    def label(self, name: str | None) -> str:
        kind = self.not_prepared.get(name or "")
        if kind is not None and name not in self.meeting_types:
            return kind.label or _KIND_LABELS.get(str(name), str(name))
        return self.get(name).label or (name or "default").replace("_", " ").capitalize()


@dataclass(frozen=True)
class Classification:
    meeting_type: str
    rule: str
    prep_hours_before: float

    def prep_time(self, start: datetime) -> datetime:
        return start - timedelta(hours=self.prep_hours_before)


def load_meeting_types(path: Path | str | None = None) -> MeetingTypes:
    """Read and validate the meeting types (default: the shipped ``config/meeting_types.yaml``)."""
    file = Path(path) if path else data_dir("config") / "meeting_types.yaml"
    return _load(str(file.resolve()), file.stat().st_mtime if file.exists() else 0.0)


@lru_cache(maxsize=8)
def _load(file: str, mtime: float) -> MeetingTypes:
    try:
        data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MeetingTypesError(f"{file}: not found") from None
    except yaml.YAMLError as exc:
        raise MeetingTypesError(f"{file}: not valid YAML: {exc}") from None
    try:
        return MeetingTypes.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors())
        raise MeetingTypesError(f"{file}: {problems}") from None


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    after = r"(?![A-Za-z])" if keyword[-1:].isalpha() else r"(?![A-Za-z0-9])"
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(keyword) + after, re.IGNORECASE)


def classify(
    types: MeetingTypes, title: str, description: str = "", attendees: int = 1, overrides: dict[str, Any] | None = None
) -> Classification:
    """The type of a meeting and the rule that matched; ``overrides`` maps type → prep hours (user settings)."""
    count = max(1, attendees)
    overrides = overrides or {}

    def result(name: str, rule: str) -> Classification:
        hours = overrides.get(name, types.get(name).prep_hours_before)
        return Classification(name, rule, float(hours))

    rejected: list[str] = []
    for where, text in (("title", title), ("description", description)):
        for name, rules in types.meeting_types.items():
            if name == "default":
                continue
            for keyword in rules.keywords:
                if text and _keyword_pattern(keyword).search(text):
                    ok, why = rules.attendee_rule(count)
                    if ok:
                        return result(name, f"keyword {keyword!r} in the {where}" + (f" and {why}" if why else ""))
                    rejected.append(f"{name}: keyword {keyword!r} in the {where} but {why}")
                    break
    for name, rules in types.meeting_types.items():
        if rules.attendees_alone and rules.attendee_count == count:
            return result(name, f"exactly {count} attendees")
    rule = "no rule matched" + (f" ({'; '.join(rejected)})" if rejected else "")
    return result("default", rule)


def not_meeting_kind(meeting: Any) -> str | None:
    """Which :data:`NOT_MEETING_KINDS` entry a stored meeting (or calendar event) is, if any.

    Reads what providers report: ``kind`` (out_of_office, focus_time, working_location, birthday),
    ``show_as`` (``free``, ``out_of_office``), ``declined``, ``all_day`` and the attendees (``is_self``).
    """
    kind = str(getattr(meeting, "kind", "") or "event")
    show_as = str(getattr(meeting, "show_as", "") or "busy")
    if kind in ("out_of_office", "focus_time", "working_location", "birthday"):
        return kind
    if show_as == "out_of_office":
        return "out_of_office"
    if getattr(meeting, "declined", False):
        return "declined"
    if show_as == "free":
        return "free"
    if getattr(meeting, "all_day", False):
        others = [a for a in getattr(meeting, "attendees", []) or [] if not getattr(a, "is_self", False)]
        if not others:
            return "all_day_alone"
    return None


def classify_meeting(types: MeetingTypes, meeting: Any, overrides: dict[str, Any] | None = None) -> Classification:
    """Classify a stored meeting: a non-meeting kind that is not prepared, else its meeting type."""
    kind = not_meeting_kind(meeting)
    if kind is not None and not types.not_prepared[kind].prepare:
        return Classification(kind, f"not prepared: {types.label(kind).lower()}", 0.0)
    attendees = getattr(meeting, "attendees", []) or []
    return classify(types, meeting.title, meeting.description, len(attendees), overrides)


class MeetingTypeContext:
    """Serves the configured meeting types as context (topic ``meeting_type``), so an agent's tools (the
    Meeting Coordinator's agenda) use the same agenda and context topics as preparation, without importing
    this plugin. ``fetch`` needs ``meeting["meeting_type"]``; an unknown type answers ``{}``."""

    name = "meeting_types"
    topics = ("meeting_type",)

    def __init__(self, path: Path | str | None = None):
        self.path = path

    def fetch(
        self, topic: str, user_id: str, meeting: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        name = str((meeting or {}).get("meeting_type") or "")
        kind = load_meeting_types(self.path).meeting_types.get(name)
        if kind is None:
            return {}
        return {
            "meeting_type": name,
            "agenda": [section.model_dump() for section in kind.agenda],
            "context_required": list(kind.context_required),
        }
