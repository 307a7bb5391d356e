"""The MeetingPrepWorkflow's task handlers (``workflows/meeting_prep.asl.json``).

Each handler is idempotent (the runner calls handlers at least once): it reads the meeting record,
writes whole fields and posts at most one message per call. In AWS each runs in its own Lambda
(``bot.entrypoints.workflows.handler`` with ``CREWBOT_WORKFLOW_TASK=<Name>``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.api import Meeting, TaskFailure, WorkflowTask, fetch_all, format_time, parse_time
from plugins.meeting_prep import notify, timing
from plugins.meeting_prep.classify import load_meeting_types
from plugins.meeting_prep.materials import build_materials, coordinator_briefing, highlights
from plugins.meeting_prep.monitor import prep_version
from plugins.meeting_prep.settings import settings_of
from plugins.meeting_prep.timing import user_zone_name

if TYPE_CHECKING:
    from bot.api import Crewbot, TaskContext

logger = logging.getLogger(__name__)

EVENT_SOURCE = "crewbot.meeting-prep"
REMINDER_EVENT = "MeetingReminderDue"
SNOOZE_EVENT = "PrepSnoozeElapsed"
#: An unanswered prep chat's deadline (see :func:`plugins.meeting_prep.timing.chat_deadline`).
DEADLINE_EVENT = "PrepChatDeadline"
#: The error the deadline sends to the waiting task; the workflow catches it like its own timeout.
CHAT_TIMED_OUT = "Prep.ChatTimedOut"
#: Context larger than this (JSON) is summarised by its highlights only in the workflow's state.
MAX_CONTEXT_BYTES = 16_000


def _meeting(crewbot: Crewbot, meeting_id: str) -> Meeting:
    meeting = crewbot.records.meetings.get(str(meeting_id))
    if meeting is None:
        raise TaskFailure("Meeting.NotFound", f"no meeting {meeting_id}")
    return meeting


def meeting_view(crewbot: Crewbot, meeting: Meeting) -> dict[str, Any]:
    """What the workflow carries about a meeting (no prep answers: those are read fresh when needed)."""
    types = load_meeting_types(settings_of(crewbot).meeting_types_file)
    kind = types.get(meeting.meeting_type)
    user = crewbot.records.users.get(meeting.user_id)
    return {
        "meeting_id": meeting.meeting_id,
        "user_id": meeting.user_id,
        "title": meeting.title or "(untitled)",
        "description": meeting.description[:2000],
        "start": format_time(meeting.start),
        "end": format_time(meeting.end),
        "timezone": meeting.timezone,
        "user_timezone": user_zone_name(user),
        "all_day": meeting.all_day,
        "meeting_type": meeting.meeting_type or "default",
        "type_label": types.label(meeting.meeting_type),
        "attendees": [a.name or a.email for a in meeting.attendees][:50],
        "location": meeting.location,
        "video_link": meeting.video_link,
        "prep_version": prep_version(meeting),
        "context_required": list(kind.context_required),
        "questions": list(kind.prep_questions),
    }


def load_meeting(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    meeting = _meeting(crewbot, payload["meeting_id"])
    view = meeting_view(crewbot, meeting)
    reason = ""
    if meeting.status == "cancelled":
        reason = "the meeting was cancelled"
    elif meeting.start <= crewbot.clock.now():
        reason = "the meeting has started"
    elif payload.get("prep_version") and payload["prep_version"] != view["prep_version"]:
        reason = "the meeting moved since this prep was planned"
    elif not load_meeting_types(settings_of(crewbot).meeting_types_file).prepares(meeting.meeting_type):
        reason = f"not a meeting to prepare ({view['type_label'].lower()})"
    if reason:
        timing.log_skipped("prep", meeting.meeting_id, reason)
    view["prepare"] = not reason
    view["reason"] = reason
    return view


def fetch_context(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """One GatherContext branch: the topic's context from every provider, or a failure the branch catches."""
    crewbot: Crewbot = ctx.crewbot
    topic = str(payload["topic"])
    meeting = payload["meeting"]
    if topic not in meeting.get("context_required", []):
        return {"topic": topic, "status": "not_needed"}
    providers = crewbot.agents.registry.providers_for(topic)
    if not providers:
        raise TaskFailure("Context.NoProvider", f"no context provider offers {topic!r}")
    calls: dict[str, Callable[[], Any]] = {
        p.name: partial(p.fetch, topic, meeting["user_id"], meeting) for p in providers
    }
    outcomes = fetch_all(calls, timeout=20, attempts=2)
    good = {name: o.value for name, o in outcomes.items() if o.ok and isinstance(o.value, Mapping)}
    if not good:
        errors = "; ".join(f"{name}: {o.error or 'not a mapping'}" for name, o in outcomes.items())
        raise TaskFailure("Context.Unavailable", f"{topic}: {errors}")
    data = next(iter(good.values())) if len(good) == 1 else {"sources": good}
    notes, questions = highlights(topic, data, crewbot.clock.now().astimezone(UTC).date())
    result: dict[str, Any] = {"topic": topic, "status": "ok", "notes": notes[:20], "questions": questions[:20]}
    # Step Functions carries at most 256 KB of state: large context stays out, its highlights travel.
    size = len(json.dumps(data, default=str))
    if size <= MAX_CONTEXT_BYTES:
        result["data"] = data
    else:
        result["data_omitted"] = f"{size} bytes"
    return result


