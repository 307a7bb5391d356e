"""The Bolt app, assembled from what plugins registered.

Routing:

* DMs (``message.im``, including DM threads) and ``app_mention`` become an
  :class:`~bot.slack.conversation.IncomingMessage` for the runtime's conversation handler
  (``crewbot.conversations``), answered through :class:`~bot.slack.reply.SlackReply`;
* slash commands, ``block_actions``, ``view_submission``, shortcuts and other events go to the
  handlers plugins registered (:mod:`bot.slack.registry`);
* ``app_home_opened`` publishes a home tab (a plugin's ``SlackEvent("app_home_opened")`` replaces it).

Every handler runs inside an error boundary: the user gets a short ephemeral message with an error
reference, the log gets the details. Slow work runs in lazy listeners (``process_before_response=True``
on Lambda), so Slack always gets its acknowledgement in time. Conversations and button presses go
through :class:`~bot.slack.idempotency.Deduplicator`, so redeliveries are handled once.

Handlers get two extra arguments besides Bolt's: ``crewbot`` (the runtime) and ``is_admin``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.kwargs_injection.args import Args
from slack_bolt.middleware import Middleware
from slack_bolt.util.utils import get_arg_names_of_callable
from slack_sdk import WebClient

from bot.slack.conversation import ConversationHandler, IncomingMessage
from bot.slack.errors import new_reference, report, tell_user, user_of
from bot.slack.guard import is_user_id
from bot.slack.registry import (
    Action,
    Registrations,
    Shortcut,
    SlackEvent,
    SlashCommand,
    ViewSubmission,
    collect_registrations,
)
from bot.slack.reply import SlackReply
from bot.slack.users import UserRegistry

if TYPE_CHECKING:
    from bot.runtime import Crewbot
    from bot.slack.idempotency import Deduplicator

logger = logging.getLogger(__name__)

#: Redeliveries of an event within this many seconds are recognised (Slack retries for ~6 minutes).
EVENT_DEDUPE_SECONDS = 3600

NO_AGENTS_TEXT = (
    "I can't hold a conversation here yet: no agent runtime is configured in this installation. "
    "Slash commands still work; try `/crewbot help`."
)


class SlackFrontDoor:
    """Builds and holds the Bolt :class:`App` of one runtime."""

    def __init__(
        self,
        crewbot: Crewbot,
        *,
        signing_secret: str,
        client: WebClient,
        process_before_response: bool = True,
        conversations: ConversationHandler | None = None,
    ):
        self.crewbot = crewbot
        self._conversations = conversations
        self.users = UserRegistry(crewbot)
        self.registrations: Registrations = collect_registrations(crewbot.plugins)
        for problem in self.registrations.problems:
            logger.error("slack registration refused: %s", problem)
        self.app = App(
            # Bolt names its loggers after the app: under "slack_bolt" so configure_logging quiets them too.
            name=f"slack_bolt.{crewbot.config.project}",
            logger=logging.getLogger(f"slack_bolt.{crewbot.config.project}"),
            signing_secret=signing_secret,
            client=client,
            process_before_response=process_before_response,
            # Tokens come from Secrets Manager / the environment; checking them at construction would
            # add an auth.test round trip to every cold start (Bolt calls it lazily on first request).
            token_verification_enabled=False,
        )
        self._wire()

    # -- services ----------------------------------------------------------------------------------

    @property
    def conversations(self) -> ConversationHandler | None:
        """The conversation handler: the one given, else the runtime's (``crewbot.conversations``)."""
        if self._conversations is not None:
            return self._conversations
        return getattr(self.crewbot, "conversations", None)

    @cached_property
    def dedupe(self) -> Deduplicator:
        from bot.slack.idempotency import Deduplicator
        from bot.storage.tables import IDEMPOTENCY

        return Deduplicator(self.crewbot.store.table(IDEMPOTENCY))

    # -- wiring ------------------------------------------------------------------------------------

    def _wire(self) -> None:
        """One Bolt listener per event kind (and per ack style), each routing by a dict lookup.

        A payload of one kind never matches another kind's listener, so Bolt checks at most a handful of
        matchers per request however many handlers plugins register. Lazy work runs in one lazy function
        per kind (Bolt finds it again by name when Lambda re-invokes the function) which looks the
        registration up again from the payload."""
        app = self.app
        app.use(_ContextMiddleware(self._context_middleware))
        regs = self.registrations
        self._commands = {
            c.name: (c, self._command_runner(c), self._command_acknowledger(c)) for c in regs.commands.values()
        }
        self._actions_exact: dict[str, tuple[int, Action, Callable[[Args], None]]] = {}
        self._actions_regex: list[tuple[int, Action, Callable[[Args], None]]] = []
        for index, action in enumerate(regs.actions):
            entry = (index, action, self._action_runner(action))
            if action.regex:
                self._actions_regex.append(entry)
            else:
                self._actions_exact.setdefault(action.action_id, entry)
        self._action_routes: dict[str, tuple[int, Action, Callable[[Args], None]] | None] = {}
        self._views = {v.callback_id: (v, *self._view_runners(v)) for v in regs.views.values()}
        self._shortcuts = {
            s.callback_id: (s, self._boundary(s.handler, f"shortcut {s.name}", eager=not s.lazy))
            for s in regs.shortcuts.values()
        }
        self._events: dict[str, Callable[[Args], None]] = {
            event: self._event_runner(handlers[0]) for event, handlers in regs.events.items() if handlers
        }
        if "app_home_opened" not in self._events:
            self._events["app_home_opened"] = lambda args: self._default_home(args.event or {}, args.client)

        # Each listener's primary matcher is Bolt's own, given a pattern of exactly the names routed there,
        # so a request costs one matcher per listener it passes. Most frequent first: slash commands,
        # buttons, DMs (the order of Bolt's quick start); kinds are disjoint, so order between them is free.
        lazy_commands = _names_pattern(c.name for c in regs.commands.values() if c.lazy)
        eager_commands = _names_pattern(c.name for c in regs.commands.values() if not c.lazy)
        if lazy_commands is not None:
            app.command(lazy_commands)(
                ack=_named(self._ack_command, "ack", "command"), lazy=[_named(self._lazy_command, "lazy", "command")]
            )
        action_matchers = self._action_patterns()
        if action_matchers[0] is not None:
            app.action(action_matchers[0])(
                ack=_named(self._ack_action, "ack", "action"), lazy=[_named(self._lazy_action, "lazy", "action")]
            )
        if "message" not in self._events:
            # Conversations: DMs (and files shared in DMs); other message subtypes (edits, joins) are only
            # acknowledged.
            app.event({"type": "message", "subtype": [None, "file_share"]})(
                ack=_noop_ack, lazy=[_named(self._lazy_event, "lazy", "message")]
            )
        events = _names_pattern([*self._events, "app_mention"])
        assert events is not None
        app.event(events)(ack=_noop_ack, lazy=[_named(self._lazy_event, "lazy", "event")])
        if eager_commands is not None:
            app.command(eager_commands)(_named(self._lazy_command, "command", "dispatch"))
        if action_matchers[1] is not None:
            app.action(action_matchers[1])(_named(self._ack_action, "action", "dispatch"))
        lazy_views = _names_pattern(v.callback_id for v in regs.views.values() if getattr(v, "lazy", None))
        eager_views = _names_pattern(v.callback_id for v in regs.views.values() if not getattr(v, "lazy", None))
        if lazy_views is not None:
            app.view(lazy_views)(
                ack=_named(self._ack_view, "view", "dispatch_lazy"), lazy=[_named(self._lazy_view, "lazy", "view")]
            )
        if eager_views is not None:
            app.view(eager_views)(_named(self._ack_view, "view", "dispatch"))
        lazy_shortcuts = _names_pattern(s.callback_id for s in regs.shortcuts.values() if s.lazy)
        eager_shortcuts = _names_pattern(s.callback_id for s in regs.shortcuts.values() if not s.lazy)
        if lazy_shortcuts is not None:
            app.shortcut(lazy_shortcuts)(ack=_noop_ack, lazy=[_named(self._run_shortcut, "lazy", "shortcut")])
        if eager_shortcuts is not None:
            app.shortcut(eager_shortcuts)(_named(self._run_shortcut, "shortcut", "dispatch"))
        # Catch-alls, registered last: an unknown command or button gets an answer, and an event nobody
        # handles is still acknowledged (anything but 200 makes Slack retry it).
        app.command(re.compile(r".*"))(self._unknown_command)
        app.action(re.compile(r".*"))(self._unknown_action)
        app.view(re.compile(r".*"))(self._unknown_view)
        app.shortcut(re.compile(r".*"))(self._unknown_shortcut)
        app.view_closed(re.compile(r".*"))(self._view_closed)
        app.event(re.compile(r".*"))(_noop_ack)

    def _action_patterns(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """The patterns of the lazy and of the eager actions' listeners."""
        entries = sorted([*self._actions_exact.values(), *self._actions_regex], key=lambda e: e[0])
        patterns = []
        for lazy in (True, False):
            chosen = [e[1] for e in entries if e[1].lazy is lazy]
            exact = [a.action_id for a in chosen if not a.regex]
            exact_part = _names_pattern(exact)
            # Plugins' own patterns stay separate alternatives (search semantics, as Bolt applies them).
            parts = ([exact_part.pattern] if exact_part is not None else []) + [
                f"(?:{a.action_id})" for a in chosen if a.regex
            ]
            patterns.append(re.compile("|".join(parts)) if parts else None)
        return patterns[0], patterns[1]

    def _context_middleware(self, req: BoltRequest, next: Callable[[], Any]) -> Any:
        context = req.context
        context["crewbot"] = self.crewbot
        context["is_admin"] = self.users.is_admin(user_of(req.body))
        retry = req.headers.get("x-slack-retry-num")
        if retry:
            reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
            body = req.body
            logger.info("Slack redelivery %s (%s) of %s", retry[0], reason, body.get("event_id") or body.get("type"))
        return next()

    def _first_contact(self, user_id: str | None, team_id: str) -> None:
        # Called from the lazy part (or, for handlers that run before the acknowledgement, after them):
        # creating a user record is a store write the acknowledgement must not wait for.
        if not user_id:
            return
        if is_user_id(user_id):
            self.users.seen(user_id, team_id)
        else:
            logger.warning("not recording a user for a payload with a malformed user id")

    # -- routes: which registration a payload goes to -----------------------------------------------

    def _command(self, body: dict[str, Any]) -> tuple[SlashCommand, Callable[[Args], None], Callable[..., None]] | None:
        return self._commands.get(body.get("command") or "")

    def _action(self, body: dict[str, Any]) -> tuple[int, Action, Callable[[Args], None]] | None:
        act = (body.get("actions") or [{}])[0]
        found_id = act.get("action_id") if isinstance(act, dict) else None
        if not isinstance(found_id, str):
            found_id = body.get("callback_id")
        action_id = found_id if isinstance(found_id, str) else ""
        if action_id in self._action_routes:
            return self._action_routes[action_id]
        # The first registration that matches wins, exact ids and patterns alike (registration order).
        found = self._actions_exact.get(action_id)
        for entry in self._actions_regex:
            if found is not None and entry[0] > found[0]:
                break
            if re.search(entry[1].action_id, action_id):
                found = entry
                break
        if len(self._action_routes) < 4096:  # pattern matches could be unbounded: cap the cache
            self._action_routes[action_id] = found
        return found

    def _view(self, body: dict[str, Any]) -> tuple[Any, ...] | None:
        return self._views.get(str((body.get("view") or {}).get("callback_id") or ""))

    def _shortcut(self, body: dict[str, Any]) -> tuple[Shortcut, Callable[[Args], None]] | None:
        return self._shortcuts.get(str(body.get("callback_id") or ""))

    def _event_route(self, body: dict[str, Any]) -> Callable[[Args], None] | None:
        event = body.get("event") or {}
        kind = event.get("type")
        route = self._events.get(kind) if isinstance(kind, str) else None
        if route is not None:
            return route
        # Conversations: DMs (and files shared in DMs) and mentions.
        if (kind == "message" and event.get("subtype") in (None, "file_share")) or kind == "app_mention":
            return self._converse_args
        return None

    # -- dispatchers ---------------------------------------------------------------------------------

    def _ack_command(self, args: Args) -> None:
        route = self._command(args.body)
        if route is not None:
            route[2](args.ack, args.context)

    def _lazy_command(self, args: Args) -> None:
        route = self._command(args.body)
        if route is not None:
            route[1](args)

    def _ack_action(self, args: Args) -> None:
        # The lazy listener's pattern may also match an action whose first matching registration is an
        # eager one (a plugin's pattern overlapping another's id): that one runs here, before the ack.
        route = self._action(args.body)
        if route is not None and not route[1].lazy:
            route[2](args)
        else:
            _ack_if_needed(args)

    def _lazy_action(self, args: Args) -> None:
        route = self._action(args.body)
        if route is not None and route[1].lazy:
            route[2](args)

    def _ack_view(self, args: Args) -> None:
        route = self._view(args.body)
        if route is not None:
            route[1](args)

    def _lazy_view(self, args: Args) -> None:
        route = self._view(args.body)
        if route is not None and route[2] is not None:
            route[2](args)

    def _run_shortcut(self, args: Args) -> None:
        route = self._shortcut(args.body)
        if route is not None:
            route[1](args)

    def _lazy_event(self, args: Args) -> None:
        route = self._event_route(args.body)
        if route is not None:
            route(args)

    def _converse_args(self, args: Args) -> None:
        self._converse(args.body, args.event or {}, args.client, args.context)

    # -- commands, actions, views, shortcuts, events -----------------------------------------------

    def _command_runner(self, command: SlashCommand) -> Callable[[Args], None]:
        run = self._boundary(
            command.handler,
            f"command {command.name}",
            admin_only=command.admin_only,
            dedupe=(_command_delivery, EVENT_DEDUPE_SECONDS),
            eager=not command.lazy,
        )
        if command.lazy:
            run._silent_refusal = True  # type: ignore[attr-defined]  # the acknowledgement refused already
        return run

    @staticmethod
    def _command_acknowledger(command: SlashCommand) -> Callable[..., None]:
        def acknowledge(ack: Any, context: Any) -> None:
            if command.admin_only and not context.get("is_admin"):
                ack(f"Sorry, {command.name} is for Crewbot admins only.")
            elif command.ack_text:
                ack(command.ack_text)
            else:
                ack()

        return acknowledge

    def _action_runner(self, action: Action) -> Callable[[Args], None]:
        def key(body: dict[str, Any]) -> str | None:
            act = (body.get("actions") or [{}])[0]
            if action.once:
                # Once per message (or view) for everybody: later presses by anyone are ignored.
                container = body.get("container") or {}
                where = container.get("message_ts") or container.get("view_id") or ""
                parts = [
                    str(where),
                    str(act.get("block_id", "")),
                    str(act.get("action_id", "")),
                    str(act.get("value", "")),
                ]
                return ":".join(["action-once", *parts])
            # Otherwise one delivery is one press: a redelivery repeats its action_ts and trigger_id, a
            # second real press (after cancelling the modal the first one opened, say) has new ones.
            delivery = [str(act.get("action_ts") or ""), str(body.get("trigger_id") or "")]
            if not any(delivery):
                return None
            return ":".join(["action", *delivery, str(act.get("action_id", ""))])

        return self._boundary(
            action.handler,
            f"button {action.action_id}",
            admin_only=action.admin_only,
            dedupe=(key, action.window),
            eager=not action.lazy,
        )

    def _view_runners(self, view: ViewSubmission) -> tuple[Callable[[Args], None], Callable[[Args], None] | None]:
        what = f"form {view.callback_id}"
        lazy = getattr(view, "lazy", None)
        run = self._boundary(view.handler, what, admin_only=view.admin_only, eager=lazy is None)
        if lazy is None:
            return run, None
        later = self._boundary(lazy, what, admin_only=view.admin_only, dedupe=(_view_delivery, EVENT_DEDUPE_SECONDS))
        later._silent_refusal = True  # type: ignore[attr-defined]
        return run, later

    def _event_runner(self, registration: SlackEvent) -> Callable[[Args], None]:
        name = getattr(registration.handler, "__qualname__", "handler")
        return self._boundary(
            registration.handler,
            f"{registration.event} handler",
            dedupe=(lambda body: f"event:{body.get('event_id')}:{name}", EVENT_DEDUPE_SECONDS),
        )

    def _boundary(
        self,
        handler: Callable[..., Any],
        what: str,
        *,
        admin_only: bool = False,
        dedupe: tuple[Callable[[dict[str, Any]], str | None], int] | None = None,
        eager: bool = False,
    ) -> Callable[[Args], None]:
        """Wrap a plugin handler: Bolt-style argument injection, admin check, de-duplication, and an
        error boundary that answers the user with a reference. ``eager`` handlers run before the
        acknowledgement and have no lazy part, so they record the user's first contact themselves."""
        arg_names: list[str] = []

        def run(args: Args) -> None:
            body = args.body
            if not arg_names:  # on first use, not at start-up: most handlers never run in a given process
                arg_names.extend(get_arg_names_of_callable(handler))
            if admin_only and not args.context.get("is_admin"):
                if not getattr(run, "_silent_refusal", False):
                    _ack_if_needed(args)
                    tell_user(body, args.client, f"Sorry, only Crewbot admins can use {what}.")
                return
            kwargs = build_required_kwargs(
                logger=args.logger,
                required_arg_names=list(arg_names),
                request=args.request,
                response=args.response,
                this_func=handler,
                next_keys_required=False,
            )

            def work() -> None:
                handler(**kwargs)

            if args.request.lazy_only:
                self._first_contact(user_of(body), args.context.team_id or "")
                self.users.after_ack(user_of(body), args.client)  # the user's time zone, off the ack path
            try:
                delivery = dedupe[0](body) if dedupe is not None else None
                if dedupe is None or delivery is None:
                    work()
                else:
                    self.dedupe.run_once(delivery, work, dedupe[1])
            except Exception as exc:
                ref = report(exc, what)
                _ack_if_needed(args)
                tell_user(
                    body,
                    args.client,
                    f"Sorry, {what} failed (error reference `{ref}`). The details are in Crewbot's log.",
                )
            else:
                _ack_if_needed(args)
            if eager and not args.request.lazy_only:
                self._first_contact(user_of(body), args.context.team_id or "")

        return run

    # -- conversations -----------------------------------------------------------------------------

    def _channel_route_claims(self, message: IncomingMessage) -> bool:
        """Whether a conversation route that takes channel messages (``channel_messages = True``) claims this one."""
        routes = self.crewbot.plugins.items("register_conversation_routes")
        return any(getattr(r, "channel_messages", False) and r.claims(self.crewbot, message) for r in routes)

    def _converse(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any) -> None:
        channel_message = event.get("type") == "message" and event.get("channel_type") != "im"
        if event.get("bot_id") or not event.get("user"):
            return
        self._first_contact(event["user"], body.get("team_id") or event.get("team") or "")
        if channel_message and (
            not isinstance(event.get("ts"), str)
            or not isinstance(event.get("channel"), str)
            or not isinstance(event.get("text") or "", str)
            or (context.bot_user_id and f"<@{context.bot_user_id}>" in (event.get("text") or ""))
        ):
            return  # malformed, or a mention (it arrives as app_mention too: answered once, there)
        text = event.get("text") or ""
        if event.get("type") == "app_mention" and context.bot_user_id:
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
        if channel_message and not self._channel_route_claims(message):
            return  # channel messages reach Crewbot as app_mention, unless a plugin's channel route claims them
        reply = SlackReply(client, message)

        def work() -> None:
            handler = self.conversations
            if handler is None:
                reply.post(NO_AGENTS_TEXT)
                return
            handler.handle(message, reply)

        try:
            self.dedupe.run_once(
                f"event:{body.get('event_id') or message.channel_id + ':' + message.ts}", work, EVENT_DEDUPE_SECONDS
            )
        except Exception as exc:
            ref = report(exc, f"conversation with {message.user_id}")
            try:
                reply.post(
                    f"Sorry, something went wrong while answering (error reference `{ref}`). "
                    "Please try again; the details are in Crewbot's log."
                )
            except Exception as post_exc:
                logger.error("could not tell %s about error %s: %s", message.user_id, ref, post_exc)
        # After the answer has started: the user's time zone (off the ack path, not delaying the reply).
        self.users.after_ack(message.user_id, client)

    # -- defaults ----------------------------------------------------------------------------------

    def _default_home(self, event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            client.views_publish(user_id=event["user"], view=home_view(self.crewbot, self.registrations))
        except Exception as exc:
            report(exc, "home tab")

    def _unknown_command(self, ack: Any, command: dict[str, Any]) -> None:
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

    def _unknown_action(self, ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        act = (body.get("actions") or [{}])[0]
        if act.get("type") in {"button", "overflow"} or act.get("type") is None:
            ref = new_reference()
            logger.warning("no handler for action %s (error reference %s)", act.get("action_id"), ref)
            tell_user(body, client, f"Sorry, that button no longer does anything (error reference `{ref}`).")
        # Select menus, date pickers etc. inside forms send actions nobody needs to handle.

    def _unknown_view(self, ack: Any, body: dict[str, Any], client: WebClient) -> None:
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

    def _unknown_shortcut(self, ack: Any, body: dict[str, Any]) -> None:
        ack()
        logger.warning(
            "no handler for %s %s from %s: acknowledged, nothing done",
            body.get("type"),
            body.get("callback_id"),
            user_of(body),
        )

    def _view_closed(self, ack: Any, body: dict[str, Any]) -> None:
        ack()
        view = body.get("view") or {}
        logger.info("%s closed form %s", user_of(body), view.get("callback_id") or body.get("callback_id"))


def _view_delivery(body: dict[str, Any]) -> str | None:
    # One submission of a view is one delivery: a redelivered submission carries the same view hash.
    view = body.get("view") or {}
    key = view.get("hash") or body.get("trigger_id")
    return f"view:{view.get('id')}:{key}" if key else None


def _command_delivery(body: dict[str, Any]) -> str | None:
    # A slash command is one delivery per trigger_id: a replayed request (within the signature's
    # 5 minutes) carries the same one and is run once.
    trigger = body.get("trigger_id")
    return f"command:{trigger}" if trigger else None


def home_view(crewbot: Crewbot, regs: Registrations) -> dict[str, Any]:
    """Crewbot's default home tab: how to talk to it and every command."""
    lines = [
        f"`{c.name}{' ' + c.usage_hint if c.usage_hint else ''}` — {c.description}"
        for c in sorted(regs.commands.values(), key=lambda c: c.name)
    ]
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": crewbot.config.slack.app_name}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Send me a direct message to talk to your agent, or mention me in a channel.",
                },
            },
            {"type": "divider"},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Commands*\n" + ("\n".join(lines) or "_none registered_")},
            },
        ],
    }


