"""``/prep`` and the prep buttons: list, sync, connect, settings; Start prep / Snooze / Skip / Prep now.

Only a meeting's owner may press its buttons (anyone else is told so, and the refusal is audited); a
second press of a finished prep says it is already done.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.api import ConnectionRepository, ExecutionAlreadyExists, Meeting, TaskTokenError, format_time
from plugins.meeting_prep import chat, notify
from plugins.meeting_prep.classify import load_meeting_types
from plugins.meeting_prep.monitor import CalendarMonitor, UserCounts, in_quiet_hours, prep_settings, prep_version
from plugins.meeting_prep.oauth import (
    calendar_providers,
    connect_hint,
    connect_kind,
    provider_named,
    start_authorization,
)
from plugins.meeting_prep.settings import monitor_options, settings_of
from plugins.meeting_prep.timing import log_skipped, user_zone_name, zone_named

if TYPE_CHECKING:
    from bot.api import CalendarProvider, Crewbot

logger = logging.getLogger(__name__)

WORKFLOW = "meeting_prep"
SETTINGS_VIEW = "meeting_prep_settings"
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def start_prep_workflow(
    crewbot: Crewbot, meeting: Meeting, *, again: bool = False, attempt: int = 1
) -> tuple[str, bool]:
    """Start the MeetingPrepWorkflow for the meeting's current version: ``(execution name, started)``.

    The execution name is ``<meeting id>-<prep version>`` (``-a<n>`` for the monitor's n-th attempt), so the
    same version is prepared once however often the event arrives; ``again`` starts a fresh run (``/prep`` →
    Prep now after a finished one).
    """
    version = prep_version(meeting)
    name = f"{meeting.meeting_id}-{version}"
    if attempt > 1:  # the monitor announces a stalled prep again: a new execution per attempt
        name += f"-a{attempt}"
    if again:
        name += "-" + crewbot.clock.now().strftime("%Y%m%dT%H%M%S")
    try:
        crewbot.workflows.start(WORKFLOW, {"meeting_id": meeting.meeting_id, "prep_version": version}, name=name)
    except ExecutionAlreadyExists:
        return name, False
    return name, True


# -- /prep -------------------------------------------------------------------------------------------

USAGE = "[sync | connect CALENDAR | settings]"


def connect_choices(crewbot: Crewbot) -> str:
    """``/prep connect google``, ``/prep connect ics URL`` …: one per registered calendar provider."""
    hints = [f"`/prep connect {connect_hint(p)}`" for p in calendar_providers(crewbot)]
    if len(hints) > 1:
        return ", ".join(hints[:-1]) + " or " + hints[-1]
    return hints[0] if hints else "(no calendar provider is enabled)"


def prep_command(respond: Any, command: dict[str, Any], client: Any, crewbot: Crewbot) -> None:
    words = (command.get("text") or "").split()
    sub = words[0].lower() if words else ""
    user_id = command["user_id"]
    if sub in ("", "list", "meetings"):
        respond(**meeting_list(crewbot, user_id))
    elif sub == "sync":
        respond(sync_text(crewbot, user_id))
    elif sub == "connect":
        respond(connect(crewbot, user_id, words[1:], client))
    elif sub == "settings":
        client.views_open(trigger_id=command["trigger_id"], view=settings_view(crewbot, user_id))
    else:
        respond(f"I don't know `/prep {sub}`. Usage: `/prep {USAGE}`; {connect_choices(crewbot)} connects a calendar.")


def meeting_list(crewbot: Crewbot, user_id: str, days: int = 7, limit: int = 10) -> dict[str, Any]:
    now = crewbot.clock.now()
    types = load_meeting_types(settings_of(crewbot).meeting_types_file)
    meetings = [
        m
        for m in crewbot.records.meetings.for_user(user_id, now, now + timedelta(days=days))
        if m.status != "cancelled"
    ][:limit]
    if not meetings:
        return {
            "text": f"No meetings in the next {days} days. `/prep sync` reads your calendar now; "
            f"{connect_choices(crewbot)} connects one."
        }
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Your next meetings"}}]
    lines = []
    zone = user_zone_name(crewbot.records.users.get(user_id))
    for m in meetings:
        view = {
            "start": format_time(m.start),
            "end": format_time(m.end),
            "timezone": m.timezone,
            "user_timezone": zone,
            "all_day": m.all_day,
        }
        status = m.prep_status.replace("_", " ") if types.prepares(m.meeting_type) else "not prepared"
        line = f"*{m.title or '(untitled)'}* — {notify.when_text(view)}\n{types.label(m.meeting_type)} · prep: {status}"
        lines.append(line.replace("\n", " · "))
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": line},
                "accessory": {
                    "type": "button",
                    "action_id": notify.PREP_NOW,
                    "value": m.meeting_id,
                    "text": {"type": "plain_text", "text": "Prep now"},
                },
            }
        )
    return {"text": "Your next meetings:\n" + "\n".join(lines), "blocks": blocks}


def sync_counts(crewbot: Crewbot, user_id: str) -> UserCounts:
    """Sync the user's calendars now: the run's counts for them."""
    crewbot.records.users.get_or_create(user_id)
    return CalendarMonitor(crewbot, monitor_options(crewbot)).run([user_id]).users[0]


def sync_text(crewbot: Crewbot, user_id: str, counts: UserCounts | None = None) -> str:
    counts = counts or sync_counts(crewbot, user_id)
    text = (
        f"Calendar synced: {counts.fetched} events read, {counts.new} new, {counts.updated} updated, "
        f"{counts.moved} moved, {counts.cancelled} cancelled; {counts.prep_events} meeting"
        f"{'s' if counts.prep_events != 1 else ''} to prepare now."
    )
    if counts.errors:
        text += "\nProblems: " + "; ".join(counts.errors)
    if counts.warnings:
        text += "\nNotes: " + "; ".join(counts.warnings[:5]) + (" …" if len(counts.warnings) > 5 else "")
    return text


#: The runtime service key of the local OAuth callback server (``Crewbot.close`` stops it).
OAUTH_SERVER = "meeting_prep.oauth_server"


def callback_base_url(crewbot: Crewbot) -> str:
    """Where the provider sends the user back: the configured public URL in AWS; locally the callback
    server on 127.0.0.1 (started on first use in this process)."""
    settings = settings_of(crewbot)
    if crewbot.config.runtime == "aws":
        if not settings.oauth_base_url:
            raise ValueError(
                "plugins.settings.meeting_prep.oauth_base_url is not set (the public URL of the "
                "Slack Lambda's API, which serves /oauth/<provider>/callback)"
            )
        return settings.oauth_base_url
    from bot.api import serve

    server = crewbot.service(OAUTH_SERVER, lambda: serve(crewbot, settings.local_oauth_port))
    return str(server.base_url)


def connect(crewbot: Crewbot, user_id: str, args: list[str], client: Any) -> str:
    if not args:
        return f"Usage: {connect_choices(crewbot)}"
    which = args[0].lower()
    crewbot.records.users.get_or_create(user_id)
    provider = provider_named(crewbot, which)
    if provider is None:
        return f"I can connect a calendar with {connect_choices(crewbot)}, not `{which}`."
    if connect_kind(provider) == "url":
        return connect_source(crewbot, user_id, provider, args[1:])
    secret = getattr(provider, "secret", None)
    if isinstance(secret, str) and not crewbot.secrets.is_set(secret):
        # Checked before starting anything (such as the local callback server).
        return (
            f"Sorry, I could not start connecting {provider.label}: the secret {secret} is not set "
            f"({crewbot.secrets.describe(secret)})."
        )
    try:
        url = start_authorization(crewbot, user_id, provider, callback_base_url(crewbot))
    except Exception as exc:
        logger.warning("could not start %s authorization: %s", which, exc)
        return f"Sorry, I could not start connecting {provider.label}: {exc}"
    client.chat_postMessage(
        channel=user_id,
        text=f"Connect your {provider.label}: {url}",
        blocks=[
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"Connect your {provider.label} (read-only). The link works once, for "
                    f"10 minutes:\n<{url}|Open {provider.label} consent page>",
                },
            }
        ],
    )
    return f"I sent you a link in a DM to connect {provider.label}."


def connect_source(crewbot: Crewbot, user_id: str, provider: CalendarProvider, args: list[str]) -> str:
    """Connect a calendar given by a URL or path, and say whether its first sync worked."""
    if not args:
        return f"Usage: `/prep connect {connect_hint(provider)}` (for example https://…/calendar.ics)"
    source = args[0].strip("<>").split("|")[0]  # Slack wraps links as <url|text>
    check = getattr(provider, "check_source", None)
    if callable(check):
        try:
            source = str(check(source))
        except ValueError as exc:
            return f"Sorry: {exc}."
    ConnectionRepository(crewbot).connect(user_id, provider.name, source=source)
    counts = sync_counts(crewbot, user_id)
    label = provider.label
    failed = [e for e in counts.errors if e.startswith(f"{label}:")]
    if failed:
        reasons = "; ".join(e.removeprefix(f"{label}:").strip() for e in failed)
        return (
            f"I saved your {label}, but its first sync did not work: {reasons}. I will try again on the next "
            f"sync; `/prep connect {connect_hint(provider)}` with another link replaces it."
        )
    return f"{label} connected. " + sync_text(crewbot, user_id, counts)


# -- settings modal ------------------------------------------------------------------------------------


def settings_view(crewbot: Crewbot, user_id: str) -> dict[str, Any]:
    user = crewbot.records.users.get(user_id)
    current = prep_settings(user)
    slack_zone = str(getattr(user, "slack_timezone", None) or (user.timezone if user else "UTC"))
    types = load_meeting_types(settings_of(crewbot).meeting_types_file)
    hours = current.get("prep_hours") or {}
    lead = ", ".join(f"{name}={hours.get(name, t.prep_hours_before):g}" for name, t in types.meeting_types.items())
    quiet = current.get("quiet_hours") or {}

    def text_input(block_id: str, label: str, value: str, hint: str, optional: bool = True) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id}
        if value:
            element["initial_value"] = value
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "element": element,
            "label": {"type": "plain_text", "text": label},
            "hint": {"type": "plain_text", "text": hint},
        }

    return {
        "type": "modal",
        "callback_id": SETTINGS_VIEW,
        "title": {"type": "plain_text", "text": "Prep settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            text_input("lead_times", "Prep lead times (hours per type)", lead, "type=hours, comma separated"),
            text_input(
                "timezone",
                "Time zone",
                str(current.get("timezone", "")),
                f"an IANA name such as Europe/Paris; empty: your Slack time zone ({slack_zone})",
            ),
            text_input("quiet_start", "Quiet hours start", str(quiet.get("start", "")), "HH:MM, your time zone"),
            text_input("quiet_end", "Quiet hours end", str(quiet.get("end", "")), "HH:MM"),
            text_input(
                "channel",
                "Notification channel",
                str(current.get("notification_channel", "")),
                "a channel id (C…); empty: your DM with Crewbot",
            ),
        ],
    }


def _value(view: dict[str, Any], block: str) -> str:
    state = view.get("state", {}).get("values", {}).get(block, {}).get(block, {})
    return str(state.get("value") or "").strip()


def parse_settings(crewbot: Crewbot, view: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(settings, errors by block id)`` from the submitted modal."""
    types = load_meeting_types(settings_of(crewbot).meeting_types_file)
    errors: dict[str, str] = {}
    hours: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in _value(view, "lead_times").split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            errors["lead_times"] = f"{part!r}: write type=hours, e.g. one_on_one=12"
            continue
        if name not in types.meeting_types:
            errors["lead_times"] = f"unknown meeting type {name!r} (known: {', '.join(types.meeting_types)})"
        elif not 0 <= number <= 24 * 60:
            errors["lead_times"] = f"{name}: hours must be between 0 and 1440"
        elif number != types.meeting_types[name].prep_hours_before:
            hours[name] = number
    start, end = _value(view, "quiet_start"), _value(view, "quiet_end")
    for block, value in (("quiet_start", start), ("quiet_end", end)):
        if value and not _HHMM.match(value):
            errors[block] = "use HH:MM, e.g. 22:00"
    if bool(start) != bool(end):
        errors["quiet_end" if start else "quiet_start"] = "give both the start and the end of quiet hours"
    zone = _value(view, "timezone")
    if zone and zone_named(zone) is None:
        errors["timezone"] = f"{zone!r} is not a time zone name; use one like America/New_York or Europe/Paris"
    channel = _value(view, "channel")
    if channel and not re.fullmatch(r"[CGD][A-Z0-9]{2,}", channel):
        errors["channel"] = "a Slack channel id like C0123ABCD (empty for your DM)"
    settings: dict[str, Any] = {"prep_hours": hours}
    if start and end:
        settings["quiet_hours"] = {"start": start, "end": end}
    if channel:
        settings["notification_channel"] = channel
    if zone:
        settings["timezone"] = zone
    return settings, errors


def settings_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], crewbot: Crewbot) -> None:
    settings, errors = parse_settings(crewbot, view)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    user_id = body["user"]["id"]
    user, _ = crewbot.records.users.get_or_create(user_id)
    # The zone in effect: the user's choice, else what Slack says (kept as slack_timezone).
    overridden = "timezone" in prep_settings(user)
    slack_zone = getattr(user, "slack_timezone", None) or (None if overridden else user.timezone)
    zone = settings.get("timezone") or slack_zone or "UTC"
    crewbot.records.users.update(user_id, settings={**user.settings, "meeting_prep": settings}, timezone=zone)
    try:  # prompts not sent yet follow the new lead times, quiet hours and zone
        CalendarMonitor(crewbot, monitor_options(crewbot)).replan_prompts(user_id)
    except Exception:
        logger.exception("could not plan the prep prompts of %s again", user_id)


