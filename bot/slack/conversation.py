"""The seam between Slack and the agents: a message in, a reply out.

The Slack app turns a DM (or an ``app_mention``, or a message in a DM thread) into an
:class:`IncomingMessage` and hands it, with a :class:`Reply` bound to that conversation, to the
runtime's :class:`ConversationHandler` (``crewbot.conversations``). The agent runtime implements the
handler; the Slack layer implements :class:`Reply` with Slack's native status and streaming where
available (post + update otherwise). Neither side knows the other's internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class IncomingMessage:
    """A user's message to Crewbot."""

    user_id: str
    channel_id: str
    #: The thread the conversation lives in (the root message's ts); one agent session per thread.
    thread_ts: str
    text: str
    ts: str
    team_id: str = ""
    #: Files shared with the message (Slack file objects), if any.
    files: tuple[dict[str, Any], ...] = ()

    @property
    def session_id(self) -> str:
        """The agent session id for this conversation: one per Slack thread."""
        return f"{self.team_id or 'T'}-{self.channel_id}-{self.thread_ts}".replace(".", "_")


class Reply(Protocol):
    """How an agent answers in the conversation the message came from."""

    def status(self, text: str) -> None:
        """Show a transient status ("thinking…") until the answer is posted."""

    def stream(self, chunks: Iterable[str]) -> str:
        """Post the answer as it is produced; returns the full text posted."""

    def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post a complete message in the thread; returns its ts."""

    def context(self, text: str) -> None:
        """Post a small context line (e.g. which tools were used)."""


class ConversationHandler(Protocol):
    """What the Slack app calls for every conversational message (implemented by the agent runtime)."""

    def handle(self, message: IncomingMessage, reply: Reply) -> None:
        """Answer ``message`` through ``reply``. Runs in a lazy listener on Lambda (may be slow)."""

    def reset(self, user_id: str, channel_id: str, thread_ts: str | None = None) -> None:
        """Forget the conversation (``/crewbot reset``): the next message starts a fresh session."""
