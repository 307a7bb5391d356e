"""How meeting prep runs in AWS: each task's, schedule's and event handler's function size and access.

Returned by the plugin's ``register_deployment``; the deploy catalog gives every registration its own
Lambda function, granted exactly what is declared here (least privilege: nothing undeclared).
"""

from __future__ import annotations

from bot.api import Deployment

_SLACK = ("slack_bot_token",)
_CALENDARS = ("google_oauth_client", "microsoft_oauth_client")

DEPLOYMENT: tuple[Deployment, ...] = (
    Deployment(
        "schedule",
        "calendar-monitor",
        "Every 2 hours: one calendar-sync message per active user (the calendar-sync workers sync them).",
        timeout_s=300,
        tables_read=("users",),
        tables_write=("audit_log",),
        queues_send=("calendar-sync",),
    ),
    Deployment(
        "queue",
        "calendar-sync",
        "One user's calendar sync per message: providers, meetings, prep prompts; a moved or cancelled "
        "meeting ends its waiting prep and drops its schedules.",
        tables_read=("users",),
        tables_write=("calendar_connections", "meetings", "human_waits"),  # an answered token ends its wait
        queues_consume=("calendar-sync",),
        events_put=True,
        # Prompts are one-off schedules; a move or cancellation deletes them (scheduler:DeleteSchedule)
        # and fails the prep waiting for the old time (states:SendTaskFailure).
        schedules=True,
        task_callback=True,
        secrets=_CALENDARS,
        token_cipher=True,
    ),
    Deployment(
        "event",
        "meeting-prep-deadline",
        "PrepChatDeadline: an unanswered prep chat's time is up; materials are generated before the meeting.",
        tables_read=("meetings",),
        tables_write=("human_waits",),  # an answered token ends its wait
        task_callback=True,
    ),
    Deployment(
        "event",
        "meeting-prep-start",
        "MeetingRequiresPrep: start the meeting-prep workflow (once per meeting version).",
        tables_read=("meetings",),
        state_machines_start=("meeting_prep",),
    ),
    Deployment(
        "event",
        "meeting-prep-reminder",
        "MeetingReminderDue: the reminder DM before the meeting, with the materials link.",
        tables_read=("meetings", "users"),
        buckets_read=("materials",),
        secrets=_SLACK,
    ),
    Deployment(
        "event",
        "meeting-prep-snooze",
        "PrepSnoozeElapsed: notify again, or snooze on through quiet hours.",
        tables_read=("users",),
        tables_write=("meetings",),
        schedules=True,
        secrets=_SLACK,
    ),
    Deployment(
        "workflow_task",
        "LoadMeeting",
        "Load the meeting and decide whether it still needs prep (in the user's time zone).",
        tables_read=("meetings", "users"),
    ),
    Deployment("workflow_task", "FetchContext", "One context topic for the meeting (a Parallel branch).", timeout_s=60),
    Deployment(
        "workflow_task",
        "SendPrepNotification",
        "DM with Start prep / Snooze / Skip; SMS fallback.",
        tables_read=("users",),
        tables_write=("meetings",),
        secrets=_SLACK,
        sms=True,
    ),
    Deployment(
        "workflow_task",
        "WaitForChatCompletion",
        "Keep the task token on the meeting for the prep chat; schedule the chat's deadline.",
        tables_write=("meetings", "human_waits"),  # the open wait for the person, for the gauge
        schedules=True,
    ),
    Deployment(
        "workflow_task",
        "GenerateMaterials",
        "Agenda, question bank, notes template and a briefing.",
        memory_mb=1024,
        timeout_s=300,
        tables_read=("meetings", "users"),
        tables_write=("chat_sessions", "usage", "usage_totals"),
        buckets_write=("sessions",),
        bedrock=True,
    ),
    Deployment(
        "workflow_task",
        "StoreMaterials",
        "Materials into the materials bucket.",
        tables_write=("meetings",),
        buckets_write=("materials",),
    ),
    Deployment(
        "workflow_task",
        "SendMaterials",
        "Preview and links in Slack.",
        tables_read=("users",),
        buckets_read=("materials",),
        secrets=_SLACK,
    ),
    Deployment(
        "workflow_task", "ScheduleReminder", "Reminder before the meeting (a one-off schedule).", schedules=True
    ),
)
