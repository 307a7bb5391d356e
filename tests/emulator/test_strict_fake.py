"""The fake Slack refuses what Slack refuses, with Slack's error shapes, and answers in the shapes of
Slack's published Web API specification (id formats, no internal fields)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.emulator.fake_slack import GENERAL, FakeSlack

#: Id formats from Slack's Web API specification (defs_channel, defs_ts, defs_bot_id, defs_file_id ...).
CHANNEL = re.compile(r"^[CGD][A-Z0-9]{8,}$")
TS = re.compile(r"^\d{10}\.\d{6}$")
BOT = re.compile(r"^B[A-Z0-9]{8,}$")
FILE = re.compile(r"^F[A-Z0-9]{8,}$")
USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
TEAM = re.compile(r"^T[A-Z0-9]{2,}$")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack(token="xoxb-strict-test").start()
    fake.add_user("UALICE", "alice")
    fake.add_channel("C0NOTJOINED", "elsewhere", members=["UALICE"])
    fake.add_channel("C0SECRETS1", "secrets", is_private=True, members=["UALICE"])
    fake.add_channel("C0BOTONLY1", "bots", members=[fake.bot_user_id])
    yield fake
    fake.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.base_url)


def _refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call()
    return dict(caught.value.response.data)  # type: ignore[arg-type]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _modal(**fields: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Title"}, "blocks": [_section("x")], **fields}


MESSAGE_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "header over 150": (
        {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
        "invalid_blocks",
    ),
    "section text over 3000": ({"blocks": [_section("s" * 3001)]}, "invalid_blocks"),
    "51 blocks": ({"blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    "unknown block type": ({"blocks": [{"type": "sparkles"}]}, "invalid_blocks"),
    "button text over 75": (
        {
            "blocks": [
                {
                    "type": "actions",
                    "elements": [{"type": "button", "action_id": "a", "text": _plain("b" * 76)}],
                }
            ]
        },
        "invalid_blocks",
    ),
    "text over 40000": ({"text": "t" * 40_001}, "msg_too_long"),
    "markdown_text over 12000": ({"markdown_text": "m" * 12_001}, "msg_too_long"),
}


@pytest.mark.parametrize("case", sorted(MESSAGE_CASES))
def test_messages_slack_refuses_are_refused(client: WebClient, case: str) -> None:
    args, error = MESSAGE_CASES[case]
    response = _refused(lambda: client.api_call("chat.postMessage", json={"channel": GENERAL, "text": "x", **args}))
    assert response["ok"] is False and response["error"] == error
    if error == "invalid_blocks":
        messages = response["response_metadata"]["messages"]
        assert messages and all(m.startswith("[ERROR] ") and "[json-pointer:/blocks" in m for m in messages)


VIEW_CASES = {
    "modal title over 24": _modal(title={"type": "plain_text", "text": "t" * 25}),
    "private_metadata over 3000": _modal(private_metadata="p" * 3001),
    "modal with 101 blocks": _modal(blocks=[{"type": "divider"}] * 101),
    "unknown block in a modal": _modal(blocks=[{"type": "sparkles"}]),
}


@pytest.mark.parametrize("case", sorted(VIEW_CASES))
def test_views_slack_refuses_are_refused(client: WebClient, fake: FakeSlack, case: str) -> None:
    response = _refused(lambda: client.views_open(trigger_id=fake.new_trigger("UALICE"), view=VIEW_CASES[case]))
    assert response["error"] == "invalid_arguments"
    assert response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert fake.open_modal("UALICE") is None


def test_home_with_101_blocks_is_refused(client: WebClient) -> None:
    view = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert _refused(lambda: client.views_publish(user_id="UALICE", view=view))["error"] == "invalid_arguments"


def test_channels_must_exist_and_have_the_bot(client: WebClient, fake: FakeSlack) -> None:
    assert _refused(lambda: client.chat_postMessage(channel="C0NOWHERE1", text="x"))["error"] == "channel_not_found"
    assert _refused(lambda: client.chat_postMessage(channel="C0NOTJOINED", text="x"))["error"] == "not_in_channel"
    # A private channel the bot is not in does not exist as far as the bot can tell.
    assert _refused(lambda: client.chat_postMessage(channel="C0SECRETS1", text="x"))["error"] == "channel_not_found"
    assert (
        _refused(lambda: client.chat_postEphemeral(channel="C0BOTONLY1", user="UALICE", text="x"))["error"]
        == "user_not_in_channel"
    )
    assert fake.messages == []


def test_conversation_info_and_join(client: WebClient, fake: FakeSlack) -> None:
    info = client.conversations_info(channel="C0NOTJOINED")["channel"]
    assert info["is_channel"] and not info["is_private"] and info["is_member"] is False
    joined = client.conversations_join(channel="C0NOTJOINED")["channel"]
    assert joined["is_member"] is True and fake.bot_user_id in fake.channels["C0NOTJOINED"].members
    client.chat_postMessage(channel="C0NOTJOINED", text="now I can")
    assert _refused(lambda: client.conversations_info(channel="C0SECRETS1"))["error"] == "channel_not_found"
    fake.join("C0SECRETS1", fake.bot_user_id)  # invited
    assert client.conversations_info(channel="C0SECRETS1")["channel"]["is_private"] is True
    assert (
        _refused(lambda: client.conversations_join(channel="C0SECRETS1"))["error"]
        == "method_not_supported_for_channel_type"
    )
    dm = client.conversations_info(channel=fake.dm_channel("UALICE"))["channel"]
    assert dm["is_im"] is True and dm["user"] == "UALICE"


def test_responses_have_slack_shapes(client: WebClient, fake: FakeSlack) -> None:
    me = client.auth_test()
    assert BOT.match(me["bot_id"]) and USER.match(me["user_id"]) and TEAM.match(me["team_id"])
    posted = client.chat_postMessage(channel="UALICE", text="hi")
    assert CHANNEL.match(posted["channel"]) and TS.match(posted["ts"])
    message = posted["message"]
    assert BOT.match(message["bot_id"]) and "app_id" not in message and {"type", "text", "ts"} <= set(message)
    shared = fake.add_file("notes.md", b"# notes", "UALICE")
    assert FILE.match(shared["id"])
    info = client.files_info(file=shared["id"])
    assert info["comments"] == [] and "uploaded" not in info["file"] and "content" not in info["file"]
    view = client.views_open(trigger_id=fake.new_trigger("UALICE"), view=_modal())["view"]
    assert re.match(r"^V[A-Z0-9]{8,}$", view["id"]) and "user" not in view
    trigger = fake.new_trigger("UALICE")
    assert re.match(r"^\d+\.\d+\.[0-9a-f]+$", trigger)


def test_messages_are_indexed(fake: FakeSlack, client: WebClient) -> None:
    """Posting into a long session looks messages up by channel and ts, never by scanning them all."""
    dm = fake.dm_channel("UALICE")
    root = fake.add_user_message(dm, "UALICE", "root")
    for i in range(200):
        fake.add_user_message(dm, "UALICE", f"m{i}")
    fake.messages = _NoScan(fake.messages)  # type: ignore[assignment]
    client.chat_postMessage(channel=dm, text="in the thread", thread_ts=root.ts)
    assert fake.find_message(dm, root.ts) is root


class _NoScan(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("the fake scanned every message")


def test_missing_scope_is_refused_like_slack(fake: FakeSlack, client: WebClient) -> None:
    fake.scopes = {"chat:write"}
    client.chat_postMessage(channel="UALICE", text="allowed")
    refused = _refused(lambda: client.users_info(user="UALICE"))
    assert refused["error"] == "missing_scope" and refused["needed"] == "users:read"
    assert refused["provided"] == "chat:write"
    fake.scopes.add("users:read")
    assert client.users_info(user="UALICE")["user"]["id"] == "UALICE"
