"""The Supervisor and Fabricator in Slack: DMs, ``/crewbot ask``, ``/crewbot orchestrations``,
``/crewbot agents new`` and the approval buttons.

DMs to a user whose agent is the Supervisor or the Fabricator (``/crewbot agents use supervisor``) are
claimed by :class:`SupervisorRoute`, because their turns are not ordinary ones: the Supervisor's stops
while its delegations run and resumes on ``task.completion``; the Fabricator runs with its offline
drafting policy when no model is configured.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.api import IncomingMessage, Reply
from plugins.supervisor.fabricator import APPROVE, FABRICATOR, FabricationError, fabricator
from plugins.supervisor.supervisor import EVENT_SOURCE, SUPERVISOR, TASK_REQUEST, supervisor

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

NEW_AGENT_VIEW = "supervisor_new_agent"


class SupervisorRoute:
    """Claims DMs to the Supervisor and the Fabricator (``register_conversation_routes``)."""

    name = "supervisor"

    def claims(self, crewbot: Crewbot, message: IncomingMessage) -> bool:
        try:
            return crewbot.agents.default_agent(message.user_id) in (SUPERVISOR, FABRICATOR)
        except Exception:  # the registry failed to load: the default handler reports it
            return False

    def handle(self, crewbot: Crewbot, message: IncomingMessage, reply: Reply) -> None:
        agent = crewbot.agents.default_agent(message.user_id)
        if agent == FABRICATOR:
            fabricate(
                crewbot, message.user_id, message.text, message.channel_id, message.thread_ts, message.session_id, reply
            )
            return
        supervisor(crewbot).start(
            user_id=message.user_id,
            text=message.text,
            channel_id=message.channel_id,
            thread_ts=message.thread_ts,
            conversation=message.session_id,
            reply=reply,
        )


def fabricate(
    crewbot: Crewbot, user_id: str, text: str, channel_id: str, thread_ts: str, conversation: str, reply: Reply
) -> None:
    """One Fabricator turn: draft (or change the state of) an agent from the admin's words."""
    from plugins.supervisor import turns
    from plugins.supervisor.offline import FabricatorOfflineModel

    reply.status("drafting…")
    spec = crewbot.agents.registry.get(FABRICATOR)
    try:
        if not spec.access.allows(user_id, crewbot.agents.roles_of(user_id)):
            reply.post("Sorry, only admins may create agents. `/crewbot agents` lists the agents you can use.")
            return
        fabricator(crewbot).sync()
        where = {"user_id": user_id, "conversation": conversation, "channel_id": channel_id, "thread_ts": thread_ts}
        with turns.conversation(crewbot, FABRICATOR, **where) as session_id:
            tools = [crewbot.agents.registry.tools[name].strands_tool() for name in spec.tools]
            result, summary, tokens = turns.run(
                crewbot,
                spec,
                session_id=session_id,
                user_id=user_id,
                channel_id=channel_id,
                prompt=text,
                tools=tools,
                offline=FabricatorOfflineModel,
            )
            turns.record(crewbot, session_id, FABRICATOR, text=text, tokens=tokens, **where)
    except Exception as exc:
        logger.exception("fabricator turn failed for %s", user_id)
        reply.post(f"Sorry, the Fabricator failed: {exc}")
        return
    reply.stream(iter([str(result).strip() or "(no answer)"]))
    reply.context(summary)


# -- /crewbot sub-commands ---------------------------------------------------------------------------


def ask_command(respond: Any, command: dict[str, Any], crewbot: Crewbot, client: Any) -> None:
    """``/crewbot ask <task>``: the Supervisor answers in a new thread of the user's DM."""
    text = (command.get("text") or "").split(None, 1)
    task = text[1].strip() if len(text) > 1 else ""
    if not task:
        respond("Tell me what to do: `/crewbot ask <your question>`.")
        return
    user_id = command["user_id"]
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    root = client.chat_postMessage(channel=channel, text=f"🧭 You asked the Supervisor: {task}")
    crewbot.bus.publish(
        EVENT_SOURCE, TASK_REQUEST, {"user_id": user_id, "text": task, "channel_id": channel, "thread_ts": root["ts"]}
    )
    respond("On it: the Supervisor answers in our DM.")


