"""SlackReply against the fake Slack API: native status and streaming, and the post + update fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.emulator.fake_slack import FakeSlack
from bot.slack.conversation import IncomingMessage
from bot.slack.reply import MAX_TEXT, SlackReply


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack(token="xoxb-reply-test").start()
    fake.add_user("UALICE", "alice")
    yield fake
    fake.stop()


def _reply(fake: FakeSlack, **kwargs: object) -> tuple[SlackReply, IncomingMessage]:
    root = fake.add_user_message(fake.dm_channel("UALICE"), "UALICE", "question")
    message = IncomingMessage(
        user_id="UALICE", channel_id=DM, thread_ts=root.ts, text="question", ts=root.ts, team_id=fake.team_id
    )
    client = WebClient(token=fake.token, base_url=fake.base_url)
    return SlackReply(client, message, **kwargs), message  # type: ignore[arg-type]


#: The DM of UALICE with the bot, as the fake Slack names it.
DM = "D000ALICE"


def _methods(fake: FakeSlack) -> list[str]:
    return [call.method for call in fake.calls]


def test_native_status_and_stream(fake: FakeSlack) -> None:
    reply, message = _reply(fake)
    reply.status("thinking…")
    assert fake.statuses[(DM, message.thread_ts)] == "thinking…"
    text = reply.stream(iter(["Your ", "meeting ", "is at 10:00." * 40]))
    assert _methods(fake)[:2] == ["assistant.threads.setStatus", "chat.startStream"]
    assert _methods(fake)[-1] == "chat.stopStream"
    streamed = fake.find_message(DM, reply.posted[-1])
    assert streamed is not None and streamed.text == text and not streamed.streaming
    assert streamed.thread_ts == message.thread_ts
    assert (DM, message.thread_ts) not in fake.statuses  # replying clears the status


def test_fallback_to_post_and_update_when_native_calls_are_refused(fake: FakeSlack) -> None:
    fake.refuse["assistant.threads.setStatus"] = "not_allowed_token_type"
    fake.refuse["chat.startStream"] = "not_allowed_token_type"
    reply, _ = _reply(fake, update_interval=0.0)
    reply.status("thinking…")
    placeholder = reply.posted[0]
    assert fake.find_message(DM, placeholder).text == "_thinking…_"  # type: ignore[union-attr]
    text = reply.stream(iter(["one ", "two ", "three"]))
    assert text == "one two three"
    final = fake.find_message(DM, placeholder)
    assert final is not None and final.text == "one two three"  # the placeholder became the answer
    assert "chat.update" in _methods(fake) and "chat.stopStream" not in _methods(fake)


def test_post_replaces_the_status_placeholder_and_context_is_a_context_block(fake: FakeSlack) -> None:
    reply, _ = _reply(fake, native=False)
    reply.status("looking up your calendar")
    ts = reply.post("Here is your agenda", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}])
    assert ts == reply.posted[0]
    reply.context("meeting_coordinator · 2 tools")
    last = fake.messages[-1]
    assert last.blocks[0]["type"] == "context" and "2 tools" in last.text


def test_long_answers_are_split_into_several_messages(fake: FakeSlack) -> None:
    reply, _ = _reply(fake)
    reply.post("x" * (MAX_TEXT + 10))
    posted = [m for m in fake.messages if m.from_bot]
    assert [len(m.text) for m in posted] == [MAX_TEXT, 10]


def test_an_empty_stream_posts_nothing(fake: FakeSlack) -> None:
    reply, _ = _reply(fake)
    assert reply.stream(iter([])) == ""
    assert _methods(fake) == []
