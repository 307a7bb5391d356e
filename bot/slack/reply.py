"""The Slack side of :class:`bot.slack.conversation.Reply`: status, streaming, posts, context lines.

Slack's native AI surfaces are used when the workspace offers them: ``assistant.threads.setStatus``
for "thinking…" and ``chat.startStream`` / ``appendStream`` / ``stopStream`` for the answer. When a
call is refused (an older workspace, a channel outside the agent view) the reply falls back to a
placeholder message that is edited with ``chat.update`` as the answer grows, and then sticks to the
fallback for the rest of the conversation turn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.conversation import IncomingMessage

logger = logging.getLogger(__name__)

#: Fallback streaming edits the message at most this often (Slack rate-limits chat.update ~1/s).
UPDATE_INTERVAL_SECONDS = 1.0
#: Slack rejects message text longer than this; the rest is posted in follow-up messages.
MAX_TEXT = 39_000


class SlackReply:
    """Answers one :class:`IncomingMessage` in its thread."""

    def __init__(
        self,
        client: WebClient,
        message: IncomingMessage,
        *,
        native: bool = True,
        update_interval: float = UPDATE_INTERVAL_SECONDS,
    ):
        self.client = client
        self.message = message
        self.native = native
        self.update_interval = update_interval
        self._placeholder_ts: str | None = None
        #: Every ts this reply posted, in order (tests and the emulator read it).
        self.posted: list[str] = []

    # -- Reply protocol ------------------------------------------------------------------------

    def status(self, text: str) -> None:
        """Show ``text`` as the thread's status until the answer arrives."""
        if self.native:
            try:
                self.client.assistant_threads_setStatus(
                    channel_id=self.message.channel_id, thread_ts=self.message.thread_ts, status=text
                )
                return
            except SlackApiError as exc:
                self._fall_back("assistant.threads.setStatus", exc)
        status_text = f"_{text}_"
        if self._placeholder_ts is None:
            self._placeholder_ts = self._post(status_text)
        else:
            self._update(self._placeholder_ts, status_text)

    def stream(self, chunks: Iterable[str]) -> str:
        """Post the answer while it is produced; returns the whole text."""
        if self.native:
            try:
                return self._stream_native(iter(chunks))
            except _StreamRefused as refused:
                self._fall_back("chat.startStream", refused.error)
                return self._stream_fallback(refused.remaining, prefix=refused.text)
        return self._stream_fallback(iter(chunks))

    def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post a complete message in the thread (replacing the status placeholder); returns its ts."""
        if len(text) <= MAX_TEXT:
            if self._placeholder_ts is not None:
                ts, self._placeholder_ts = self._placeholder_ts, None
                self._update(ts, text, blocks)
                return ts
            return self._post(text, blocks)
        parts = _split(text)
        for part in parts[:-1]:
            self._post(part)
        self._clear_placeholder()
        return self._post(parts[-1], blocks)

    def context(self, text: str) -> None:
        """Post a small grey context line in the thread."""
        self._post(text, [{"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}])

    # -- internals -----------------------------------------------------------------------------

    def _stream_native(self, chunks: Any) -> str:
        text = ""
        streamer = None
        try:
            for chunk in chunks:
                if not chunk:
                    continue
                text += chunk
                if streamer is None:
                    streamer = self.client.chat_stream(
                        channel=self.message.channel_id,
                        thread_ts=self.message.thread_ts,
                        recipient_team_id=self.message.team_id or None,
                        recipient_user_id=self.message.user_id,
                    )
                    # Flush the first chunk at once (chunks=[] forces it) so the user sees the answer start.
                    streamer.append(markdown_text=chunk, chunks=[])
                else:
                    streamer.append(markdown_text=chunk)
            if streamer is None:
                return ""
            response = streamer.stop()
            if response.get("ts"):
                self.posted.append(str(response["ts"]))
            self._clear_placeholder()
            return text
        except SlackApiError as exc:
            if streamer is None or streamer.ts is None:
                raise _StreamRefused(exc, text, chunks) from None
            raise

    def _stream_fallback(self, chunks: Any, prefix: str = "") -> str:
        text = prefix
        ts = self._placeholder_ts
        self._placeholder_ts = None
        last_update = 0.0
        shown = ""
        for chunk in chunks:
            text += chunk
            if not text.strip() or len(text) > MAX_TEXT:
                continue
            if ts is None:
                ts = self._post(text)
                shown, last_update = text, time.monotonic()
            elif time.monotonic() - last_update >= self.update_interval:
                self._update(ts, text)
                shown, last_update = text, time.monotonic()
        if len(text) > MAX_TEXT:
            self.post(text)
        elif ts is not None and shown != text:
            self._update(ts, text)
        elif ts is None and text:
            self._post(text)
        return text

    def _clear_placeholder(self) -> None:
        if self._placeholder_ts is not None:
            ts, self._placeholder_ts = self._placeholder_ts, None
            try:
                self.client.chat_delete(channel=self.message.channel_id, ts=ts)
            except SlackApiError as exc:
                logger.warning("could not remove the status message %s: %s", ts, exc.response.get("error"))

    def _post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        response = self.client.chat_postMessage(
            channel=self.message.channel_id, thread_ts=self.message.thread_ts, text=text, blocks=blocks
        )
        ts = str(response["ts"])
        self.posted.append(ts)
        return ts

    def _update(self, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.client.chat_update(channel=self.message.channel_id, ts=ts, text=text, blocks=blocks)

    def _fall_back(self, method: str, exc: SlackApiError) -> None:
        logger.info("%s refused (%s); falling back to post + update", method, exc.response.get("error"))
        self.native = False


class _StreamRefused(Exception):
    def __init__(self, error: SlackApiError, text: str, remaining: Any):
        super().__init__(str(error))
        self.error, self.text, self.remaining = error, text, remaining


def _split(text: str) -> list[str]:
    if len(text) <= MAX_TEXT:
        return [text]
    return [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)]
