"""Least privilege, derived: the bot token's scopes follow from the Web API methods and events the
registered code uses.

:data:`METHOD_SCOPES` maps each Web API method Crewbot may call to the bot scope it needs, per
conversation type where Slack's requirement depends on it. The facts come from Slack's published Web
API specification (slackapi/slack-api-specs, ``web-api/slack_web_openapi_v2.json``) with the classic
names translated to today's granular bot scopes (``chat:write:bot`` is ``chat:write``; a bot joins
with ``channels:join`` where the classic spec says ``channels:write``), and from Slack's method
documentation for methods newer than the spec (``assistant.threads.*``, ``chat.*Stream``,
``files.getUploadURLExternal`` / ``files.completeUploadExternal``).

:func:`methods_used` finds the calls in the source of the runtime's core and of every enabled plugin:
``client.chat_postMessage(...)``-style calls of ``slack_sdk.WebClient`` methods and
``api_call("method")``; reading a file's ``url_private`` counts as ``files.download``. A method missing
from the table is an error (add its scope), so no call goes unaccounted for; the emulator's fake Slack
refuses calls whose scope the app was not granted (``missing_scope``), so a call the scan cannot see
fails the tests instead of production.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

#: The conversation types Crewbot talks in: DMs with the bot, and public and private channels.
ConversationKind = str  # "im" | "public" | "private"

_READ = {"public": "channels:read", "private": "groups:read", "im": "im:read"}
_HISTORY = {"public": "channels:history", "private": "groups:history", "im": "im:history"}

#: Web API method → the scope it needs: one scope, None (no scope: a trigger or a token is enough),
#: or a mapping by conversation type.
METHOD_SCOPES: dict[str, str | Mapping[str, str] | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.scheduleMessage": "chat:write",
    "chat.deleteScheduledMessage": "chat:write",
    "chat.getPermalink": None,
    "chat.startStream": "chat:write",
    "chat.appendStream": "chat:write",
    "chat.stopStream": "chat:write",
    "assistant.threads.setStatus": "assistant:write",
    "assistant.threads.setTitle": "assistant:write",
    "assistant.threads.setSuggestedPrompts": "assistant:write",
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "conversations.info": _READ,
    "conversations.members": _READ,
    "conversations.list": _READ,
    "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY,
    "conversations.join": "channels:join",
    "conversations.open": {"im": "im:write"},
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "files.info": "files:read",
    "files.download": "files:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.upload": "files:write",
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "reactions.get": "reactions:read",
    "pins.add": "pins:write",
    "team.info": "team:read",
}

#: The conversation types each type-dependent method is used with by Crewbot's code: channel checks
#: on the channels people pick for projects (public or private), threads in DMs.
METHOD_CONVERSATIONS: dict[str, tuple[ConversationKind, ...]] = {
    "conversations.info": ("public", "private"),
    "conversations.members": ("public", "private"),
    "conversations.list": ("public", "private"),
    "conversations.history": ("im",),
    "conversations.replies": ("im",),
    "conversations.open": ("im",),
}

#: WebClient helpers that call several methods.
_COMPOSITE = {
    "chat_stream": ("chat.startStream", "chat.appendStream", "chat.stopStream"),
    "files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal"),
}

#: Events API event → the scope its subscription needs (None: none).
EVENT_SCOPES: dict[str, str | None] = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "member_joined_channel": "channels:read",
    "channel_created": "channels:read",
    "file_shared": "files:read",
    "team_join": "users:read",
    "user_change": "users:read",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}


class UnknownMethod(ValueError):
    """The code calls a Web API method :data:`METHOD_SCOPES` does not know."""


def scopes_for_call(method: str, kind: ConversationKind | None = None) -> tuple[str, ...]:
    """The scopes any one of which allows ``method`` on a conversation of ``kind`` (empty: none needed;
    an unknown method needs a scope nobody has)."""
    if method not in METHOD_SCOPES:
        return (f"unknown:{method}",)
    needed = METHOD_SCOPES[method]
    if needed is None:
        return ()
    if isinstance(needed, str):
        return (needed,)
    if kind is not None and kind in needed:
        return (needed[kind],)
    return tuple(sorted(set(needed.values())))


def scopes_for_method(method: str) -> set[str]:
    """The scopes Crewbot needs for its uses of ``method`` (every conversation type it uses it with)."""
    if method not in METHOD_SCOPES:
        raise UnknownMethod(f"no scope is known for Slack method {method!r}: add it to METHOD_SCOPES")
    needed = METHOD_SCOPES[method]
    if needed is None:
        return set()
    if isinstance(needed, str):
        return {needed}
    kinds = METHOD_CONVERSATIONS.get(method) or tuple(needed)
    return {needed[k] for k in kinds if k in needed}


@cache
def _web_methods() -> dict[str, str]:
    """``WebClient`` method name → Web API method (``chat_postMessage`` → ``chat.postMessage``)."""
    from slack_sdk import WebClient

    names = {}
    for name, _ in inspect.getmembers(WebClient, inspect.isfunction):
        if name.startswith("_") or "_" not in name or name in _COMPOSITE or name == "api_call":
            continue
        names[name] = name.replace("_", ".")
    return names


@dataclass
class Use:
    """Where the code calls a method (for the error message and the docs)."""

    method: str
    where: list[str] = field(default_factory=list)


def _calls_in(source: str, filename: str) -> Iterator[tuple[str, int]]:
    web = _web_methods()
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in _COMPOSITE:
                for method in _COMPOSITE[name]:
                    yield method, node.lineno
            elif name in web:
                yield web[name], node.lineno
            elif name == "api_call" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield first.value, node.lineno
        elif isinstance(node, ast.Constant) and node.value in {"url_private", "url_private_download"}:
            yield "files.download", node.lineno


def methods_used(paths: Iterable[Path], root: Path | None = None) -> dict[str, Use]:
    """Every Web API method called in the Python files under ``paths``."""
    found: dict[str, Use] = {}
    for path in sorted(set(_python_files(paths))):
        where = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        for method, line in _calls_in(path.read_text(encoding="utf-8"), str(path)):
            found.setdefault(method, Use(method)).where.append(f"{where}:{line}")
    return found


def _python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from (p for p in path.rglob("*.py") if "__pycache__" not in p.parts and not _is_self(p))
        elif path.suffix == ".py" and not _is_self(path):
            yield path


#: Parts of the core that talk to Slack on the product's behalf (the emulator and the test helpers
#: only play Slack; they are not the app).
_CORE_EXCLUDED = ("emulator", "testing")


def core_paths() -> list[Path]:
    """The core's source files that may call the Web API."""
    import bot

    root = Path(bot.__file__).parent
    return [p for p in root.iterdir() if p.name not in _CORE_EXCLUDED and (p.is_dir() or p.suffix == ".py")]