def user_changed(event: dict[str, Any], crewbot: Crewbot) -> None:
    """Slack's ``user_change``: store the time zone it carries for a user Crewbot knows (the zone in
    effect stays the user's ``/prep settings`` choice when they made one)."""
    profile = event.get("user")
    if not isinstance(profile, dict) or not isinstance(profile.get("id"), str):
        return
    zone = profile.get("tz")
    user = crewbot.records.users.get(profile["id"])
    if user is None or not isinstance(zone, str) or zone_named(zone) is None:
        return
    override = prep_settings(user).get("timezone")
    crewbot.records.users.update(
        user.user_id,
        slack_timezone=zone,
        timezone=override if zone_named(override) else zone,
        timezone_checked_at=crewbot.clock.now().astimezone(UTC).isoformat(),
    )


# -- buttons -----------------------------------------------------------------------------------------


def _pressed(body: dict[str, Any], crewbot: Crewbot, respond: Any) -> Meeting | None:
    """The meeting a button names, if the presser owns it (otherwise tell them, and audit it)."""
    meeting_id = str(body["actions"][0].get("value") or "")
    user_id = body["user"]["id"]
    meeting = crewbot.records.meetings.get(meeting_id)
    if meeting is None:
        respond(response_type="ephemeral", replace_original=False, text="That meeting is no longer in your calendar.")
        return None
    if meeting.user_id != user_id:
        crewbot.records.audit.record(
            f"user#{meeting.user_id}",
            user_id,
            "meeting_prep.refused",
            meeting.meeting_id,
            button=body["actions"][0].get("action_id"),
        )
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"Only <@{meeting.user_id}> can prepare this meeting.",
        )
        return None
    return meeting