def orchestrations_command(respond: Any, command: dict[str, Any], crewbot: Crewbot, client: Any = None) -> None:
    """``/crewbot orchestrations``: the user's recent orchestrations with their status."""
    service = supervisor(crewbot)
    items = service.state.for_user(command["user_id"], limit=10)
    if not items:
        respond("You have no orchestrations yet. Ask the Supervisor something: `/crewbot ask <question>`.")
        return
    lines = ["*Your recent orchestrations*"]
    for item in items:
        progress = service.progress_text(item["orchestration_id"]) or "no delegations"
        question = item.get("question", "")
        question = question if len(question) <= 60 else question[:59] + "…"
        lines.append(f"• `{item['orchestration_id']}` {item['status']} — “{question}” — {progress}")
    respond("\n".join(lines))


def new_agent_command(respond: Any, command: dict[str, Any], crewbot: Crewbot, client: Any) -> None:
    """``/crewbot agents new``: the modal in which an admin describes the agent to create."""
    if "admin" not in crewbot.agents.roles_of(command["user_id"]):
        respond("Sorry, only admins may create agents.")
        return
    client.views_open(
        trigger_id=command["trigger_id"],
        view={
            "type": "modal",
            "callback_id": NEW_AGENT_VIEW,
            "title": {"type": "plain_text", "text": "New agent"},
            "submit": {"type": "plain_text", "text": "Draft"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "purpose",
                    "label": {"type": "plain_text", "text": "What should it do?"},
                    "element": {"type": "plain_text_input", "action_id": "purpose", "multiline": True},
                },
                {
                    "type": "input",
                    "block_id": "audience",
                    "optional": True,
                    "label": {"type": "plain_text", "text": "Who may use it? (empty: everyone; or: admins only)"},
                    "element": {"type": "plain_text_input", "action_id": "audience"},
                },
            ],
        },
    )


def new_agent_submitted(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Crewbot) -> None:
    """The modal's submission: the Fabricator drafts the agent in a new thread of the admin's DM."""
    values = view["state"]["values"]
    purpose = (values["purpose"]["purpose"].get("value") or "").strip()
    audience = (values.get("audience", {}).get("audience", {}).get("value") or "").strip()
    if len(purpose) < 10:
        ack(response_action="errors", errors={"purpose": "Say in a sentence or two what the agent should do."})
        return
    ack()
    user_id = body["user"]["id"]
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    text = f"{purpose} {audience}".strip()
    root = client.chat_postMessage(channel=channel, text=f"🛠️ New agent requested: {purpose}")
    message = IncomingMessage(user_id=user_id, channel_id=channel, thread_ts=root["ts"], text=text, ts=root["ts"])
    from bot.api import SlackReply

    fabricate(crewbot, user_id, text, channel, root["ts"], message.session_id, SlackReply(client, message))


# -- approval buttons --------------------------------------------------------------------------------


def decide_button(ack: Any, body: dict[str, Any], respond: Any, crewbot: Crewbot) -> None:
    """Approve / Reject on an approval card (the Action is admin-only; the Fabricator checks roles too)."""
    ack()
    action = body["actions"][0]
    name, _, version = str(action["value"]).partition(":")
    user_id = body["user"]["id"]
    approve = action["action_id"] == APPROVE
    service = fabricator(crewbot)
    try:
        decided = service.decide(name, version, user_id, approve)
    except FabricationError as exc:
        respond(text=f"Not {'approved' if approve else 'rejected'}: {exc}.", replace_original=False)
        return
    verdict = f"{'✅ Approved' if approve else '❌ Rejected'} *{name}* {version} (by <@{user_id}>)."
    service.close_cards(decided, verdict)
    usable = " It can be used now: `/crewbot agents`, and the Supervisor can delegate to it." if approve else ""
    respond(text=f"{verdict}{usable}", replace_original=True)


def subcommands() -> list[Any]:
    """``/crewbot ask``, ``/crewbot orchestrations`` and ``/crewbot agents new``."""
    from bot.api import Subcommand

    return [
        Subcommand("/crewbot", "ask", ask_command, "ask the Supervisor; it delegates to the right agents in parallel"),
        Subcommand("/crewbot", "orchestrations", orchestrations_command, "your recent Supervisor orchestrations"),
        Subcommand("/crewbot", "agents new", new_agent_command, "admins: describe a new agent for the Fabricator"),
    ]