def _is_self(path: Path) -> bool:
    # This module names the methods it looks for; it calls none of them.
    return path.resolve() == Path(__file__).resolve()


def plugin_paths(plugins: Iterable[Any]) -> list[Path]:
    """The source of each plugin object: its module, or, for a plugin inside a package
    (``plugins.projects``), that whole package."""
    import importlib

    paths: list[Path] = []
    for plugin in plugins:
        module = plugin if isinstance(plugin, ModuleType) else inspect.getmodule(type(plugin))
        if module is None or not getattr(module, "__file__", None):
            continue
        parts = module.__name__.split(".")
        if parts[0] == "plugins" and len(parts) >= 3:
            module = importlib.import_module(".".join(parts[:2]))
        file = Path(str(module.__file__))
        paths.append(file.parent if file.name == "__init__.py" else file)
    return paths


def active_plugins(host: Any) -> list[Any]:
    """The plugin objects of a :class:`bot.pluginhost.PluginHost` that are loaded and enabled."""
    return [host.pm.get_plugin(name) for name in host.active() if host.pm.get_plugin(name) is not None]


@dataclass
class DerivedScopes:
    """The scopes the app needs, and why each one."""

    scopes: set[str]
    reasons: dict[str, list[str]]
    methods: dict[str, Use]


def derive(
    paths: Iterable[Path],
    events: Iterable[str],
    *,
    has_commands: bool,
    declared: Mapping[str, Iterable[str]] | None = None,
) -> DerivedScopes:
    """The scopes for the Web API methods called under ``paths``, the ``events`` subscribed to, slash
    commands / shortcuts (``commands``) and the extra scopes event handlers declared."""
    methods = methods_used(paths)
    reasons: dict[str, list[str]] = {}
    for method in sorted(methods):
        for scope in scopes_for_method(method):
            reasons.setdefault(scope, []).append(method)
    for event in sorted(set(events)):
        needed = EVENT_SCOPES.get(event)
        if needed:
            reasons.setdefault(needed, []).append(f"event {event}")
    for event, scopes in (declared or {}).items():
        for scope in scopes:
            reasons.setdefault(scope, []).append(f"event {event}")
    if has_commands:
        reasons.setdefault("commands", []).append("slash commands and shortcuts")
    return DerivedScopes(set(reasons), reasons, methods)


__all__ = [
    "EVENT_SCOPES",
    "METHOD_CONVERSATIONS",
    "METHOD_SCOPES",
    "DerivedScopes",
    "UnknownMethod",
    "active_plugins",
    "core_paths",
    "derive",
    "methods_used",
    "plugin_paths",
    "scopes_for_call",
    "scopes_for_method",
]