def _say(respond: Any, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)


def _pressed_open(body: dict[str, Any], crewbot: Crewbot, respond: Any) -> Meeting | None:
    """Like :func:`_pressed`, and the prep is still open (a press on a finished prep says it is done)."""
    meeting = _pressed(body, crewbot, respond)
    if meeting is not None and meeting.prep_status in _FINISHED:
        _say(respond, f"This prep is {_FINISHED[meeting.prep_status]}.")
        return None
    return meeting


_FINISHED = {
    "generating": "already done: your materials are being generated",
    "ready": "already done: your materials were sent",
    "skipped": "skipped",
}


def start_pressed(body: dict[str, Any], respond: Any, client: Any, crewbot: Crewbot) -> None:
    meeting = _pressed_open(body, crewbot, respond)
    if meeting is None:
        return
    current = getattr(meeting, "prep_chat", None) or {}
    if current.get("state") == "open":
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="Your prep chat for this meeting is already open: answer in its thread.",
        )
        return
    kind = load_meeting_types(settings_of(crewbot).meeting_types_file).get(meeting.meeting_type)
    questions = list(kind.prep_questions) or ["What outcome do you want from this meeting?"]
    channel = body.get("channel", {}).get("id") or body["container"].get("channel_id")
    thread_ts = body.get("message", {}).get("ts") or body["container"].get("message_ts")
    intro = (
        f"*{chat.SPEAKER}*: let's prepare *{meeting.title}*. {len(questions)} quick questions; "
        "answer in this thread, `skip` one or say `done` any time.\n"
    )
    if not str(channel).startswith("D"):
        # Notified in a channel: the chat itself happens in the owner's DM (channel replies reach
        # Crewbot only as mentions), in a thread under a fresh message there.
        opened = client.chat_postMessage(channel=meeting.user_id, text=f"Prep chat: *{meeting.title}*")
        channel, thread_ts = opened["channel"], opened["ts"]
        respond(response_type="ephemeral", replace_original=False, text="I opened the prep chat in our DM.")
    meeting = chat.start_chat(crewbot, meeting, channel, thread_ts, questions)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=intro + chat.question_text(meeting, 0))