def _noop_ack(ack: Any) -> None:
    ack()


def _ack_if_needed(args: Args) -> None:
    # Lazy listeners get a no-op ack; before-ack listeners that did not answer are acknowledged here
    # (Socket Mode would otherwise wait for the 3-second timeout).
    ack = args.ack
    if not args.request.lazy_only and ack is not None and ack.response is None:
        ack()


def _names_pattern(names: Any) -> re.Pattern[str] | None:
    """A pattern matching exactly the given names (Bolt's matchers search patterns), None for none."""
    names = sorted(set(names))
    if not names:
        return None
    return re.compile("^(?:" + "|".join(re.escape(n) for n in names) + ")$")


class _ContextMiddleware(Middleware):
    # A Middleware subclass rather than a function: Bolt calls it directly, without argument injection.
    def __init__(self, func: Callable[[BoltRequest, Callable[[], Any]], Any]):
        self.func = func

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> Any:
        return self.func(req, next)


def _named(func: Callable[..., Any], kind: str, name: str) -> Callable[..., Any]:
    # Bolt finds a lazy function again (on Lambda, in a fresh invocation) by its __name__, so it must be
    # stable and unique per listener; Bolt injects arguments by the parameter names, so the wrapper
    # takes the one dispatchers use.
    def listener(args: Args) -> None:
        func(args)

    listener.__name__ = listener.__qualname__ = f"crewbot_{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
    return listener


def build_app(
    crewbot: Crewbot,
    *,
    signing_secret: str,
    client: WebClient,
    process_before_response: bool = True,
    conversations: ConversationHandler | None = None,
) -> App:
    """The Bolt app for ``crewbot``: the Lambda handler, Socket Mode and the emulator all use this."""
    return SlackFrontDoor(
        crewbot,
        signing_secret=signing_secret,
        client=client,
        process_before_response=process_before_response,
        conversations=conversations,
    ).app


__all__ = ["NO_AGENTS_TEXT", "SlackFrontDoor", "build_app", "home_view"]
