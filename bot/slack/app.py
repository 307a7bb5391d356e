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

from slack_bolt import App, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.kwargs_injection.args import Args
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
        app = self.app
        app.use(self._context_middleware)
        regs = self.registrations
        for command in regs.commands.values():
            self._add_command(command)
        for action in regs.actions:
            self._add_action(action)
        for view in regs.views.values():
            self._add_view(view)
        for shortcut in regs.shortcuts.values():
            self._add_shortcut(shortcut)
        for handlers in regs.events.values():
            for registration in handlers:
                self._add_event(registration)
        if "app_home_opened" not in regs.events:
            app.event("app_home_opened")(ack=_noop_ack, lazy=[self._default_home])
        # Conversations: DMs (and files shared in DMs) and mentions.
        app.event({"type": "message", "subtype": [None, "file_share"]})(ack=_noop_ack, lazy=[self._converse])
        app.event("app_mention")(ack=_noop_ack, lazy=[self._converse])
        # Catch-alls, registered last: an unknown command or button gets an answer, and an event nobody
        # handles is still acknowledged (anything but 200 makes Slack retry it).
        app.command(re.compile(r".*"))(self._unknown_command)
        app.action(re.compile(r".*"))(self._unknown_action)
        app.view(re.compile(r".*"))(self._unknown_view)
        app.shortcut(re.compile(r".*"))(self._unknown_shortcut)
        app.view_closed(re.compile(r".*"))(self._view_closed)
        app.event(re.compile(r".*"))(_noop_ack)

    def _context_middleware(
        self, context: Any, body: dict[str, Any], req: BoltRequest, next: Callable[[], None]
    ) -> None:
        context["crewbot"] = self.crewbot
        user_id = user_of(body)
        context["is_admin"] = self.users.is_admin(user_id)
        retry = req.headers.get("x-slack-retry-num")
        if retry:
            reason = (req.headers.get("x-slack-retry-reason") or ["?"])[0]
            logger.info("Slack redelivery %s (%s) of %s", retry[0], reason, body.get("event_id") or body.get("type"))
        if user_id and not req.lazy_only:
            if is_user_id(user_id):
                self.users.seen(user_id, context.team_id or "")
            else:
                logger.warning("not recording a user for a payload with a malformed user id")
        next()

    # -- commands, actions, views, shortcuts, events -----------------------------------------------

    def _add_command(self, command: SlashCommand) -> None:
        what = f"command {command.name}"
        run = self._boundary(
            command.handler, what, admin_only=command.admin_only, dedupe=(_command_delivery, EVENT_DEDUPE_SECONDS)
        )
        if not command.lazy:
            self.app.command(command.name)(_named(run, "command", command.name))
            return

        def acknowledge(ack: Any, context: Any) -> None:
            if command.admin_only and not context.get("is_admin"):
                ack(f"Sorry, {command.name} is for Crewbot admins only.")
            elif command.ack_text:
                ack(command.ack_text)
            else:
                ack()

        self.app.command(command.name)(
            ack=_named(acknowledge, "ack", command.name), lazy=[_named(run, "lazy", command.name, silent_refusal=True)]
        )

    def _add_action(self, action: Action) -> None:
        what = f"button {action.action_id}"

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

        run = self._boundary(action.handler, what, admin_only=action.admin_only, dedupe=(key, action.window))
        if action.lazy:
            self.app.action(action.matcher)(
                ack=_named(_ack_only(), "ack", action.action_id), lazy=[_named(run, "lazy", action.action_id)]
            )
        else:
            self.app.action(action.matcher)(_named(run, "action", action.action_id))

    def _add_view(self, view: ViewSubmission) -> None:
        run = self._boundary(view.handler, f"form {view.callback_id}", admin_only=view.admin_only)
        self.app.view(view.callback_id)(_named(run, "view", view.callback_id))

    def _add_shortcut(self, shortcut: Shortcut) -> None:
        run = self._boundary(shortcut.handler, f"shortcut {shortcut.name}")
        if shortcut.lazy:
            self.app.shortcut(shortcut.callback_id)(
                ack=_named(_ack_only(), "ack", shortcut.callback_id), lazy=[_named(run, "lazy", shortcut.callback_id)]
            )
        else:
            self.app.shortcut(shortcut.callback_id)(_named(run, "shortcut", shortcut.callback_id))

    def _add_event(self, registration: SlackEvent) -> None:
        run = self._boundary(
            registration.handler,
            f"{registration.event} handler",
            dedupe=(
                lambda body: f"event:{body.get('event_id')}:{registration.handler.__qualname__}",
                EVENT_DEDUPE_SECONDS,
            ),
        )
        name = getattr(registration.handler, "__qualname__", "handler")
        self.app.event(registration.event)(ack=_noop_ack, lazy=[_named(run, "event", f"{registration.event}_{name}")])

    def _boundary(
        self,
        handler: Callable[..., Any],
        what: str,
        *,
        admin_only: bool = False,
        dedupe: tuple[Callable[[dict[str, Any]], str | None], int] | None = None,
    ) -> Callable[[Args], None]:
        """Wrap a plugin handler: Bolt-style argument injection, admin check, de-duplication, and an
        error boundary that answers the user with a reference."""
        arg_names = get_arg_names_of_callable(handler)

        def run(args: Args) -> None:
            body = args.body
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


def _ack_only() -> Callable[[Any], None]:
    # A fresh function per listener: _named() gives each its own name.
    def ack_only(ack: Any) -> None:
        ack()

    return ack_only


def _ack_if_needed(args: Args) -> None:
    # Lazy listeners get a no-op ack; before-ack listeners that did not answer are acknowledged here
    # (Socket Mode would otherwise wait for the 3-second timeout).
    ack = args.ack
    if not args.request.lazy_only and ack is not None and ack.response is None:
        ack()


def _named(func: Callable[..., Any], kind: str, name: str, silent_refusal: bool = False) -> Callable[..., Any]:
    # Bolt finds a lazy function again (on Lambda, in a fresh invocation) by its __name__, so it must be
    # stable and unique per listener.
    if silent_refusal:
        func._silent_refusal = True  # type: ignore[attr-defined]
    func.__name__ = f"crewbot_{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
    return func


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
