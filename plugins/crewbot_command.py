"""The built-in ``/crewbot`` command: ``help``, ``agents``, ``plugins``, ``reset``.

A plugin like any other (it can be switched off with ``plugins.deny: [crewbot_command]``). ``help``
is generated from what every enabled plugin registered, so it is never out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot import hookimpl
from bot.slack.registry import SlashCommand, collect_registrations

SUBCOMMANDS = {
    "help": "list every command and what it does",
    "agents": "the agents you can talk to",
    "plugins": "the plugins loaded, and any that failed",
    "reset": "forget this conversation; your next message starts afresh",
}


def crewbot_command(respond: Any, command: dict[str, Any], crewbot: Any) -> None:
    """Dispatch ``/crewbot <subcommand>``."""
    words = (command.get("text") or "").split()
    sub = words[0].lower() if words else "help"
    if sub == "help":
        respond(help_text(crewbot))
    elif sub == "agents":
        respond(agents_text(crewbot, command["user_id"]))
    elif sub == "plugins":
        respond(plugins_text(crewbot))
    elif sub == "reset":
        respond(reset(crewbot, command["user_id"], command["channel_id"]))
    else:
        choices = ", ".join(f"`{name}`" for name in SUBCOMMANDS)
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
    lines.append("Or just send me a direct message to talk to your agent.")
    return "\n".join(lines)


def agents_text(crewbot: Any, user_id: str) -> str:
    try:
        specs = list(crewbot.agents.available_to(user_id))
        default = crewbot.agents.default_agent(user_id)
    except AttributeError:  # a runtime without the agent service: list what plugins registered
        names = [Path(item).stem if isinstance(item, str | Path) else getattr(item, "name", str(item))
                 for item in crewbot.plugins.items("register_agents")]
        return "*Agents*\n" + ("\n".join(f"• {name}" for name in sorted(names)) or "_none registered_")
    if not specs:
        return "You have no agents available. Ask an admin to give you access."
    lines = ["*Agents you can talk to*"]
    for spec in specs:
        marker = " _(default)_" if spec.name == default else ""
        lines.append(f"• *{spec.name}*{marker} — {getattr(spec, 'description', '')}".rstrip(" —"))
    return "\n".join(lines)


def plugins_text(crewbot: Any) -> str:
    lines = ["*Plugins*"]
    for info in crewbot.plugins.plugins.values():
        state = "enabled" if info.enabled else ("FAILED" if info.errors else "disabled")
        lines.append(f"• `{info.name}` {info.version} ({info.source}, {state})")
        lines.extend(f"    ✗ {error}" for error in info.errors)
    return "\n".join(lines)


def reset(crewbot: Any, user_id: str, channel_id: str) -> str:
    handler = getattr(crewbot, "conversations", None)
    if handler is None:
        return "There is no conversation to reset: no agent runtime is configured."
    handler.reset(user_id, channel_id)
    return "Done: your next message starts a fresh conversation."


@hookimpl
def register_commands() -> list[SlashCommand]:
    return [SlashCommand("/crewbot", crewbot_command, description="Crewbot's own commands",
                         usage_hint="[help | agents | plugins | reset]")]
