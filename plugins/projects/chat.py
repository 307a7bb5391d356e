"""Messages to the PM in a project channel: a mention of Crewbot there is answered by the project's PM
agent, from the ledger and the repository (read-only tools), in the message's thread — and, in a channel
dedicated to one project whose chat mode is ``all``, every plain message too (:class:`ProjectChannelRoute`).

Mentions in any other channel go to the user's default agent exactly as without this plugin: Bolt runs
only the first matching listener, and plugin events are wired before the core's, so this handler
passes them on to ``crewbot.conversations``.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.api import CALL_KEY, BudgetState, CallContext, IncomingMessage
from plugins.projects.records import project_records
from plugins.projects.tools import PHASE_KEY, PROJECT_KEY

logger = logging.getLogger(__name__)

#: The PM's tools in channel chat: reading only (changes happen in phases, through the gates).
CHAT_TOOLS = ("read_task_ledger", "list_artifacts", "read_artifact", "search_patterns", "search_memory")


def on_mention(event: dict[str, Any], body: dict[str, Any], client: Any, context: Any, crewbot: Any) -> None:
    if event.get("bot_id") or not event.get("user"):
        return
    text = event.get("text") or ""
    if context.bot_user_id:
        text = text.replace(f"<@{context.bot_user_id}>", "").strip()
    message = IncomingMessage(
        user_id=event["user"],
        channel_id=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=text,
        ts=event["ts"],
        team_id=body.get("team_id") or event.get("team") or "",
        files=tuple(event.get("files") or ()),
    )
    projects = [
        p
        for p in project_records(crewbot).projects.by_channel(message.channel_id)
        if p.status not in ("cancelled", "completed")
    ]
    if not projects:
        from bot.api import SlackReply

        crewbot.conversations.handle(message, SlackReply(client, message))
        return
    project = sorted(projects, key=lambda p: p.created_at or crewbot.clock.now())[-1]
    answer = ask_pm(crewbot, project, message)
    client.chat_postMessage(channel=message.channel_id, thread_ts=message.thread_ts, text=answer)


CHAT_MODES = ("mentions", "all")


def chat_mode(crewbot: Any, project: Any) -> str:
    """``all``: every message in the project's channel goes to its PM; ``mentions`` (default): only mentions."""
    from plugins.projects.service import project_service

    item = project_service(crewbot).items.get(project.project_id, "settings#chat")
    return str(item.get("mode")) if item and item.get("mode") in CHAT_MODES else "mentions"


def channel_project(crewbot: Any, channel_id: str) -> Any | None:
    """The channel's project when the channel is dedicated to it (no other active project there)."""
    projects = [
        p
        for p in project_records(crewbot).projects.by_channel(channel_id)
        if p.status not in ("cancelled", "completed")
    ]
    return projects[0] if len(projects) == 1 else None


class ProjectChannelRoute:
    """Plain messages (not only mentions) in a channel dedicated to one project go to its PM, when the project's
    chat mode is ``all`` (``/project chat NAME all``)."""

    channel_messages = True

    def claims(self, crewbot: Any, message: IncomingMessage) -> bool:
        if not message.channel_id or message.channel_id.startswith("D") or not message.text.strip():
            return False
        project = channel_project(crewbot, message.channel_id)
        return project is not None and chat_mode(crewbot, project) == "all"

    def handle(self, crewbot: Any, message: IncomingMessage, reply: Any) -> None:
        project = channel_project(crewbot, message.channel_id)
        if project is None:
            return
        reply.post(ask_pm(crewbot, project, message))


def ask_pm(crewbot: Any, project: Any, message: IncomingMessage) -> str:
    """One turn of the project's PM agent, in a session per Slack thread."""
    from bot.api import CrewbotHooks, safe_session_id

    agents = crewbot.agents
    spec = agents.registry.get("pm")
    spec = spec.model_copy(update={"tools": [t for t in spec.tools if t in CHAT_TOOLS]})
    session_id = safe_session_id(f"project-{project.project_id}-chat-{message.channel_id}-{message.thread_ts}")
    call = CallContext(
        user_id=message.user_id,
        session_id=session_id,
        agent="pm",
        roles=agents.roles_of(message.user_id) | {"project_crew"},
        channel_id=message.channel_id,
        crewbot=crewbot,
    )
    model, resolution = agents.models.build(spec.model)
    hooks = CrewbotHooks(
        call,
        agents.registry.tools,
        agents.ledger,
        BudgetState("ok", None),
        resolution.short,
        audit=crewbot.records.audit.record,
    )
    with agents.locks.hold(session_id):
        agent = agents.build_agent(spec, session_id, model, agents.models.retry_strategy(resolution), hooks)
        result = agent(
            message.text or "status",
            invocation_state={CALL_KEY: call, PROJECT_KEY: project.project_id, PHASE_KEY: project.phase},
            limits={"turns": spec.budget.max_cycles},
        )
    return str(result).strip() or "(no answer)"