def snooze_pressed(body: dict[str, Any], respond: Any, crewbot: Crewbot) -> None:
    meeting = _pressed_open(body, crewbot, respond)
    if meeting is None:
        return
    minutes = settings_of(crewbot).snooze_minutes
    until = crewbot.clock.now() + timedelta(minutes=minutes)
    from plugins.meeting_prep.tasks import EVENT_SOURCE, SNOOZE_EVENT

    crewbot.scheduler.once(
        f"prep-snooze-{meeting.meeting_id}", until, EVENT_SOURCE, SNOOZE_EVENT, {"meeting_id": meeting.meeting_id}
    )
    crewbot.records.meetings.update(meeting.meeting_id, prep_status="snoozed")
    local = until.astimezone(ZoneInfo(user_zone_name(crewbot.records.users.get(meeting.user_id))))
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"Snoozed: I will remind you in {minutes} minutes ({local:%H:%M} {local.tzname()}).",
    )


def skip_pressed(body: dict[str, Any], respond: Any, crewbot: Crewbot) -> None:
    meeting = _pressed_open(body, crewbot, respond)
    if meeting is None:
        return
    crewbot.records.meetings.update(
        meeting.meeting_id,
        prep_status="skipped",
        prep_chat={**(getattr(meeting, "prep_chat", None) or {}), "state": "closed"},
    )
    token = getattr(meeting, "prep_token", None)
    if token:
        # A TaskTokenError means the wait had ended already (timeout): nothing to stop.
        with contextlib.suppress(TaskTokenError):
            crewbot.workflows.send_task_failure(token, "Prep.Skipped", "the owner skipped this prep")
    respond(response_type="ephemeral", replace_original=False, text=f"Skipped the prep for {meeting.title}.")


