"""The built-in ``/crewbot`` command: ``help``, ``agents`` (with buttons to switch), ``plugins``, ``reset``.

A plugin like any other (it can be switched off with ``plugins.deny: [crewbot_command]``). ``help``
is generated from what every enabled plugin registered, so it is never out of date.
"""

from __future__ import annotations

from typing import Any

from bot.api import Action, AgentAccessError, SlashCommand, collect_registrations, hookimpl

#: The "Use" button next to each agent in ``/crewbot agents``; its value is the agent's name.
USE_AGENT = "crewbot_use_agent"

SUBCOMMANDS = {
    "help": "list every command and what it does",
    "agents": "the agents you can talk to, with a button to switch (or `/crewbot agents use NAME`)",
    "plugins": "the plugins loaded, and any that failed",
    "reset": "forget this conversation; your next message starts afresh",
}


def crewbot_command(respond: Any, command: dict[str, Any], crewbot: Any, client: Any = None) -> None:
    """Dispatch ``/crewbot <subcommand>`` (sub-commands other plugins registered too)."""
    words = (command.get("text") or "").split()
    sub = words[0].lower() if words else "help"
    added = collect_registrations(crewbot.plugins).subcommands.get("/crewbot", {})
    # Two-word sub-commands of plugins first (``agents new``); one word only where no built-in has it.
    extra = added.get(" ".join(w.lower() for w in words[:2])) or (added.get(sub) if sub not in SUBCOMMANDS else None)
    if extra is not None:
        extra.handler(respond=respond, command=command, crewbot=crewbot, client=client)
    elif sub == "help":
        respond(help_text(crewbot))
    elif sub == "agents" and len(words) == 3 and words[1].lower() == "use":
        respond(use_agent(crewbot, command["user_id"], words[2]))
    elif sub == "agents":
        text, blocks = agents_message(crewbot, command["user_id"])
        respond(text=text, blocks=blocks)
    elif sub == "plugins":
        respond(plugins_text(crewbot))
    elif sub == "reset":
        respond(reset(crewbot, command["user_id"], command["channel_id"]))
    else:
        choices = ", ".join(f"`{name}`" for name in [*SUBCOMMANDS, *added])
        respond(f"I don't know `/crewbot {sub}`. Try one of {choices}.")


def help_text(crewbot: Any) -> str:
    regs = collect_registrations(crewbot.plugins)
    lines = ["*Crewbot commands*"]
    for name in sorted(regs.commands):
        cmd = regs.commands[name]
        usage = f" {cmd.usage_hint}" if cmd.usage_hint else ""
        lines.append(f"• `{name}{usage}` — {cmd.description}")
        if name == "/crewbot":
            lines.extend(f"    ◦ `/crewbot {sub}` — {text}" for sub, text in SUBCOMMANDS.items())
        lines.extend(
            f"    ◦ `{name} {sub}` — {extra.description}" for sub, extra in regs.subcommands.get(name, {}).items()
        )
    lines.append("Or just send me a direct message to talk to your agent.")
    return "\n".join(lines)


def agents_message(crewbot: Any, user_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The agents ``user_id`` may talk to, each with a *Use* button unless it is their default already."""
    specs = list(crewbot.agents.available_to(user_id))
    if not specs:
        text = "You have no agents available. Ask an admin to give you access."
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    default = crewbot.agents.default_agent(user_id)
    lines = ["*Agents you can talk to*"]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": lines[0]}}]
    for spec in specs:
        line = f"*{spec.name}*" + (" _(your default)_" if spec.name == default else "")
        if spec.description:
            line += f" — {spec.description}"
        lines.append(f"• {line}")
        block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": line}}
        if spec.name != default:
            block["accessory"] = {
                "type": "button",
                "text": {"type": "plain_text", "text": f"Use {spec.name}"},
                "action_id": USE_AGENT,
                "value": spec.name,
            }
        blocks.append(block)
    return "\n".join(lines), blocks


def use_agent(crewbot: Any, user_id: str, name: str) -> str:
    """Make ``name`` the agent the user's DMs go to; the answer says what happened."""
    try:
        crewbot.agents.set_default_agent(user_id, name)
    except KeyError:
        return f"There is no agent called `{name}`. `/crewbot agents` lists yours."
    except AgentAccessError as exc:
        return f"Sorry, {exc}."
    return f"Done: your messages now go to *{name}*."


def use_agent_button(ack: Any, body: dict[str, Any], respond: Any, crewbot: Any) -> None:
    """The *Use* button of ``/crewbot agents``: switches the presser's own default agent."""
    ack()
    name = body["actions"][0]["value"]
    respond(text=use_agent(crewbot, body["user"]["id"], name), replace_original=True)


def plugins_text(crewbot: Any) -> str:
    lines = ["*Plugins*"]
    for info in crewbot.plugins.plugins.values():
        state = "enabled" if info.enabled else ("FAILED" if info.errors else "disabled")
        lines.append(f"• `{info.name}` {info.version} ({info.source}, {state})")
        lines.extend(f"    ✗ {error}" for error in info.errors)
        if info.off_reason:
            lines.append(f"    ◦ off: {info.off_reason}")
    return "\n".join(lines)


def reset(crewbot: Any, user_id: str, channel_id: str) -> str:
    handler = getattr(crewbot, "conversations", None)
    if handler is None:
        return "There is no conversation to reset: no agent runtime is configured."
    handler.reset(user_id, channel_id)
    return "Done: your next message starts a fresh conversation."


@hookimpl
def register_commands() -> list[SlashCommand]:
    return [
        SlashCommand(
            "/crewbot",
            crewbot_command,
            description="Crewbot's own commands",
            usage_hint="[help | agents | plugins | reset]",
        )
    ]


@hookimpl
def register_actions() -> list[Action]:
    return [Action(USE_AGENT, use_agent_button)]
