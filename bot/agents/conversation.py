"""The :class:`~bot.slack.conversation.ConversationHandler` the Slack app calls (``crewbot.conversations``).

A message goes to the user's default agent; the conversation is its Slack thread
(:attr:`IncomingMessage.session_id`). The reply shows "thinking…" at once, streams the answer as the
model produces it, then adds one context line with the tools used, tokens and time. Failures become a
short apology with a reference the logs can be searched for — never a silent drop.

Strands is imported only when a message is handled, so building the handler costs nothing on the
Slack ack path.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.slack.conversation import IncomingMessage, Reply

if TYPE_CHECKING:
    from bot.agents.service import AgentService, TurnResult
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)

THINKING = "thinking…"
_DONE = object()


class AgentConversations:
    """Answers DMs with the user's default agent. Also what ``/crewbot agents`` and ``reset`` use."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot

    @property
    def agents(self) -> AgentService:
        return self.crewbot.agents

    def handle(self, message: IncomingMessage, reply: Reply) -> None:
        """Answer ``message`` through ``reply`` (blocking; on Lambda this runs in a lazy listener).

        A plugin's conversation route (``register_conversation_routes``) that claims the message answers
        it instead of the default agent (e.g. a reply in a meeting-prep thread).
        """
        for route in self.crewbot.plugins.items("register_conversation_routes"):
            if route.claims(self.crewbot, message):
                route.handle(self.crewbot, message, reply)
                return
        reply.status(THINKING)
        try:
            agent = self.agents.default_agent(message.user_id)
        except Exception as exc:
            self._fail(reply, message, "I could not load my agents", exc)
            return
        if agent not in self.agents.registry.agents:
            # The default agent's plugin is switched off: say so rather than fail on every message.
            reply.post(
                f"No agent is available to talk to here: the default agent `{agent}` is not registered "
                "(its plugin may be switched off). `/crewbot agents` lists the agents you can use."
            )
            return
        chunks: queue.Queue[object] = queue.Queue()
        outcome: dict[str, object] = {}
        text = message.text
        if message.files:  # the agent cannot open Slack files, but should know they were shared
            names = ", ".join(str(f.get("name") or f.get("title") or "file") for f in message.files)
            text = f"{text}\n\n[The user shared files: {names}]".strip()

        def run() -> None:
            try:
                outcome["result"] = self.agents.ask(
                    agent,
                    user_id=message.user_id,
                    conversation=message.session_id,
                    text=text,
                    channel_id=message.channel_id,
                    thread_ts=message.thread_ts,
                    on_text=chunks.put,
                )
            except BaseException as exc:  # handed to the caller's thread below
                outcome["error"] = exc
            finally:
                chunks.put(_DONE)

        worker = threading.Thread(target=run, name=f"agent-{message.session_id}", daemon=True)
        worker.start()
        first = chunks.get()
        if not (first is _DONE and "error" in outcome):  # a turn that failed before saying anything posts no answer
            reply.stream(self._chunks(chunks, outcome, first))
        worker.join()
        error = outcome.get("error")
        if isinstance(error, BaseException):
            from bot.agents.service import AgentAccessError
            from bot.agents.sessions import SessionBusy

            if isinstance(error, AgentAccessError):
                reply.post(f"Sorry, {error}. `/crewbot agents` lists the agents you can use.")
                return
            if isinstance(error, SessionBusy):
                reply.post(
                    "I am still working on your previous message in this conversation; "
                    "please send this one again when it is answered."
                )
                return
            self._fail(reply, message, "something went wrong while answering", error)
            return
        result: TurnResult = outcome["result"]  # type: ignore[assignment]
        if result.notice:
            reply.post(result.notice)
        reply.context(result.summary)

    @staticmethod
    def _chunks(chunks: queue.Queue[object], outcome: dict[str, object], first: object) -> Iterator[str]:
        """Text as it streams, then whatever of the final answer did not stream (e.g. a budget stop)."""
        sent: list[str] = []
        item = first
        while True:
            if item is _DONE:
                break
            if isinstance(item, str):
                sent.append(item)
                yield item
            item = chunks.get()
        result = outcome.get("result")
        if result is None:
            return
        appendix = str(getattr(result, "appendix", ""))
        if not "".join(sent).strip():
            yield str(getattr(result, "text", "")) or "(no answer)"
        elif appendix:
            yield f"\n\n{appendix}"

    def _fail(self, reply: Reply, message: IncomingMessage, what: str, error: BaseException) -> None:
        reference = uuid.uuid4().hex[:8]
        logger.error(
            "conversation failure %s: %s (user %s, session %s)",
            reference,
            what,
            message.user_id,
            message.session_id,
            exc_info=(type(error), error, error.__traceback__),
        )
        reply.post(f"Sorry, {what}. Please try again in a moment (reference {reference}).")

    def reset(self, user_id: str, channel_id: str, thread_ts: str | None = None) -> None:
        """``/crewbot reset``: the next message in this DM (or thread) starts a fresh session."""
        self.agents.reset(user_id, channel_id, thread_ts)