def send_prep_notification(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    meeting = payload["meeting"]
    user_id = str(meeting["user_id"])
    stored = _meeting(crewbot, meeting["meeting_id"])
    sent = getattr(stored, "prep_notification", None)
    execution = payload.get("execution") or meeting["prep_version"]
    if isinstance(sent, dict) and sent.get("execution") == execution:
        return {"channel": sent.get("channel"), "ts": sent.get("ts")}  # a retry after the post: post once
    text = f"Time to prepare: {meeting['title']} ({notify.when_text(meeting)})"
    try:
        posted = notify.post(crewbot, user_id, text, notify.notification_blocks(meeting, payload.get("context", [])))
    except Exception as exc:
        user = crewbot.records.users.get(user_id)
        if user is None or not user.phone or not settings_of(crewbot).sms_fallback:
            raise TaskFailure("Notification.Failed", f"Slack: {type(exc).__name__}: {exc}") from exc
        logger.warning("Slack notification for %s failed (%s): SMS fallback", meeting["meeting_id"], exc)
        notify.send_sms(
            crewbot,
            user_id,
            user.phone,
            f"Crewbot: time to prepare for {meeting['title']} ({notify.when_text(meeting)}). "
            "Open Slack and send /prep to start.",
        )
        posted = {"channel": "sms", "ts": ""}
    crewbot.records.meetings.update(
        meeting["meeting_id"],
        prep_status="notified",
        prep_notification={**posted, "version": meeting["prep_version"], "execution": execution},
    )
    return posted


def wait_for_chat_completion(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """Keep the task token server-side, on the meeting; the prep chat answers it when done. An unanswered
    chat closes at its deadline (the earlier of 24 hours and 30 minutes before the meeting), so the
    materials arrive before the meeting starts: a one-off schedule that fails the wait."""
    crewbot: Crewbot = ctx.crewbot
    meeting = payload["meeting"]
    now = crewbot.clock.now()
    deadline = timing.chat_deadline(parse_time(meeting["start"]), now)
    crewbot.records.meetings.update(
        meeting["meeting_id"],
        prep_token=payload["taskToken"],
        prep_execution=payload.get("execution"),
        prep_deadline=format_time(deadline),
    )
    crewbot.scheduler.once(
        deadline_schedule_name(meeting["meeting_id"], meeting["prep_version"]),
        deadline,
        EVENT_SOURCE,
        DEADLINE_EVENT,
        {"meeting_id": meeting["meeting_id"], "prep_version": meeting["prep_version"]},
    )
    return {"waiting": True, "deadline": format_time(deadline)}


def deadline_schedule_name(meeting_id: str, version: str) -> str:
    """The one-off schedule that closes an unanswered prep chat."""
    return f"prep-deadline-{meeting_id}-{version}"


def generate_materials(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    state = payload["state"]
    meeting = state["meeting"]
    stored = _meeting(crewbot, meeting["meeting_id"])
    chat = getattr(stored, "prep_chat", None)
    if "chat_timeout" in state and isinstance(chat, dict) and chat.get("state") == "open":
        # The chat's time is up: later replies must not be taken for answers to a finished prep.
        closed = {**chat, "state": "closed", "closed_by": "timeout"}
        crewbot.records.meetings.update(stored.meeting_id, prep_chat=closed)
    kind = load_meeting_types(settings_of(crewbot).meeting_types_file).get(meeting["meeting_type"])
    materials = build_materials(
        meeting,
        kind,
        state.get("context", []),
        stored.prep_responses,
        crewbot.clock.now().astimezone(UTC).date(),
        chat_timed_out="chat_timeout" in state,
    )
    briefing = coordinator_briefing(crewbot, meeting["user_id"], meeting["meeting_id"], materials.markdown())
    if briefing:
        materials.briefing, materials.generated_by = briefing, "Meeting Coordinator"
    return {
        "title": materials.title,
        "markdown": materials.markdown(),
        "html": materials.html(),
        "preview": materials.preview(),
        "generated_by": materials.generated_by,
        "timed_out": "chat_timeout" in state,
    }


def store_materials(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    meeting, materials = payload["meeting"], payload["materials"]
    prefix = f"{meeting['user_id']}/{meeting['meeting_id']}/"
    blobs = crewbot.store.blobs("materials")
    keys = {"markdown": prefix + "materials.md", "html": prefix + "materials.html"}
    blobs.put(keys["markdown"], materials["markdown"].encode(), "text/markdown; charset=utf-8")
    blobs.put(keys["html"], materials["html"].encode(), "text/html; charset=utf-8")
    crewbot.records.meetings.update(
        meeting["meeting_id"], prep_status="ready", materials=keys, materials_at=format_time(crewbot.clock.now())
    )
    return keys


def send_materials(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    meeting, keys = payload["meeting"], payload["stored"]
    blobs = crewbot.store.blobs("materials")
    url = blobs.url(keys["html"], expires_in=settings_of(crewbot).link_seconds)
    markdown_url = blobs.url(keys["markdown"], expires_in=settings_of(crewbot).link_seconds)
    text = f"Materials ready: {meeting['title']} — {url}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Materials ready: {meeting['title']}*\n{notify.when_text(meeting)}"},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Agenda*\n```" + payload["preview"] + "```"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"<{url}|Open the materials (HTML)> · <{markdown_url}|Markdown>"},
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Links are valid for 24 hours; `/prep` shows your meetings and prep status."}
            ],
        },
    ]
    return notify.post(crewbot, str(meeting["user_id"]), text, blocks)


def schedule_reminder(payload: Mapping[str, Any], ctx: TaskContext) -> dict[str, Any]:
    """The reminder at the later of ``start - reminder_hours_before`` and 5 minutes from now (a short prep
    lead still gets one), unless the meeting is about to start."""
    crewbot: Crewbot = ctx.crewbot
    meeting = payload["meeting"]
    when = timing.reminder_time(
        parse_time(meeting["start"]), crewbot.clock.now(), settings_of(crewbot).reminder_hours_before
    )
    if when is None:
        timing.log_skipped("reminder", meeting["meeting_id"], "the meeting starts too soon for a reminder")
        return {"scheduled": False, "reason": "the meeting starts too soon for a reminder"}
    name = f"prep-reminder-{meeting['meeting_id']}-{meeting['prep_version']}"
    crewbot.scheduler.once(
        name,
        when,
        EVENT_SOURCE,
        REMINDER_EVENT,
        {"meeting_id": meeting["meeting_id"], "prep_version": meeting["prep_version"]},
    )
    return {"scheduled": True, "at": format_time(when), "name": name}


def workflow_tasks() -> list[WorkflowTask]:
    """The task registrations; each handler finds the runtime in its ``TaskContext``."""

    return [
        WorkflowTask("LoadMeeting", load_meeting, "Load the meeting and decide whether it still needs prep"),
        WorkflowTask("FetchContext", fetch_context, "One context topic for the meeting (a Parallel branch)"),
        WorkflowTask("SendPrepNotification", send_prep_notification, "DM with Start prep / Snooze / Skip"),
        WorkflowTask(
            "WaitForChatCompletion", wait_for_chat_completion, "Keep the task token for the chat", waits_for_person=True
        ),
        WorkflowTask("GenerateMaterials", generate_materials, "Agenda, question bank, notes template"),
        WorkflowTask("StoreMaterials", store_materials, "Materials into the blob store"),
        WorkflowTask("SendMaterials", send_materials, "Preview and link in Slack"),
        WorkflowTask("ScheduleReminder", schedule_reminder, "Reminder DM before the meeting"),
    ]