def prep_now_pressed(body: dict[str, Any], respond: Any, crewbot: Crewbot) -> None:
    meeting = _pressed(body, crewbot, respond)
    if meeting is None:
        return
    if meeting.status == "cancelled" or meeting.start <= crewbot.clock.now():
        respond(response_type="ephemeral", replace_original=False, text="This meeting is cancelled or has started.")
        return
    chat_state = (getattr(meeting, "prep_chat", None) or {}).get("state")
    if chat_state != "open" and getattr(meeting, "prep_token", None) and meeting.prep_status in ("notified", "snoozed"):
        # The prep is waiting for its chat (e.g. the notification went out as an SMS): bring the buttons back.
        from plugins.meeting_prep.tasks import meeting_view

        notify.post(
            crewbot,
            meeting.user_id,
            f"Time to prepare: {meeting.title}",
            notify.notification_blocks(meeting_view(crewbot, meeting), []),
        )
        respond(response_type="ephemeral", replace_original=False, text=f"Here is the prep for {meeting.title}.")
        return
    if chat_state == "open" or meeting.prep_status in ("notified", "in_progress", "generating", "snoozed"):
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="This meeting's prep is already under way: look for its message in your DMs.",
        )
        return
    if meeting.prep_status in ("ready", "skipped"):
        crewbot.records.meetings.update(meeting.meeting_id, prep_status="not_started")
    crewbot.records.meetings.update(meeting.meeting_id, prep_requested_for=prep_version(meeting))
    _, started = start_prep_workflow(crewbot, meeting)
    if not started:
        start_prep_workflow(crewbot, meeting, again=True)
    respond(response_type="ephemeral", replace_original=False, text=f"Preparing {meeting.title} now.")


# -- events ------------------------------------------------------------------------------------------


