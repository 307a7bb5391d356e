"""The Slack app manifest, generated from what plugins registered.

``crewbot manifest`` writes it (``manifests/slack-app.json`` for HTTP delivery to the Lambda,
``manifests/slack-app.socket-mode.json`` for Socket Mode); ``--check`` fails when the committed file
differs from what the enabled plugins register now, so CI catches a command added without
regenerating. The shape follows Slack's manifest schema 1.0.0 (validated in the tests). The bot
scopes are derived from the code (:mod:`bot.slack.scopes`): nothing is requested that no enabled code
uses, and a new Web API call changes the manifest.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.resources import data_dir
from bot.slack.registry import Registrations, collect_registrations
from bot.slack.scopes import DerivedScopes, active_plugins, core_paths, derive, plugin_paths

if TYPE_CHECKING:
    from bot.runtime import Crewbot

#: Stands in for the deployed endpoint (the API Gateway / Function URL Terraform outputs) until
#: ``--request-url`` gives the real one.
PLACEHOLDER_URL = "https://crewbot.example.invalid/slack/events"

DESCRIPTION = "Chat-ops with AI agents: meeting preparation and project delivery, right in Slack."

#: Events the core handles (DMs, mentions, the home tab); their scopes come from
#: :data:`bot.slack.scopes.EVENT_SCOPES`.
CORE_EVENTS = ("app_home_opened", "app_mention", "message.im")

SUGGESTED_PROMPTS = (
    {"title": "Prepare my next meeting", "message": "What do I need to prepare for my next meeting?"},
    {"title": "My week", "message": "What meetings do I have this week?"},
    {"title": "What can you do?", "message": "What can you help me with?"},
)


def build_manifest(
    crewbot: Crewbot,
    *,
    request_url: str | None = None,
    socket_mode: bool = False,
    registrations: Registrations | None = None,
) -> dict[str, Any]:
    """The manifest for the enabled plugins' commands, shortcuts and events."""
    regs = registrations or collect_registrations(crewbot.plugins)
    url = None if socket_mode else (request_url or PLACEHOLDER_URL)
    if url is not None and not url.startswith(("https://", "http://")):
        raise ValueError(f"--request-url must be an http(s) URL, got {url!r}")
    name = crewbot.config.slack.app_name
    events = subscribed_events(crewbot, regs)
    scopes = derive_scopes(crewbot, regs).scopes
    features: dict[str, Any] = {
        "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
        "bot_user": {"display_name": crewbot.config.project, "always_online": True},
        "agent_view": {"agent_description": DESCRIPTION, "suggested_prompts": list(SUGGESTED_PROMPTS)},
    }
    if regs.commands:
        features["slash_commands"] = [_command(c, url) for c in sorted(regs.commands.values(), key=lambda c: c.name)]
    if regs.shortcuts:
        features["shortcuts"] = [
            {"name": s.name, "type": s.type, "callback_id": s.callback_id, "description": s.description}
            for s in sorted(regs.shortcuts.values(), key=lambda s: s.callback_id)
        ]
    subscriptions: dict[str, Any] = {"bot_events": sorted(events)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if url is not None:
        subscriptions = {"request_url": url, **subscriptions}
        interactivity["request_url"] = url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name, "description": DESCRIPTION, "background_color": "#1d3557"},
        "features": features,
        "oauth_config": {"scopes": {"bot": sorted(scopes)}},
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def subscribed_events(crewbot: Crewbot, regs: Registrations) -> set[str]:
    """The bot events the app subscribes to: the core's, the plugins' handlers', and channel messages
    when a conversation route answers plain messages in channels (a project's PM in its channel)."""
    events = set(CORE_EVENTS) | set(regs.events)
    if any(getattr(r, "channel_messages", False) for r in crewbot.plugins.items("register_conversation_routes")):
        events.update({"message.channels", "message.groups"})
    return events


def derive_scopes(crewbot: Crewbot, registrations: Registrations | None = None) -> DerivedScopes:
    """The bot scopes the enabled code needs: from the Web API methods the core and the enabled
    plugins call, the events subscribed to, and slash commands or shortcuts."""
    regs = registrations or collect_registrations(crewbot.plugins)
    paths = core_paths() + plugin_paths(active_plugins(crewbot.plugins))
    declared = {event: [s for h in handlers for s in h.scopes] for event, handlers in regs.events.items()}
    return derive(
        paths,
        subscribed_events(crewbot, regs),
        has_commands=bool(regs.commands or regs.shortcuts),
        declared=declared,
    )


def _command(command: Any, url: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": command.name, "description": command.description[:2000]}
    if url is not None:
        entry["url"] = url
    if command.usage_hint:
        entry["usage_hint"] = command.usage_hint[:1000]
    entry["should_escape"] = False
    return entry


def manifest_text(manifest: dict[str, Any]) -> str:
    """The file content: stable, indented JSON with a final newline."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def default_path(socket_mode: bool = False) -> Path:
    return data_dir("manifests") / ("slack-app.socket-mode.json" if socket_mode else "slack-app.json")


def check(path: Path, expected: str) -> list[str]:
    """Differences between the file at ``path`` and ``expected`` as unified-diff lines (empty: current)."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [f"{path} does not exist"]
    if current == expected:
        return []
    return list(
        difflib.unified_diff(
            current.splitlines(),
            expected.splitlines(),
            f"{path} (committed)",
            f"{path} (from the registered plugins)",
            lineterm="",
        )
    )
