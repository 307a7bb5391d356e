"""The fake Slack Web API answers the real SDK like Slack: ok responses with realistic fields, and the
errors Slack gives for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.emulator.fake_slack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack(token="xoxb-fake-test").start()
    fake.add_user("UALICE", "alice")
    yield fake
    fake.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.base_url)


def _error(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()  # type: ignore[operator]
    return str(caught.value.response["error"])


def test_auth_is_checked(fake: FakeSlack) -> None:
    assert _error(WebClient(token="xoxb-wrong", base_url=fake.base_url).auth_test) == "invalid_auth"
    assert _error(WebClient(base_url=fake.base_url).auth_test) == "not_authed"


def test_auth_test_and_users(client: WebClient, fake: FakeSlack) -> None:
    me = client.auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == (fake.bot_user_id, fake.team_id, fake.bot_id)
    assert client.users_info(user="UALICE")["user"]["name"] == "alice"
    assert _error(lambda: client.users_info(user="UNOBODY")) == "user_not_found"


def test_post_update_delete_and_errors(client: WebClient, fake: FakeSlack) -> None:
    dm = client.conversations_open(users="UALICE")["channel"]["id"]
    assert dm == fake.dm_channel("UALICE")
    posted = client.chat_postMessage(channel="UALICE", text="hi")  # a user id posts into the DM
    assert posted["channel"] == dm and posted["message"]["bot_id"] == fake.bot_id
    client.chat_update(channel=dm, ts=posted["ts"], text="hello")
    assert fake.find_message(dm, posted["ts"]).text == "hello"  # type: ignore[union-attr]
    assert _error(lambda: client.chat_postMessage(channel="XBAD", text="x")) == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):  # the SDK warns too
        assert _error(lambda: client.chat_postMessage(channel=dm)) == "no_text"
    assert _error(lambda: client.chat_update(channel=dm, ts="1.000001", text="x")) == "message_not_found"
    assert _error(lambda: client.chat_postMessage(channel=dm, text="x", thread_ts="9.9")) == "thread_not_found"
    client.chat_delete(channel=dm, ts=posted["ts"])
    assert fake.find_message(dm, posted["ts"]) is None
    assert _error(lambda: client.api_call("chat.scheduleMessage", json={"channel": dm})) == "unknown_method"
    assert [c.method for c in fake.calls][-1] == "chat.scheduleMessage"


def test_ephemeral_messages_are_only_visible_to_their_user(client: WebClient, fake: FakeSlack) -> None:
    fake.add_user("UBOB", "bob")
    client.chat_postEphemeral(channel="C0GENERAL", user="UALICE", text="just for alice")
    assert [m.text for m in fake.visible_messages("UALICE")] == ["just for alice"]
    assert fake.visible_messages("UBOB") == []


def test_modals_need_a_fresh_trigger_and_stack(client: WebClient, fake: FakeSlack) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    assert _error(lambda: client.views_open(trigger_id="made-up", view=view)) == "invalid_trigger_id"
    opened = client.views_open(trigger_id=fake.new_trigger("UALICE"), view=view)["view"]
    pushed = client.views_push(
        trigger_id=fake.new_trigger("UALICE"), view={**view, "title": {"type": "plain_text", "text": "Two"}}
    )
    assert fake.open_modal("UALICE")["id"] == pushed["view"]["id"]  # type: ignore[index]
    client.views_update(view_id=opened["id"], view={**view, "title": {"type": "plain_text", "text": "One!"}})
    assert fake.views[opened["id"]]["title"]["text"] == "One!"
    assert _error(lambda: client.views_update(view_id=opened["id"], hash="stale", view=view)) == "hash_conflict"
    fake.trigger_ttl = 0.0
    assert _error(lambda: client.views_open(trigger_id=fake.new_trigger("UALICE"), view=view)) == "expired_trigger_id"


def test_home_tab_publish(client: WebClient, fake: FakeSlack) -> None:
    client.views_publish(user_id="UALICE", view={"type": "home", "blocks": []})
    first = fake.home_views["UALICE"]
    client.views_publish(user_id="UALICE", view={"type": "home", "blocks": [{"type": "divider"}]})
    assert fake.home_views["UALICE"] == first and fake.views[first]["blocks"] == [{"type": "divider"}]


def test_files_upload_v2_goes_through_the_upload_url(client: WebClient, fake: FakeSlack) -> None:
    dm = fake.dm_channel("UALICE")
    fake.add_user_message(dm, "UALICE", "send me the agenda")
    client.files_upload_v2(
        channel=dm, content="# Agenda\n1. Budget", filename="agenda.md", title="Agenda", initial_comment="Here it is"
    )
    [entry] = fake.files.values()
    assert entry["content"] == b"# Agenda\n1. Budget" and entry["title"] == "Agenda"
    assert fake.messages[-1].files[0]["title"] == "Agenda" and fake.messages[-1].text == "Here it is"


def test_response_url_posts_ephemeral_replaces_and_expires(fake: FakeSlack, client: WebClient) -> None:
    dm = fake.dm_channel("UALICE")
    original = client.chat_postMessage(channel=dm, text="pick one")
    url = fake.new_response_url(dm, "UALICE", original["ts"])
    WebhookClient(url).send(text="only you see this")
    assert fake.messages[-1].ephemeral_to == "UALICE"
    WebhookClient(url).send(text="picked", replace_original=True)
    assert fake.find_message(dm, original["ts"]).text == "picked"  # type: ignore[union-attr]
    gone = WebhookClient(fake.url + "/response/nope").send(text="x")
    assert "expired_url" in gone.body


def test_streaming_methods_accumulate_text(client: WebClient, fake: FakeSlack) -> None:
    dm = fake.dm_channel("UALICE")
    root = fake.add_user_message(dm, "UALICE", "q")
    stream = client.chat_stream(channel=dm, thread_ts=root.ts, recipient_user_id="UALICE", buffer_size=1)
    stream.append(markdown_text="Hel")
    stream.append(markdown_text="lo")
    stream.stop(markdown_text="!")
    message = fake.find_message(dm, stream.ts)  # type: ignore[arg-type]
    assert message is not None and message.text == "Hello!" and not message.streaming
    assert (
        _error(lambda: client.chat_appendStream(channel=dm, ts=message.ts, markdown_text="x"))
        == "message_not_in_streaming_state"
    )
