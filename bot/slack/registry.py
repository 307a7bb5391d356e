"""What plugins register with the Slack app: slash commands, buttons, modal submissions, shortcuts, events.

Plugins return these from ``register_commands`` (:class:`SlashCommand`) and ``register_actions``
(:class:`Action`, :class:`ViewSubmission`, :class:`Shortcut`, :class:`SlackEvent`). A handler is a
Bolt-style listener function: it names the arguments it wants and Bolt passes them (``ack``,
``respond``, ``say``, ``client``, ``body``, ``command``, ``action``, ``view``, ``event``, ``logger``,
``context`` ...), plus two Crewbot ones: ``crewbot`` (the :class:`bot.runtime.Crewbot` runtime) and
``is_admin`` (whether the Slack user is listed in ``slack.admins``)::

    def hello(respond, command):
        respond(f"Hello <@{command['user_id']}>!")

    SlashCommand("/hello", hello, description="Say hello")

Handlers are *lazy* by default: Crewbot acknowledges Slack at once and runs the handler afterwards
(a lazy listener on Lambda), so it may take as long as it needs; it answers with ``respond`` / ``say`` /
``client``, not ``ack``. A handler registered with ``lazy=False`` runs before the acknowledgement and
may call ``ack`` itself (it must be fast: Slack waits at most 3 seconds). Modal submissions are never
lazy because only the acknowledgement can keep a modal open with validation errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Handler = Callable[..., Any]

_COMMAND = re.compile(r"^/[a-z0-9][a-z0-9_-]{0,30}$")
_ID = re.compile(r"^[A-Za-z0-9_.:#-]{1,255}$")


def _check_id(kind: str, value: str) -> None:
    if not _ID.match(value):
        raise ValueError(f"{kind} {value!r} must be 1-255 characters of letters, digits and _.:#-")


@dataclass(frozen=True)
class SlashCommand:
    """A slash command such as ``/crewbot``.

    ``description`` and ``usage_hint`` appear in Slack's command picker, in ``/crewbot help`` and in
    the manifest. ``ack_text`` is shown to the user at once while a lazy handler works (nothing when
    empty). ``admin_only`` commands answer everyone not in ``slack.admins`` with a refusal.
    """

    name: str
    handler: Handler
    description: str
    usage_hint: str = ""
    lazy: bool = True
    ack_text: str = ""
    admin_only: bool = False

    def __post_init__(self) -> None:
        if not _COMMAND.match(self.name):
            raise ValueError(f"slash command {self.name!r} must look like /name (lower case, at most 32 characters)")
        if not self.description.strip():
            raise ValueError(f"slash command {self.name}: a description is required (it is shown in Slack's picker)")
        if not callable(self.handler):
            raise TypeError(f"slash command {self.name}: handler must be callable")


@dataclass(frozen=True)
class Action:
    """A handler for button presses and other block actions, by ``action_id`` (a regular expression
    when ``regex=True``).

    Presses are de-duplicated: the same press delivered twice (a double click, a redelivery) within
    ``dedupe_seconds`` runs the handler once. With ``once=True`` a button works once per message for
    everybody (approvals): later presses are ignored until the record expires (``dedupe_seconds``,
    default a week then). A handler that fails releases the record, so pressing again retries.
    ``admin_only`` refuses presses by users not in ``slack.admins``; finer checks (the project's
    approvers, say) belong in the handler, which gets ``is_admin`` and ``body["user"]``.
    """

    action_id: str
    handler: Handler
    regex: bool = False
    lazy: bool = True
    admin_only: bool = False
    once: bool = False
    dedupe_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.regex:
            try:
                re.compile(self.action_id)
            except re.error as exc:
                raise ValueError(f"Action pattern {self.action_id!r} is not a valid regex: {exc}") from None
        else:
            _check_id("action_id", self.action_id)
        if not callable(self.handler):
            raise TypeError(f"Action {self.action_id}: handler must be callable")

    @property
    def matcher(self) -> str | re.Pattern[str]:
        return re.compile(self.action_id) if self.regex else self.action_id

    @property
    def window(self) -> int:
        """Seconds a press is remembered for de-duplication."""
        if self.dedupe_seconds is not None:
            return self.dedupe_seconds
        return 7 * 24 * 3600 if self.once else 10


@dataclass(frozen=True)
class ViewSubmission:
    """A handler for a modal's submission, by the view's ``callback_id``.

    It runs before the acknowledgement (so it can return validation errors with
    ``ack(response_action="errors", errors={...})``) and must not do I/O: Slack wants the answer
    within 3 seconds. Slow work (downloads, model calls, Web API calls) goes in ``lazy``, which runs
    after the acknowledgement with the same arguments (on Lambda, in a fresh invocation); the handler
    typically acks with ``response_action="update"`` to a "working on it" view that ``lazy`` then
    updates with ``views.update``.
    """

    callback_id: str
    handler: Handler
    admin_only: bool = False
    lazy: Handler | None = None

    def __post_init__(self) -> None:
        _check_id("callback_id", self.callback_id)
        if not callable(self.handler):
            raise TypeError(f"ViewSubmission {self.callback_id}: handler must be callable")


@dataclass(frozen=True)
class Shortcut:
    """A global or message shortcut (the ⚡ menu), listed in the manifest."""

    callback_id: str
    name: str
    description: str
    handler: Handler
    type: Literal["global", "message"] = "global"
    lazy: bool = False  # shortcuts usually open a modal, which needs the trigger_id within 3 seconds

    def __post_init__(self) -> None:
        _check_id("callback_id", self.callback_id)
        if not 1 <= len(self.name) <= 24:
            raise ValueError(f"shortcut {self.callback_id}: name must be 1-24 characters")
        if not callable(self.handler):
            raise TypeError(f"shortcut {self.callback_id}: handler must be callable")


@dataclass(frozen=True)
class SlackEvent:
    """A handler for another Events API event (``app_home_opened``, ``reaction_added`` ...).

    The event is added to the manifest's bot events with the ``scopes`` it needs. Handlers are lazy.
    A plugin's ``app_home_opened`` handler replaces Crewbot's default home tab.
    """

    event: str
    handler: Handler
    scopes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z_.]+", self.event):
            raise ValueError(f"SlackEvent: {self.event!r} is not an Events API event type")
        if not callable(self.handler):
            raise TypeError(f"SlackEvent {self.event}: handler must be callable")

    @property
    def name(self) -> str:
        return self.event


@dataclass(frozen=True)
class Subcommand:
    """A sub-command a plugin adds to a slash command another plugin owns (``/crewbot ask``), returned from
    ``register_commands``. ``name`` is one word, or two for a verb under an existing one (``agents new``).
    The owning command's handler dispatches to it and calls ``handler(respond=, command=, crewbot=,
    client=)``; it is listed under its command in ``/crewbot help``."""

    command: str
    name: str
    handler: Handler
    description: str

    def __post_init__(self) -> None:
        if not _COMMAND.match(self.command):
            raise ValueError(f"sub-command {self.name!r}: {self.command!r} is not a slash command name")
        if not re.fullmatch(r"[a-z][a-z0-9_-]*( [a-z][a-z0-9_-]*)?", self.name):
            raise ValueError(f"sub-command {self.name!r} must be one or two lower-case words")
        if not callable(self.handler):
            raise TypeError(f"sub-command {self.command} {self.name}: handler must be callable")


Registration = SlashCommand | Action | ViewSubmission | Shortcut | SlackEvent | Subcommand


@dataclass
class Registrations:
    """Everything enabled plugins registered with the Slack app, validated and de-duplicated."""

    commands: dict[str, SlashCommand] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    views: dict[str, ViewSubmission] = field(default_factory=dict)
    shortcuts: dict[str, Shortcut] = field(default_factory=dict)
    events: dict[str, list[SlackEvent]] = field(default_factory=dict)
    #: Sub-commands plugins add to other plugins' commands: command → sub-command name → registration.
    subcommands: dict[str, dict[str, Subcommand]] = field(default_factory=dict)
    #: Which plugin registered each command (for ``/crewbot help``).
    command_plugins: dict[str, str] = field(default_factory=dict)
    #: Registrations that were refused, with the reason (logged and shown by ``crewbot manifest``).
    problems: list[str] = field(default_factory=list)


def collect_registrations(plugins: Any) -> Registrations:
    """Sort what plugins returned from ``register_commands`` / ``register_actions`` by kind.

    ``plugins`` is the runtime's :class:`bot.pluginhost.PluginHost`. A wrong type or a name taken by
    an earlier plugin is refused with a problem naming the plugin; the first registration wins.
    """
    found = Registrations()
    for contribution in plugins.contributions("register_commands"):
        item, plugin = contribution.item, contribution.plugin
        if isinstance(item, Subcommand):
            taken = found.subcommands.setdefault(item.command, {})
            if item.name in taken:
                found.problems.append(f"plugin {plugin}: {item.command} {item.name} is already registered; ignored")
            else:
                taken[item.name] = item
            continue
        if not isinstance(item, SlashCommand):
            found.problems.append(
                f"plugin {plugin}: register_commands returned {type(item).__name__}, "
                "expected bot.slack.registry.SlashCommand"
            )
        elif item.name in found.commands:
            found.problems.append(
                f"plugin {plugin}: {item.name} is already registered by plugin "
                f"{found.command_plugins[item.name]}; ignored"
            )
        else:
            found.commands[item.name] = item
            found.command_plugins[item.name] = plugin
    for contribution in plugins.contributions("register_actions"):
        item, plugin = contribution.item, contribution.plugin
        if isinstance(item, Action):
            found.actions.append(item)
        elif isinstance(item, ViewSubmission):
            if item.callback_id in found.views:
                found.problems.append(f"plugin {plugin}: view {item.callback_id} is already registered; ignored")
            else:
                found.views[item.callback_id] = item
        elif isinstance(item, Shortcut):
            if item.callback_id in found.shortcuts:
                found.problems.append(f"plugin {plugin}: shortcut {item.callback_id} is already registered; ignored")
            else:
                found.shortcuts[item.callback_id] = item
        elif isinstance(item, SlackEvent):
            found.events.setdefault(item.event, []).append(item)
        else:
            found.problems.append(
                f"plugin {plugin}: register_actions returned {type(item).__name__}, expected "
                "Action, ViewSubmission, Shortcut or SlackEvent from bot.slack.registry"
            )
    return found