def on_prep_required(crewbot: Crewbot, detail: dict[str, Any]) -> None:
    """``MeetingRequiresPrep`` → start the workflow (idempotent by execution name)."""
    meeting = crewbot.records.meetings.get(str(detail.get("meeting_id")))
    if meeting is None:
        logger.warning("MeetingRequiresPrep for unknown meeting %s", detail.get("meeting_id"))
        return
    if detail.get("prep_version") and detail["prep_version"] != prep_version(meeting):
        log_skipped("prep prompt", meeting.meeting_id, "the meeting moved since the prompt was planned")
        return
    if meeting.status == "cancelled" or meeting.start <= crewbot.clock.now():
        log_skipped("prep prompt", meeting.meeting_id, "the meeting was cancelled or has started")
        return
    start_prep_workflow(crewbot, meeting, attempt=int(detail.get("attempt") or 1))


def on_chat_deadline(crewbot: Crewbot, detail: dict[str, Any]) -> None:
    """An unanswered prep chat's time is up: fail the wait so materials are generated from what is known."""
    from plugins.meeting_prep.tasks import CHAT_TIMED_OUT

    meeting = crewbot.records.meetings.get(str(detail.get("meeting_id")))
    if meeting is None or prep_version(meeting) != detail.get("prep_version"):
        return
    token = getattr(meeting, "prep_token", None)
    if not token or meeting.prep_status in ("generating", "ready", "skipped"):
        return  # answered, skipped or superseded meanwhile
    with contextlib.suppress(TaskTokenError):  # the wait ended some other way just now
        crewbot.workflows.send_task_failure(token, CHAT_TIMED_OUT, "the prep chat was not completed in time")


def on_snooze_elapsed(crewbot: Crewbot, detail: dict[str, Any]) -> None:
    meeting = crewbot.records.meetings.get(str(detail.get("meeting_id")))
    if meeting is None or meeting.prep_status != "snoozed" or meeting.status == "cancelled":
        return
    if meeting.start <= crewbot.clock.now():
        log_skipped("snoozed prompt", meeting.meeting_id, "the meeting has started")
        return
    user = crewbot.records.users.get(meeting.user_id)
    if in_quiet_hours(user, crewbot.clock.now()):
        until = crewbot.clock.now() + timedelta(minutes=settings_of(crewbot).snooze_minutes)
        from plugins.meeting_prep.tasks import EVENT_SOURCE, SNOOZE_EVENT

        crewbot.scheduler.once(f"prep-snooze-{meeting.meeting_id}", until, EVENT_SOURCE, SNOOZE_EVENT, detail)
        return
    from plugins.meeting_prep.tasks import meeting_view

    view = meeting_view(crewbot, meeting)
    crewbot.records.meetings.update(meeting.meeting_id, prep_status="notified")
    notify.post(
        crewbot, meeting.user_id, f"Reminder: time to prepare {meeting.title}", notify.notification_blocks(view, [])
    )


def on_reminder_due(crewbot: Crewbot, detail: dict[str, Any]) -> None:
    """The reminder DM before the meeting (only for the prep version it was scheduled for)."""
    meeting = crewbot.records.meetings.get(str(detail.get("meeting_id")))
    if meeting is None or meeting.status == "cancelled" or prep_version(meeting) != detail.get("prep_version"):
        return
    now = crewbot.clock.now()
    if meeting.start <= now:
        # Delivered late (the scheduler caught up after a pause or a clock jump): a reminder for a
        # meeting under way helps nobody.
        log_skipped("reminder", meeting.meeting_id, f"late: the meeting started at {format_time(meeting.start)}")
        crewbot.records.audit.record(
            f"user#{meeting.user_id}", "meeting-prep", "reminder.skipped", meeting.meeting_id, reason="late"
        )
        return
    from plugins.meeting_prep.tasks import meeting_view

    view = meeting_view(crewbot, meeting)
    keys = getattr(meeting, "materials", None) or {}
    link = ""
    if keys.get("html"):
        link = "\nYour materials: " + crewbot.store.blobs("materials").url(
            keys["html"], settings_of(crewbot).link_seconds
        )
    where = (
        f"\nJoin: {meeting.video_link}"
        if meeting.video_link
        else (f"\nWhere: {meeting.location}" if meeting.location else "")
    )
    answers = len([a for a in meeting.prep_responses.values() if not (isinstance(a, dict) and a.get("skipped"))])
    text = (
        f"Reminder: *{meeting.title}* starts {notify.when_text(view)}.{where}{link}\n"
        f"You prepared {answers} answer{'s' if answers != 1 else ''}."
    )
    notify.post(crewbot, meeting.user_id, text)
