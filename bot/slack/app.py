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
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.kwargs_injection.args import Args
from slack_bolt.util.utils import get_arg_names_of_callable
from slack_sdk import WebClient

from bot.slack.conversation import ConversationHandler, IncomingMessage
from bot.slack.errors import report, tell_user, user_of
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
from bot.slack.routes import (
    Dispatchers,
    RoutingTable,
    ack_if_needed,
    acknowledge_command,
    action_id_of,
    bolt_app,
    first_actions,
    log_redelivery,
    wire,
)
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
        self.app = bolt_app(crewbot.config.project, signing_secret, client, process_before_response)
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
        """Build the routing table and one runner per registration, then the Bolt listeners
        (:func:`bot.slack.routes.wire`, shared with the routing snapshot's app): each listener's function
        looks the registration up in a dict, and each kind's lazy function looks it up again from the
        payload (Bolt finds it by name when Lambda re-invokes the function)."""
        regs = self.registrations
        self.table = RoutingTable.from_registrations(regs)
        self._commands = {c.name: (c, self._command_runner(c)) for c in regs.commands.values()}
        #: Aligned with ``self.table.actions``: the registration and runner at each position.
        self._action_runners = [(a, self._action_runner(a)) for a in first_actions(regs)]
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
        wire(
            self.app,
            self.table,
            Dispatchers(
                context=self._context_middleware,
                ack_command=self._ack_command,
                lazy_command=self._lazy_command,
                ack_action=self._ack_action,
                lazy_action=self._lazy_action,
                lazy_event=self._lazy_event,
                ack_view=self._ack_view,
                lazy_view=self._lazy_view,
                run_shortcut=self._run_shortcut,
            ),
        )

    def _context_middleware(self, req: BoltRequest, next: Callable[[], Any]) -> Any:
        context = req.context
        context["crewbot"] = self.crewbot
        context["is_admin"] = self.users.is_admin(user_of(req.body))
        log_redelivery(req)
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

    def _command(self, body: dict[str, Any]) -> tuple[SlashCommand, Callable[[Args], None]] | None:
        return self._commands.get(body.get("command") or "")

    def _action(self, body: dict[str, Any]) -> tuple[Action, Callable[[Args], None]] | None:
        # The first registration that matches wins, exact ids and patterns alike (registration order).
        position = self.table.action_position(action_id_of(body))
        return None if position is None else self._action_runners[position]

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
        route = self.table.commands.get(args.body.get("command") or "")
        if route is not None:
            acknowledge_command(route, args.ack, args.context)

    def _lazy_command(self, args: Args) -> None:
        route = self._command(args.body)
        if route is not None:
            route[1](args)

    def _ack_action(self, args: Args) -> None:
        # The lazy listener's pattern may also match an action whose first matching registration is an
        # eager one (a plugin's pattern overlapping another's id): that one runs here, before the ack.
        route = self._action(args.body)
        if route is not None and not route[0].lazy:
            route[1](args)
        else:
            ack_if_needed(args)

    def _lazy_action(self, args: Args) -> None:
        route = self._action(args.body)
        if route is not None and route[0].lazy:
            route[1](args)

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
                    ack_if_needed(args)
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
                ack_if_needed(args)
                tell_user(
                    body,
                    args.client,
                    f"Sorry, {what} failed (error reference `{ref}`). The details are in Crewbot's log.",
                )
            else:
                ack_if_needed(args)
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
