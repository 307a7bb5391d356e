"""Meeting preparation end to end: the calendar monitor, the MeetingPrepWorkflow's
tasks, the prep chat, ``/prep`` and ``crewbot meetings``. See docs/meeting-prep.md.

The calendar providers are separate built-in plugins (``calendar_ics``, ``calendar_google``,
``calendar_microsoft``); the provider interface is :mod:`bot.calendars`; the monitor, classification
and the OAuth flow are in this package (:mod:`.monitor`, :mod:`.classify`, :mod:`.oauth`); the workflow
definition is ``workflows/meeting_prep.asl.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bot.api import (
    Action,
    EventHandler,
    HttpRequest,
    HttpResponse,
    HttpRoute,
    QueueConsumer,
    Schedule,
    ScheduledCall,
    SlackEvent,
    SlashCommand,
    TableSpec,
    ViewSubmission,
    data_dir,
    hookimpl,
)
from plugins.meeting_prep import chat, fanout, notify, slack_ui, tasks
from plugins.meeting_prep.classify import MeetingTypeContext
from plugins.meeting_prep.monitor import EVENT_SOURCE, PREP_EVENT
from plugins.meeting_prep.settings import Settings

if TYPE_CHECKING:
    from bot.api import Crewbot


#: The prep chat is the Meeting Coordinator agent, and saves answers with its tools.
REQUIRES = ("meeting_coordinator",)


@hookimpl
def register_settings() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tables() -> list[TableSpec]:
    from plugins.meeting_prep.oauth import OAUTH_STATES

    return [OAUTH_STATES]


@hookimpl
def register_workflows() -> list[Path]:
    return [data_dir("workflows") / "meeting_prep.asl.json"]


@hookimpl
def register_context_providers(settings: Settings | None) -> list[MeetingTypeContext]:
    return [MeetingTypeContext((settings or Settings()).meeting_types_file)]


@hookimpl
def register_commands() -> list[SlashCommand]:
    return [
        SlashCommand(
            "/prep",
            slack_ui.prep_command,
            description="Your next meetings and their preparation",
            usage_hint=slack_ui.USAGE,
        )
    ]


@hookimpl
def register_actions() -> list[Any]:
    return [
        Action(notify.START, slack_ui.start_pressed),
        Action(notify.SNOOZE, slack_ui.snooze_pressed),
        Action(notify.SKIP, slack_ui.skip_pressed),
        Action(notify.PREP_NOW, slack_ui.prep_now_pressed),
        ViewSubmission(slack_ui.SETTINGS_VIEW, slack_ui.settings_submitted),
        # Slack tells us when a user's profile (and time zone) changes.
        SlackEvent("user_change", slack_ui.user_changed, scopes=("users:read",)),
    ]


@hookimpl
def register_workflow_tasks() -> list[Any]:
    return tasks.workflow_tasks()


@hookimpl
def register_schedules(settings: Settings | None) -> list[Schedule]:
    return [Schedule("calendar-monitor", (settings or Settings()).schedule, _monitor)]


def _monitor(call: ScheduledCall) -> None:
    # One work item per active user; the calendar-sync workers do the syncing (see fanout).
    fanout.enqueue_active_users(call.crewbot)


@hookimpl
def register_queue_consumers(settings: Settings | None) -> list[QueueConsumer]:
    return [fanout.consumer(settings)]


@hookimpl
def register_event_handlers() -> list[EventHandler]:
    return [
        EventHandler(
            "meeting-prep-start",
            {"source": [EVENT_SOURCE], "detail-type": [PREP_EVENT]},
            lambda event: slack_ui.on_prep_required(event.crewbot, event.detail),
        ),
        EventHandler(
            "meeting-prep-reminder",
            {"source": [tasks.EVENT_SOURCE], "detail-type": [tasks.REMINDER_EVENT]},
            lambda event: slack_ui.on_reminder_due(event.crewbot, event.detail),
        ),
        EventHandler(
            "meeting-prep-deadline",
            {"source": [tasks.EVENT_SOURCE], "detail-type": [tasks.DEADLINE_EVENT]},
            lambda event: slack_ui.on_chat_deadline(event.crewbot, event.detail),
        ),
        EventHandler(
            "meeting-prep-snooze",
            {"source": [tasks.EVENT_SOURCE], "detail-type": [tasks.SNOOZE_EVENT]},
            lambda event: slack_ui.on_snooze_elapsed(event.crewbot, event.detail),
        ),
    ]


def _oauth_callback(provider: str) -> Callable[[Crewbot, HttpRequest], HttpResponse]:
    def handle(crewbot: Crewbot, request: HttpRequest) -> HttpResponse:
        from plugins.meeting_prep.oauth import callback_page, complete_authorization

        outcome = complete_authorization(crewbot, provider, request.query)
        if outcome.user_id:
            try:
                text = outcome.message + (" " + slack_ui.sync_text(crewbot, outcome.user_id) if outcome.ok else "")
                notify.post(crewbot, outcome.user_id, text)
            except Exception:  # the page still tells them
                pass
        return HttpResponse(200 if outcome.ok else 400, callback_page(outcome))

    return handle


def _oauth_callbacks(crewbot: Crewbot, request: HttpRequest) -> HttpResponse:
    """``/oauth/<provider>/callback`` for every registered provider that connects through OAuth."""
    from plugins.meeting_prep.oauth import connect_kind, provider_named

    parts = request.path.strip("/").split("/")
    provider = provider_named(crewbot, parts[1]) if len(parts) == 3 else None
    if provider is None or connect_kind(provider) != "oauth":
        return HttpResponse(404, "<h1>No such calendar provider</h1>")
    return _oauth_callback(provider.name)(crewbot, request)


@hookimpl
def register_http_routes() -> list[HttpRoute]:
    from plugins.meeting_prep.oauth import CALLBACK_PATH

    return [HttpRoute("GET", CALLBACK_PATH, _oauth_callbacks, "OAuth callback of each OAuth calendar provider")]


@hookimpl
def register_conversation_routes() -> list[chat.PrepChatRoute]:
    return [chat.PrepChatRoute()]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from plugins.meeting_prep import cli as meetings_cli

    meetings_cli.add_to(cli)


@hookimpl
def register_deployment() -> list[Any]:
    from plugins.meeting_prep.deploy import DEPLOYMENT

    return list(DEPLOYMENT)
