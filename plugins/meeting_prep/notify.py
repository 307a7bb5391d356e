"""Posting meeting-prep messages: the prep notification (with its buttons), materials, reminders, SMS.

Every message goes to the user's notification channel (``/prep settings``; their DM by default)
through the runtime's Slack client. When Slack fails for the prep notification and the user has a phone
number, an SMS goes out instead: SNS ``Publish`` in AWS; locally the SMS is written to the log and the
audit log (``sms.sent``) so it is visible without a phone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.api import parse_time, slack_client
from plugins.meeting_prep import timing
from plugins.meeting_prep.monitor import prep_settings

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

START, SNOOZE, SKIP, PREP_NOW = "meeting_prep_start", "meeting_prep_snooze", "meeting_prep_skip", "meeting_prep_now"


def channel_for(crewbot: Crewbot, user_id: str) -> str:
    """Where this user's prep messages go: their chosen channel, else their DM (the user id)."""
    user = crewbot.records.users.get(user_id)
    channel = prep_settings(user).get("notification_channel")
    return str(channel) if channel else user_id


def when_text(meeting: Mapping[str, Any], zone_name: str | None = None) -> str:
    """A meeting's time in the user's zone (``user_timezone`` of the view, or ``zone_name``), with the
    meeting's own zone alongside when it differs."""
    shown = zone_name or str(meeting.get("user_timezone") or meeting.get("timezone") or "UTC")
    start: datetime = parse_time(meeting["start"])
    end: datetime = parse_time(meeting["end"])
    return timing.when_text(start, end, bool(meeting.get("all_day")), meeting.get("timezone"), shown)


def context_line(context: list[Mapping[str, Any]]) -> str:
    parts = []
    for entry in context:
        status = entry.get("status")
        if status == "not_needed":
            continue
        name = str(entry.get("topic", "?")).replace("_", " ")
        parts.append(f"{name} ✓" if status == "ok" else f"{name} ✗ unavailable")
    return "Context: " + (", ".join(parts) if parts else "none needed")


def notification_blocks(meeting: Mapping[str, Any], context: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    meeting_id = str(meeting["meeting_id"])
    questions = len(meeting.get("questions", []))
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Time to prepare: {meeting['title']}"[:150]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*When*\n{when_text(meeting)}"},
                {"type": "mrkdwn", "text": f"*Type*\n{meeting.get('type_label')}"},
                {"type": "mrkdwn", "text": f"*Attendees*\n{len(meeting.get('attendees', []))}"},
                {"type": "mrkdwn", "text": f"*Prep*\n{questions} question{'s' if questions != 1 else ''}, ~5 min"},
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context_line(context)}]},
        {
            "type": "actions",
            "block_id": f"prep_{meeting_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": START,
                    "style": "primary",
                    "value": meeting_id,
                    "text": {"type": "plain_text", "text": "Start prep"},
                },
                {
                    "type": "button",
                    "action_id": SNOOZE,
                    "value": meeting_id,
                    "text": {"type": "plain_text", "text": "Snooze"},
                },
                {
                    "type": "button",
                    "action_id": SKIP,
                    "value": meeting_id,
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Skip"},
                },
            ],
        },
    ]


def post(
    crewbot: Crewbot, user_id: str, text: str, blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    """Post to the user's prep channel; returns ``{"channel", "ts"}``."""
    client = slack_client(crewbot)
    kwargs: dict[str, Any] = {"channel": channel_for(crewbot, user_id), "text": text}
    if blocks:
        kwargs["blocks"] = blocks
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    answer = client.chat_postMessage(**kwargs)
    return {"channel": str(answer.get("channel") or kwargs["channel"]), "ts": str(answer.get("ts") or "")}


def send_sms(crewbot: Crewbot, user_id: str, phone: str, message: str) -> str:
    """Send an SMS (SNS in AWS); locally record it in the log and audit log. Returns how it went out."""
    masked = phone[:3] + "…" + phone[-2:] if len(phone) > 5 else "…"
    if crewbot.config.runtime == "aws":
        import boto3

        boto3.client("sns", region_name=crewbot.config.aws.region).publish(PhoneNumber=phone, Message=message[:1400])
        how = "sns"
    else:
        logger.warning("SMS (local, not sent) to %s for %s: %s", masked, user_id, message)
        how = "local-log"
    crewbot.records.audit.record(f"user#{user_id}", "meeting-prep", "sms.sent", masked, via=how, message=message)
    return how
