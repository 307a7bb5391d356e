"""The Meeting Coordinator's tools backed by real data, and the built-in context provider.

Tools (all read the caller from the turn's :class:`~bot.agents.tools.CallContext`, never a global):

* ``get_upcoming_meetings`` — the caller's meetings from the meetings store.
* ``save_prep_response`` — stores a prep answer on the caller's meeting.
* ``generate_meeting_agenda`` — an agenda from the meeting type's template, the prep answers and context.
* ``get_budget_context`` / ``get_big_rocks_status`` — from every context provider of the topic, fetched
  in parallel with timeouts and retries; the built-in provider reads ``config/context/*.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.api import (
    CallContext,
    ConflictError,
    Meeting,
    ToolError,
    ToolInvocation,
    ToolRegistration,
    YamlContextProvider,
    big_rocks_status,
    call_context,
    crewbot_tool,
    data_dir,
    fetch_all,
    format_time,
    hookimpl,
)


class Settings(BaseModel):
    """``plugins.settings.meeting_coordinator``."""

    model_config = ConfigDict(extra="forbid")

    #: Folder of the organisation's context files (default: the shipped ``config/context``).
    context_dir: Path | None = None
    #: Seconds a context fetch may take (all providers together) before it is reported as timed out.
    fetch_timeout: float = Field(default=10.0, gt=0, le=120)
    #: Attempts per provider (retried with exponential backoff).
    fetch_attempts: int = Field(default=3, ge=1, le=10)


def _settings(call: CallContext) -> Settings:
    return call.runtime().settings_for(Settings)


# -- meetings ------------------------------------------------------------------------------------------


def _meeting_view(meeting: Meeting) -> dict[str, Any]:
    """The fields of a stored meeting an agent needs (no internal bookkeeping)."""
    view = {
        "meeting_id": meeting.meeting_id,
        "title": meeting.title or "(untitled)",
        "start": format_time(meeting.start),
        "end": format_time(meeting.end),
        "meeting_type": meeting.meeting_type or "general",
        "attendees": [a.name or a.email for a in meeting.attendees if a.name or a.email],
        "location": meeting.location,
        "prep_status": meeting.prep_status,
        "prep_answers": len(meeting.prep_responses),
    }
    return {k: v for k, v in view.items() if v not in (None, "", [])}


def _own_meeting(call: CallContext, meeting_id: str) -> Meeting:
    meeting = call.runtime().records.meetings.get(meeting_id)
    # Someone else's meeting is reported exactly like a missing one: ids must not reveal other calendars.
    if meeting is None or meeting.user_id != call.user_id:
        raise ToolError(f"no meeting {meeting_id!r} in your calendar; call get_upcoming_meetings for the ids")
    return meeting


def get_upcoming_meetings(days_ahead: int = 7, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Get the user's upcoming meetings from their synced calendars.

    Args:
        days_ahead: How many days ahead to look (1-60, default 7).

    Returns:
        The meetings in start order with id, title, start, end, type, attendees and prep status.
    """
    call = call_context(tool_context)
    if not 1 <= days_ahead <= 60:
        raise ToolError(f"days_ahead must be between 1 and 60, not {days_ahead}")
    runtime = call.runtime()
    now = runtime.clock.now()
    until = now + timedelta(days=days_ahead)
    found = runtime.records.meetings.for_user(call.user_id, now, until)
    meetings = [_meeting_view(m) for m in found if m.status != "cancelled"]
    return {"from": format_time(now), "until": format_time(until), "count": len(meetings), "meetings": meetings}


