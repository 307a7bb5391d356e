"""Reminders for the crew's open questions: 30 minutes after a question, then daily, never in the approvers'
quiet hours; after a day the reminder goes to every approver (mentioned in the channel and by DM).

Each reminder is a one-off event on the runtime's scheduler (``crewbot.scheduler.once``: the local
scheduler on the runtime clock, EventBridge Scheduler in AWS) delivered to :func:`on_reminder_due`, which
posts it when the question is still open and schedules the next one. An answered or superseded question
simply stops: the next event finds it closed.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from plugins.projects.crew import PHASES
from plugins.projects.records import project_records

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

EVENT_SOURCE = "crewbot.projects"
REMINDER_EVENT = "ProjectQuestionReminderDue"
FIRST_REMINDER = timedelta(minutes=30)
EVERY = timedelta(days=1)
ESCALATE_AFTER = timedelta(days=1)
_STEP = timedelta(minutes=15)


def schedule_name(project_id: str, question_id: str) -> str:
    return f"project-question-{project_id}-{question_id.split('#', 1)[-1]}"[:64]


def schedule_first(crewbot: Crewbot, question: dict[str, Any]) -> None:
    """Schedule the first reminder of a new question."""
    asked = crewbot.clock.now()
    _schedule(crewbot, question, asked + FIRST_REMINDER)


def cancel(crewbot: Crewbot, project_id: str, question_id: str) -> None:
    try:
        crewbot.scheduler.cancel(schedule_name(project_id, question_id))
    except Exception as exc:  # a reminder that still fires finds the question closed and stops
        logger.info("could not cancel the reminder of %s/%s: %s", project_id, question_id, exc)


def _schedule(crewbot: Crewbot, question: dict[str, Any], when: datetime) -> None:
    crewbot.scheduler.once(
        schedule_name(question["project_id"], question["item_id"]),
        when,
        EVENT_SOURCE,
        REMINDER_EVENT,
        {"project_id": question["project_id"], "question_id": question["item_id"]},
    )


def in_quiet_hours(start: str, end: str, zone: str, moment: datetime) -> bool:
    """Whether ``moment`` falls in ``start``-``end`` (``HH:MM``, may wrap midnight) in time zone ``zone``."""
    if not start or not end:
        return False
    try:
        begin, finish, local = time.fromisoformat(start), time.fromisoformat(end), moment.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        return False
    now = local.time()
    return begin <= now < finish if begin <= finish else (now >= begin or now < finish)


def quiet_for_all(crewbot: Crewbot, approvers: list[str], moment: datetime) -> bool:
    """Quiet when it is quiet hours for every approver (each in their own Slack time zone)."""
    from plugins.projects.service import project_service

    quiet = project_service(crewbot).settings.reminders.quiet_hours
    if not quiet.start or not quiet.end:
        return False
    zones = []
    for user_id in approvers or [""]:
        user = crewbot.records.users.get(user_id) if user_id else None
        zones.append(user.timezone if user and user.timezone else quiet.timezone)
    return all(in_quiet_hours(quiet.start, quiet.end, zone, moment) for zone in zones)


def after_quiet_hours(crewbot: Crewbot, approvers: list[str], moment: datetime) -> datetime:
    """``moment``, or the first quarter hour after it outside everyone's quiet hours (at most a day later)."""
    when = moment
    for _ in range(int(timedelta(days=1) / _STEP)):
        if not quiet_for_all(crewbot, approvers, when):
            return when
        when += _STEP
    return moment


def on_reminder_due(crewbot: Crewbot, detail: dict[str, Any]) -> None:
    """A reminder fell due: post it (unless the question is closed or it is quiet hours) and plan the next."""
    from plugins.projects.service import project_service
    from plugins.projects.slack_ui import post, question_blocks

    service = project_service(crewbot)
    project_id, question_id = str(detail.get("project_id", "")), str(detail.get("question_id", ""))
    question = service.items.get(project_id, question_id)
    project = project_records(crewbot).projects.get(project_id)
    if question is None or project is None or question.get("status") != "open":
        return
    if project.status in ("cancelled", "completed"):
        return
    now = crewbot.clock.now()
    everyone = list(dict.fromkeys([*project.approvers, *service.settings.approvers]))
    if quiet_for_all(crewbot, everyone, now):
        _schedule(crewbot, question, after_quiet_hours(crewbot, everyone, now))
        return
    asked = datetime.fromisoformat(str(question["created_at"]).replace("Z", "+00:00"))
    escalate = now - asked >= ESCALATE_AFTER
    sent = int(question.get("reminders", 0)) + 1
    whom = everyone if escalate else [project.created_by or (project.approvers or [""])[0]]
    mentions = " ".join(f"<@{u}>" for u in whom if u)
    waited = _waited(now - asked)
    prefix = "⏰ *Still waiting* (escalated to every approver)" if escalate else "⏰ *Reminder*"
    text = (
        f"{prefix} {mentions}: {question['agent']} asked {waited} ago in {PHASES[question['phase']].title} of "
        f"*{project.name}*, and the phase is paused until someone answers."
    )
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, *question_blocks(project, question)]
    post(crewbot, project.channel_id, text, blocks)
    if escalate and not question.get("escalated"):
        for user_id in everyone:
            post(crewbot, user_id, f"{text} (in <#{project.channel_id}>)", blocks)
        crewbot.records.audit.record(
            f"project#{project_id}", "crew", "question_escalated", question["phase"], question_id=question_id
        )
    service.items.update(project_id, question_id, reminders=sent, escalated=escalate, reminded_at=service.items.stamp())
    _schedule(crewbot, question, after_quiet_hours(crewbot, everyone, now + EVERY))


def _waited(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours"
    return f"{minutes // (24 * 60)} days"
