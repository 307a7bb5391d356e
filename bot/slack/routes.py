"""Slack routing as data, and the Bolt listeners built from it.

A :class:`RoutingTable` says which Bolt listener each registration is reached through and how it is
acknowledged: command names with ``lazy`` / ``ack_text`` / ``admin_only``, action ids and patterns (in
registration order: the first match wins), view callback ids (with or without a lazy part), shortcut
ids, and the event types plugins handle. The full app (:mod:`bot.slack.app`) builds it from the plugins'
registrations; the packaged routing snapshot (:mod:`bot.slack.snapshot`) carries the same table as JSON.
:func:`wire` turns a table into Bolt listeners for both, so both match a payload to the same listener
and lazy function (Bolt finds a lazy function again by name when Lambda re-invokes the function).

This module imports Bolt and the standard library only: the snapshot's acknowledgement path uses it
without loading the runtime or any plugin.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.kwargs_injection.args import Args
from slack_bolt.middleware import Middleware

from bot.slack.errors import new_reference, tell_user, user_of

if TYPE_CHECKING:
    from bot.slack.registry import Registrations

logger = logging.getLogger(__name__)

Listener = Callable[[Args], None]

#: How many action ids' resolutions a table remembers (patterns could match unboundedly many ids).
_ACTION_CACHE_SIZE = 4096


@dataclass(frozen=True)
class CommandRoute:
    """How a slash command is acknowledged."""

    name: str
    lazy: bool = True
    ack_text: str = ""
    admin_only: bool = False


@dataclass(frozen=True)
class ActionRoute:
    """One action registration: an exact ``action_id`` or a pattern (``regex``), run lazily or before the ack."""

    action_id: str
    regex: bool = False
    lazy: bool = True


@dataclass
class RoutingTable:
    """Everything Bolt's matching and the acknowledgements need from the registrations (no handlers)."""

    commands: dict[str, CommandRoute] = field(default_factory=dict)
    #: Registration order; an exact id registered twice appears once (the first registration wins).
    actions: list[ActionRoute] = field(default_factory=list)
    #: View callback id → whether the registration has a lazy part.
    views: dict[str, bool] = field(default_factory=dict)
    #: Shortcut callback id → whether it is lazy.
    shortcuts: dict[str, bool] = field(default_factory=dict)
    #: Event types a plugin handles, in registration order (the first handler of a type runs).
    events: list[str] = field(default_factory=list)
    _resolved: dict[str, int | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_registrations(cls, regs: Registrations) -> RoutingTable:
        """The table of ``regs`` (what :func:`bot.slack.registry.collect_registrations` found)."""
        table = cls()
        for c in regs.commands.values():
            table.commands[c.name] = CommandRoute(c.name, c.lazy, c.ack_text, c.admin_only)
        table.actions = [ActionRoute(a.action_id, a.regex, a.lazy) for a in first_actions(regs)]
        table.views = {v.callback_id: getattr(v, "lazy", None) is not None for v in regs.views.values()}
        table.shortcuts = {s.callback_id: s.lazy for s in regs.shortcuts.values()}
        table.events = [event for event, handlers in regs.events.items() if handlers]
        return table

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (see :meth:`from_dict`)."""
        return {
            "commands": [
                {"name": c.name, "lazy": c.lazy, "ack_text": c.ack_text, "admin_only": c.admin_only}
                for c in self.commands.values()
            ],
            "actions": [{"action_id": a.action_id, "regex": a.regex, "lazy": a.lazy} for a in self.actions],
            "views": [{"callback_id": k, "lazy": v} for k, v in self.views.items()],
            "shortcuts": [{"callback_id": k, "lazy": v} for k, v in self.shortcuts.items()],
            "events": list(self.events),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingTable:
        """The table :meth:`as_dict` wrote; raises ``KeyError`` / ``TypeError`` / ``ValueError`` on another shape."""
        table = cls()
        for c in data["commands"]:
            table.commands[str(c["name"])] = CommandRoute(
                str(c["name"]), _flag(c["lazy"]), str(c["ack_text"]), _flag(c["admin_only"])
            )
        table.actions = [ActionRoute(str(a["action_id"]), _flag(a["regex"]), _flag(a["lazy"])) for a in data["actions"]]
        for a in table.actions:
            if a.regex:
                re.compile(a.action_id)  # a broken pattern fails the load, not a request
        table.views = {str(v["callback_id"]): _flag(v["lazy"]) for v in data["views"]}
        table.shortcuts = {str(s["callback_id"]): _flag(s["lazy"]) for s in data["shortcuts"]}
        table.events = [str(e) for e in data["events"]]
        return table

    def action_position(self, action_id: str) -> int | None:
        """The index in :attr:`actions` of the registration ``action_id`` goes to: the first, in
        registration order, whose id equals it or whose pattern matches it (Bolt's search semantics)."""
        if action_id in self._resolved:
            return self._resolved[action_id]
        found = None
        for index, route in enumerate(self.actions):
            if (route.action_id == action_id) if not route.regex else re.search(route.action_id, action_id):
                found = index
                break
        if len(self._resolved) < _ACTION_CACHE_SIZE:
            self._resolved[action_id] = found
        return found

    def action_route(self, body: dict[str, Any]) -> tuple[int, ActionRoute] | None:
        """The position and route of a ``block_actions`` (or other action) payload's first action."""
        position = self.action_position(action_id_of(body))
        return None if position is None else (position, self.actions[position])

    def action_patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """The patterns of the lazy and of the eager actions' listeners."""
        patterns = []
        for lazy in (True, False):
            chosen = [a for a in self.actions if a.lazy is lazy]
            exact_part = names_pattern(a.action_id for a in chosen if not a.regex)
            # Plugins' own patterns stay separate alternatives (search semantics, as Bolt applies them).
            parts = ([exact_part.pattern] if exact_part is not None else []) + [
                f"(?:{a.action_id})" for a in chosen if a.regex
            ]
            patterns.append(re.compile("|".join(parts)) if parts else None)
        return patterns[0], patterns[1]


def first_actions(regs: Registrations) -> list[Any]:
    """``regs.actions`` without exact ids registered a second time (the first registration wins)."""
    seen: set[str] = set()
    kept = []
    for action in regs.actions:
        if not action.regex:
            if action.action_id in seen:
                continue
            seen.add(action.action_id)
        kept.append(action)
    return kept


def action_id_of(body: dict[str, Any]) -> str:
    """The action id a payload is routed by: its first action's, else its ``callback_id``."""
    act = (body.get("actions") or [{}])[0]
    found_id = act.get("action_id") if isinstance(act, dict) else None
    if not isinstance(found_id, str):
        found_id = body.get("callback_id")
    return found_id if isinstance(found_id, str) else ""


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


# -- acknowledgements both apps give ------------------------------------------------------------------


def acknowledge_command(route: CommandRoute, ack: Any, context: Any) -> None:
    """A lazy command's acknowledgement: the refusal for non-admins, else its ``ack_text`` (or nothing)."""
    if route.admin_only and not context.get("is_admin"):
        ack(f"Sorry, {route.name} is for Crewbot admins only.")
    elif route.ack_text:
        ack(route.ack_text)
    else:
        ack()


def log_redelivery(req: BoltRequest) -> None:
    """Log Slack's retry headers (a redelivery is still acknowledged and deduplicated later)."""
    retry = req.headers.get("x-slack-retry-num")
    if retry:
        reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
        body = req.body
        logger.info("Slack redelivery %s (%s) of %s", retry[0], reason, body.get("event_id") or body.get("type"))


def noop_ack(ack: Any) -> None:
    ack()


def ack_if_needed(args: Args) -> None:
    """Acknowledge a before-ack listener that did not answer (lazy listeners get a no-op ack).

    Socket Mode would otherwise wait for the 3-second timeout."""
    ack = args.ack
    if not args.request.lazy_only and ack is not None and ack.response is None:
        ack()


def unknown_command(ack: Any, command: dict[str, Any]) -> None:
    ref = new_reference()
    logger.warning(
        "unknown slash command %s from %s (error reference %s): no enabled plugin registers it",
        command.get("command"),
        command.get("user_id"),
        ref,
    )
    ack(
        f"Sorry, I don't know {command.get('command')} (error reference `{ref}`). "
        "Try `/crewbot help` for what I can do."
    )


def unknown_action(ack: Any, body: dict[str, Any], client: Any) -> None:
    ack()
    act = (body.get("actions") or [{}])[0]
    if act.get("type") in {"button", "overflow"} or act.get("type") is None:
        ref = new_reference()
        logger.warning("no handler for action %s (error reference %s)", act.get("action_id"), ref)
        tell_user(body, client, f"Sorry, that button no longer does anything (error reference `{ref}`).")
    # Select menus, date pickers etc. inside forms send actions nobody needs to handle.


def unknown_view(ack: Any, body: dict[str, Any], client: Any) -> None:
    ack()
    ref = new_reference()
    callback = (body.get("view") or {}).get("callback_id")
    if body.get("type") == "view_submission":
        logger.warning("no handler for form %s (error reference %s)", callback, ref)
        tell_user(
            {"user": body.get("user")},
            client,
            f"Sorry, that form is no longer handled; nothing was saved (error reference `{ref}`).",
        )


def unknown_shortcut(ack: Any, body: dict[str, Any]) -> None:
    ack()
    logger.warning(
        "no handler for %s %s from %s: acknowledged, nothing done",
        body.get("type"),
        body.get("callback_id"),
        user_of(body),
    )


def view_closed(ack: Any, body: dict[str, Any]) -> None:
    ack()
    view = body.get("view") or {}
    logger.info("%s closed form %s", user_of(body), view.get("callback_id") or body.get("callback_id"))


# -- wiring ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatchers:
    """What each listener :func:`wire` builds calls: the full app's look up the registration and run
    it; the snapshot app's acknowledge from the table and hand the rest to the full app."""

    context: Callable[[BoltRequest, Callable[[], Any]], Any]
    ack_command: Listener
    lazy_command: Listener
    ack_action: Listener
    lazy_action: Listener
    lazy_event: Listener
    ack_view: Listener
    lazy_view: Listener
    run_shortcut: Listener


def bolt_app(project: str, signing_secret: str, client: Any, process_before_response: bool) -> App:
    """The Bolt app both front doors wire: its loggers under "slack_bolt" (so logging configuration quiets
    them), no token check at construction (tokens come from Secrets Manager / the environment, and checking
    would add an auth.test round trip to every cold start; Bolt calls it lazily on the first request)."""
    return App(
        name=f"slack_bolt.{project}",
        logger=logging.getLogger(f"slack_bolt.{project}"),
        signing_secret=signing_secret,
        client=client,
        process_before_response=process_before_response,
        token_verification_enabled=False,
    )


def wire(app: App, table: RoutingTable, run: Dispatchers) -> None:
    """One Bolt listener per event kind (and per ack style), then the catch-alls.

    Each listener's primary matcher is Bolt's own, given a pattern of exactly the names routed there, so a
    request costs one matcher per listener it passes. Most frequent first: slash commands, buttons, DMs;
    kinds are disjoint, so order between them is free. Each kind has one lazy function, named after it."""
    app.use(ContextMiddleware(run.context))
    commands = table.commands.values()
    lazy_commands = names_pattern(c.name for c in commands if c.lazy)
    eager_commands = names_pattern(c.name for c in commands if not c.lazy)
    if lazy_commands is not None:
        app.command(lazy_commands)(
            ack=named(run.ack_command, "ack", "command"), lazy=[named(run.lazy_command, "lazy", "command")]
        )
    lazy_actions, eager_actions = table.action_patterns()
    if lazy_actions is not None:
        app.action(lazy_actions)(
            ack=named(run.ack_action, "ack", "action"), lazy=[named(run.lazy_action, "lazy", "action")]
        )
    if "message" not in table.events:
        # Conversations: DMs (and files shared in DMs); other message subtypes (edits, joins) are only
        # acknowledged.
        app.event({"type": "message", "subtype": [None, "file_share"]})(
            ack=noop_ack, lazy=[named(run.lazy_event, "lazy", "message")]
        )
    # app_home_opened has a default handler (the home tab); app_mention is a conversation.
    events = names_pattern([*table.events, "app_home_opened", "app_mention"])
    assert events is not None
    app.event(events)(ack=noop_ack, lazy=[named(run.lazy_event, "lazy", "event")])
    if eager_commands is not None:
        app.command(eager_commands)(named(run.lazy_command, "command", "dispatch"))
    if eager_actions is not None:
        app.action(eager_actions)(named(run.ack_action, "action", "dispatch"))
    lazy_views = names_pattern(k for k, lazy in table.views.items() if lazy)
    eager_views = names_pattern(k for k, lazy in table.views.items() if not lazy)
    if lazy_views is not None:
        app.view(lazy_views)(
            ack=named(run.ack_view, "view", "dispatch_lazy"), lazy=[named(run.lazy_view, "lazy", "view")]
        )
    if eager_views is not None:
        app.view(eager_views)(named(run.ack_view, "view", "dispatch"))
    lazy_shortcuts = names_pattern(k for k, lazy in table.shortcuts.items() if lazy)
    eager_shortcuts = names_pattern(k for k, lazy in table.shortcuts.items() if not lazy)
    if lazy_shortcuts is not None:
        app.shortcut(lazy_shortcuts)(ack=noop_ack, lazy=[named(run.run_shortcut, "lazy", "shortcut")])
    if eager_shortcuts is not None:
        app.shortcut(eager_shortcuts)(named(run.run_shortcut, "shortcut", "dispatch"))
    # Catch-alls, registered last: an unknown command or button gets an answer, and an event nobody
    # handles is still acknowledged (anything but 200 makes Slack retry it).
    app.command(re.compile(r".*"))(unknown_command)
    app.action(re.compile(r".*"))(unknown_action)
    app.view(re.compile(r".*"))(unknown_view)
    app.shortcut(re.compile(r".*"))(unknown_shortcut)
    app.view_closed(re.compile(r".*"))(view_closed)
    app.event(re.compile(r".*"))(noop_ack)


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching exactly the given names (Bolt's matchers search patterns), None for none."""
    unique = sorted(set(names))
    if not unique:
        return None
    return re.compile("^(?:" + "|".join(re.escape(n) for n in unique) + ")$")


class ContextMiddleware(Middleware):
    """A function as Bolt middleware, called directly (no argument injection)."""

    def __init__(self, func: Callable[[BoltRequest, Callable[[], Any]], Any]):
        self.func = func

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> Any:
        return self.func(req, next)


def named(func: Listener, kind: str, name: str) -> Listener:
    """``func`` as a listener named ``crewbot_<kind>_<name>``.

    Bolt finds a lazy function again (on Lambda, in a fresh invocation) by its ``__name__``, so it must be
    stable and unique per listener; Bolt injects arguments by parameter name, so the wrapper takes ``args``.
    """

    def listener(args: Args) -> None:
        func(args)

    listener.__name__ = listener.__qualname__ = f"crewbot_{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
    return listener


__all__ = [
    "ActionRoute",
    "CommandRoute",
    "Dispatchers",
    "RoutingTable",
    "acknowledge_command",
    "action_id_of",
    "wire",
]