def save_prep_response(
    meeting_id: str, question: str, response: str, tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Save the user's answer to a meeting prep question on the meeting.

    Args:
        meeting_id: The meeting's id (from get_upcoming_meetings).
        question: The prep question that was asked.
        response: The user's answer.

    Returns:
        Confirmation with the number of answers now stored for the meeting.
    """
    call = call_context(tool_context)
    if not response.strip():
        raise ToolError("the response is empty; ask the user for their answer first")
    _own_meeting(call, meeting_id)
    runtime = call.runtime()
    question = question.strip()[:500] or "Notes"
    answer = {
        "response": response.strip()[:4000],
        "answered_at": format_time(runtime.clock.now()),
        "source": call.agent,
    }
    meetings = runtime.records.meetings
    try:
        saved = meetings.record_prep_response(meeting_id, question, answer)
        if saved.prep_status in ("", "not_started", "pending"):
            saved = meetings.update(meeting_id, prep_status="in_progress")
    except ConflictError as exc:
        raise ToolError(f"the meeting kept changing while saving; try again ({exc})") from None
    return {
        "status": "saved",
        "meeting_id": meeting_id,
        "title": saved.title,
        "answers_stored": len(saved.prep_responses),
    }


# Agenda templates per meeting type: (section, share of the meeting, what it is for). The meeting-prep
# plugin brings configurable meeting types later; these built-ins cover the common ones.
AGENDA_TEMPLATES: dict[str, list[tuple[str, float, str]]] = {
    "leadership": [
        ("Wins and headlines", 0.1, "one line per team"),
        ("Budget and spend", 0.2, "variances"),
        ("Big rocks", 0.3, "strategic initiatives at risk"),
        ("Decisions needed", 0.3, "owners"),
        ("Actions and owners", 0.1, "recap"),
    ],
    "budget_review": [
        ("Spend versus budget", 0.3, "by cost center"),
        ("Variances to explain", 0.3, "over budget"),
        ("Forecast and risks", 0.25, "rest of period"),
        ("Decisions and actions", 0.15, ""),
    ],
    "one_on_one": [
        ("Check-in", 0.15, "how things are going"),
        ("Their topics", 0.4, "first"),
        ("Your topics", 0.3, "feedback, priorities"),
        ("Growth and next steps", 0.15, ""),
    ],
    "qbr": [
        ("Quarter in review", 0.2, "results against plan"),
        ("Budget and spend", 0.2, ""),
        ("Big rocks", 0.25, "progress and blockers"),
        ("Next quarter priorities", 0.25, ""),
        ("Asks and decisions", 0.1, ""),
    ],
    "project_review": [
        ("Status and milestones", 0.3, ""),
        ("Risks and blockers", 0.3, ""),
        ("Decisions needed", 0.25, ""),
        ("Next steps", 0.15, ""),
    ],
    "customer": [
        ("Introductions and goals", 0.15, ""),
        ("Their priorities", 0.35, ""),
        ("Our proposal or update", 0.3, ""),
        ("Next steps", 0.2, ""),
    ],
    "general": [
        ("Opening and goals", 0.1, ""),
        ("Main discussion", 0.6, ""),
        ("Action items", 0.2, ""),
        ("Next steps", 0.1, ""),
    ],
}
_ALIASES = {
    "staff": "leadership",
    "exec": "leadership",
    "executive": "leadership",
    "1:1": "one_on_one",
    "1on1": "one_on_one",
    "one-on-one": "one_on_one",
    "quarterly_business_review": "qbr",
    "budget": "budget_review",
    "finance": "budget_review",
    "status": "project_review",
    "project": "project_review",
    "external": "customer",
    "client": "customer",
}
#: Context topics worth fetching for each template.
_TOPICS = {
    "leadership": ("budget", "big_rocks"),
    "budget_review": ("budget",),
    "qbr": ("budget", "big_rocks"),
    "project_review": ("big_rocks",),
}


def _template_name(meeting_type: str) -> str:
    key = meeting_type.strip().lower().replace(" ", "_")
    key = _ALIASES.get(key, key)
    return key if key in AGENDA_TEMPLATES else "general"


def _configured_template(
    call: CallContext, meeting_type: str | None
) -> tuple[str, list[tuple[str, float, str]], tuple[str, ...]] | None:
    """The agenda and context topics of ``meeting_type`` from the context providers of the ``meeting_type``
    topic (the meeting-prep plugin serves its configured meeting types there), if one defines it."""
    if not meeting_type or meeting_type == "default":
        return None
    for provider in call.runtime().agents.registry.providers_for("meeting_type"):
        try:
            kind = provider.fetch("meeting_type", call.user_id, {"meeting_type": meeting_type})
            agenda = [(str(s["section"]), float(s["share"]), str(s.get("purpose") or "")) for s in kind["agenda"]]
        except Exception:  # an invalid file is reported by its plugin; fall back to the built-ins
            continue
        if agenda:
            topics = tuple(t for t in kind.get("context_required", ()) if t in ("budget", "big_rocks"))
            return meeting_type, agenda, topics
    return None


def generate_meeting_agenda(meeting_id: str, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Generate an agenda for one of the user's meetings from its type, the prep answers and org context.

    Args:
        meeting_id: The meeting's id (from get_upcoming_meetings).

    Returns:
        Sections with minutes and notes, the prep answers to raise, and the context used.
    """
    call = call_context(tool_context)
    meeting = _own_meeting(call, meeting_id)
    template = _template_name(meeting.meeting_type or "general")
    sections_template, topics = AGENDA_TEMPLATES[template], _TOPICS.get(template, ())
    configured = _configured_template(call, meeting.meeting_type)
    if configured is not None:  # a type from config/meeting_types.yaml (the meeting-prep classifier's)
        template, sections_template, topics = configured
    minutes = int((meeting.end - meeting.start).total_seconds() // 60) or 30
    context = _gather(call, topics, _meeting_view(meeting))
    if "budget" in context:
        context["budget"] = _budget_view(context["budget"])
    if "big_rocks" in context:
        context["big_rocks"] = big_rocks_status(context["big_rocks"], _today(call))
    sections = []
    for title, share, purpose in sections_template:
        notes = [purpose] if purpose else []
        if title == "Budget and spend" or title.startswith("Spend") or title.startswith("Variances"):
            notes += [
                f"{c['name']}: {c['variance_pct']:+.1f}% ({c['status']})"
                for c in context.get("budget", {}).get("cost_centers", [])
                if c.get("status") != "on_track"
            ]
        if title == "Big rocks" or title.startswith("Risks"):
            notes += [
                f"{r['name']}: {r['progress_pct']}% ({r['status']})"
                for r in context.get("big_rocks", {}).get("initiatives", [])
                if r.get("status") != "on_track"
            ]
        sections.append({"title": title, "minutes": max(1, round(minutes * share)), "notes": notes})
    answers = [f"{question}: {_answer_text(answer)}" for question, answer in meeting.prep_responses.items()]
    if answers:
        sections.insert(1, {"title": "Points you prepared", "minutes": max(1, round(minutes * 0.1)), "notes": answers})
    return {
        "meeting_id": meeting_id,
        "title": meeting.title,
        "meeting_type": template,
        "duration_minutes": minutes,
        "sections": sections,
        "context_used": sorted(context),
        "context_unavailable": context.get("_unavailable", []),
    }


def _answer_text(answer: Any) -> str:
    return str(answer.get("response", answer)) if isinstance(answer, Mapping) else str(answer)


# -- context ---------------------------------------------------------------------------------------------


def _gather(call: CallContext, topics: tuple[str, ...], meeting: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each topic's merged context, fetched from every provider in parallel."""
    found: dict[str, Any] = {}
    unavailable: list[str] = []
    for topic in topics:
        try:
            found[topic] = _topic(call, topic, meeting)
        except ToolError as exc:
            unavailable.append(str(exc))
    if unavailable:
        found["_unavailable"] = unavailable
    return found


def _topic(call: CallContext, topic: str, meeting: Mapping[str, Any] | None) -> dict[str, Any]:
    providers = call.runtime().agents.registry.providers_for(topic)
    if not providers:
        raise ToolError(f"no context provider offers {topic!r}; add config/context/{topic}.yaml or a provider plugin")
    settings = _settings(call)
    calls: dict[str, Callable[[], Any]] = {p.name: partial(p.fetch, topic, call.user_id, meeting) for p in providers}
    outcomes = fetch_all(calls, timeout=settings.fetch_timeout, attempts=settings.fetch_attempts)
    good = {name: o.value for name, o in outcomes.items() if o.ok and isinstance(o.value, dict)}
    failed = [
        f"{name}: {o.error}" if not o.ok else f"{name}: returned {type(o.value).__name__}, not a mapping"
        for name, o in outcomes.items()
        if name not in good
    ]
    if not good:
        raise ToolError(f"{topic} context is unavailable ({'; '.join(failed)})")
    merged = next(iter(good.values())) if len(good) == 1 else {"sources": good}
    if failed:
        merged = {**merged, "unavailable_sources": failed}
    return merged


def _today(call: CallContext) -> date:
    return call.runtime().clock.now().astimezone(UTC).date()


def get_budget_context(cost_center: str | None = None, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Get the current budget status: spend against budget and variance per cost center.

    Args:
        cost_center: Only this cost center (case-insensitive); all when omitted.

    Returns:
        Totals and cost centers with budget, actual, variance in percent and on_track / over_budget status.
    """
    call = call_context(tool_context)
    result = _budget_view(_topic(call, "budget", None))
    if cost_center:
        wanted = cost_center.strip().lower()
        result["cost_centers"] = [c for c in result["cost_centers"] if str(c.get("name", "")).lower() == wanted]
        if not result["cost_centers"]:
            raise LookupError(f"no cost center called {cost_center!r}")
        result["over_budget"] = [c["name"] for c in result["cost_centers"] if c["status"] == "over_budget"]
    return result


def _budget_view(data: Mapping[str, Any]) -> dict[str, Any]:
    """Budget context with variance and status computed per cost center and in total."""
    centers = [_variance(c) for c in data.get("cost_centers", []) if isinstance(c, Mapping)]
    result: dict[str, Any] = {k: v for k, v in data.items() if k not in ("cost_centers", "total")}
    if isinstance(data.get("total"), Mapping):
        result["total"] = _variance({"name": "total", **data["total"]})
    result["cost_centers"] = centers
    result["over_budget"] = [c["name"] for c in centers if c["status"] == "over_budget"]
    return result


def _variance(center: Mapping[str, Any]) -> dict[str, Any]:
    budget, actual = float(center.get("budget") or 0), float(center.get("actual") or 0)
    variance = (actual - budget) / budget * 100 if budget else 0.0
    status = "over_budget" if variance > 2 else ("under_budget" if variance < -10 else "on_track")
    return {**center, "variance_pct": round(variance, 1), "status": status}


def get_big_rocks_status(tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Get the status of the strategic initiatives (big rocks): progress, schedule and blockers.

    Returns:
        Initiatives with progress, expected progress by today, status (on_track / at_risk / blocked / done)
        and blockers.
    """
    call = call_context(tool_context)
    return big_rocks_status(_topic(call, "big_rocks", None), _today(call))


# -- registration ----------------------------------------------------------------------------------------


TOOLS: tuple[ToolRegistration, ...] = (
    crewbot_tool(side_effects="read")(get_upcoming_meetings),
    crewbot_tool(side_effects="write")(save_prep_response),
    crewbot_tool(side_effects="read")(generate_meeting_agenda),
    crewbot_tool(side_effects="read")(get_budget_context),
    crewbot_tool(side_effects="read")(get_big_rocks_status),
)


@hookimpl
def register_settings() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tools() -> list[ToolRegistration]:
    return list(TOOLS)


@hookimpl
def register_agents() -> list[Path]:
    return [data_dir("agents") / "meeting_coordinator.yaml"]


@hookimpl
def register_context_providers(settings: Settings | None) -> list[YamlContextProvider]:
    folder = settings.context_dir if settings and settings.context_dir else data_dir("config") / "context"
    return [YamlContextProvider(Path(folder))]
