"""Every payload kind, signed and delivered through the Lambda request handler, lands in the handler a
plugin registered; assertions are on the Web API calls the fake Slack API recorded."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.emulator import Emulator, EmulatorError
from bot.slack.app import NO_AGENTS_TEXT
from tests.slack.conftest import DemoPlugin, RecordingConversations


def test_lazy_slash_command_answers_through_response_url(emu: Emulator, demo: DemoPlugin) -> None:
    turn = emu.command("/echo hi there")
    assert demo.ran == [("echo", ("hi there", True, False))]
    [call] = emu.fake.calls_to("response_url")
    assert call.args["text"] == "echo: hi there"
    assert "echo: hi there" in turn.text
    # The handler ran in a lazy listener: a second, asynchronous invocation of the same function.
    assert emu.lambda_client.invocations == 1


def test_before_ack_command_answers_in_the_acknowledgement(emu: Emulator, demo: DemoPlugin) -> None:
    turn = emu.command("/fast now")
    assert turn.body == "fast now"
    assert emu.lambda_client.invocations == 0
    assert "fast now" in turn.text


def test_failing_handler_tells_the_user_with_a_reference_and_logs_details(
    emu: Emulator, demo: DemoPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.slack"):
        turn = emu.command("/boom")
    [call] = emu.fake.calls_to("response_url")
    assert call.args["response_type"] == "ephemeral"
    ref = re.search(r"error reference `([0-9a-f]{8})`", call.args["text"])
    assert ref, call.args["text"]
    assert "kaboom" not in turn.text  # details stay in the log
    logged = [r for r in caplog.records if ref.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info and "kaboom" in str(logged[0].exc_info[1])


def test_unknown_command_gets_an_ephemeral_answer_with_reference(emu: Emulator) -> None:
    turn = emu.command("/nosuch thing")
    assert re.search(r"I don't know /nosuch \(error reference `[0-9a-f]{8}`\)", turn.body)
    assert turn.outputs[0].kind == "ephemeral"


def test_admin_only_command_refuses_others_and_serves_admins(emu: Emulator, demo: DemoPlugin) -> None:
    refused = emu.command("/secret")
    assert "admins only" in refused.body
    assert "admin" not in demo.names()
    emu.act_as("admin")
    emu.command("/secret")
    assert demo.names() == ["admin"]


def test_crewbot_help_lists_every_registered_command(emu: Emulator) -> None:
    text = emu.command("/crewbot help").text
    for name in ("/crewbot", "/echo", "/fast", "/boom", "/secret", "/buttons", "/form"):
        assert name in text
    assert "Echo the text" in text and "/crewbot reset" in text


def test_crewbot_reset_and_plugins(emu: Emulator, conversations: RecordingConversations) -> None:
    assert "fresh conversation" in emu.command("/crewbot reset").text
    assert conversations.resets == [(emu.current_user, emu.fake.dm_channel(emu.current_user), None)]
    text = emu.command("/crewbot plugins").text
    assert "demo" in text and "crewbot_command" in text


def test_button_press_runs_the_action_and_updates_the_message(emu: Emulator, demo: DemoPlugin) -> None:
    emu.command("/buttons")
    turn = emu.click("Approve")
    assert demo.ran == [("approve", (emu.current_user, "42"))]
    update = [o for o in turn.outputs if o.kind == "update"]
    assert update and "Approved by" in update[0].message.text  # type: ignore[union-attr]
    [call] = [c for c in emu.fake.calls_to("response_url") if c.args.get("replace_original")]
    assert call.args["text"] == f"Approved by <@{emu.current_user}>"


def test_regex_action_and_unknown_button(emu: Emulator, demo: DemoPlugin) -> None:
    emu.command("/buttons")
    emu.click("Vote")
    assert ("vote", "vote_up") in demo.ran
    turn = emu.click("Orphan")
    assert re.search(r"no longer does anything \(error reference `[0-9a-f]{8}`\)", turn.text)


def test_modal_submission_with_validation_errors_then_success(emu: Emulator, demo: DemoPlugin) -> None:
    opened = emu.command("/form")
    assert any(o.kind == "modal" for o in opened.outputs)
    [views_open] = emu.fake.calls_to("views.open")
    assert views_open.response["ok"]
    turn = emu.submit({"title": "ab"})
    assert "Give the project a longer title" in turn.text
    assert emu.fake.open_modal(emu.current_user) is not None  # still open, as in Slack
    turn = emu.submit({"Title": "Website relaunch", "size": "Large"})
    assert ("submit", ("Website relaunch", "l")) in demo.ran
    assert emu.fake.open_modal(emu.current_user) is None
    assert "Project *Website relaunch* created" in turn.text


def test_submit_names_unknown_and_missing_fields(emu: Emulator) -> None:
    emu.command("/form")
    with pytest.raises(EmulatorError, match="no field colour"):
        emu.submit({"title": "x", "colour": "red"})
    with pytest.raises(EmulatorError, match=r"'title'.*required"):
        emu.submit({"size": "s"})


def test_global_shortcut_opens_a_modal(emu: Emulator, demo: DemoPlugin) -> None:
    body, content_type = emu.payloads.shortcut(
        user_id=emu.current_user,
        user_name="dev",
        callback_id="demo_shortcut",
        trigger_id=emu.fake.new_trigger(emu.current_user),
    )
    response = emu.deliver(body, content_type)
    assert response["statusCode"] == 200
    assert ("shortcut", "demo_shortcut") in demo.ran
    assert emu.fake.open_modal(emu.current_user)["callback_id"] == "demo_form"  # type: ignore[index]


def test_plugin_event_handler_and_default_home_tab(emu: Emulator, demo: DemoPlugin) -> None:
    emu.send_event(
        {
            "type": "reaction_added",
            "user": emu.current_user,
            "reaction": "tada",
            "item": {"type": "message", "channel": "C0GENERAL", "ts": "1.2"},
            "event_ts": "1.3",
        }
    )
    assert ("reaction", "tada") in demo.ran
    turn = emu.open_home()
    [publish] = emu.fake.calls_to("views.publish")
    assert publish.args["user_id"] == emu.current_user
    assert "/echo" in turn.text and "Echo the text" in turn.text


def test_dm_goes_to_the_conversation_handler_and_streams_the_answer(
    emu: Emulator, conversations: RecordingConversations
) -> None:
    turn = emu.dm("prepare my 10:00")
    [message] = conversations.messages
    assert (message.user_id, message.text) == (emu.current_user, "prepare my 10:00")
    assert message.channel_id == emu.fake.dm_channel(emu.current_user)
    assert message.thread_ts == message.ts  # a top-level DM starts the thread
    # users.info (the user's time zone) is read after the answer, off the ack path.
    methods = [c.method for c in emu.fake.calls if c.method not in ("auth.test", "users.info")]
    assert methods[:2] == ["assistant.threads.setStatus", "chat.startStream"]
    assert "chat.stopStream" in methods and methods[-1] == "chat.postMessage"  # the context line
    assert "Hello from the agent" in turn.text
    # The next DM continues the same thread (one agent session).
    emu.dm("and the 11:00?")
    assert conversations.messages[1].thread_ts == message.thread_ts
    assert conversations.messages[1].session_id == message.session_id


def test_app_mention_strips_the_mention(emu: Emulator, conversations: RecordingConversations) -> None:
    emu.mention("status of project X?")
    [message] = conversations.messages
    assert message.text == "status of project X?"
    assert message.channel_id == "C0GENERAL"


def test_bot_messages_and_edits_do_not_reach_the_agent(emu: Emulator, conversations: RecordingConversations) -> None:
    channel = emu.fake.dm_channel(emu.current_user)
    emu.send_event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "bot_id": "BOTHER",
            "user": "UOTHERBOT",
            "text": "beep",
            "ts": emu.fake.new_ts(),
        }
    )
    emu.send_event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel_type": "im",
            "channel": channel,
            "message": {"text": "edited"},
            "ts": emu.fake.new_ts(),
        }
    )
    assert conversations.messages == []


def test_without_an_agent_runtime_the_user_gets_a_clear_answer(crewbot_emulator_factory: Any) -> None:
    emu = crewbot_emulator_factory(only=["crewbot_command"])
    emu.crewbot.__dict__["conversations"] = None
    turn = emu.dm("hello?")
    assert NO_AGENTS_TEXT in turn.text


def test_first_contact_creates_a_user_record_admins_flagged(emu: Emulator) -> None:
    emu.command("/crewbot help")
    emu.act_as("admin")
    emu.dm("hi")
    users = emu.crewbot.records.users
    dev = users.get(emu.user("dev"))
    admin = users.get(emu.admin_id)
    assert dev is not None and not dev.is_admin
    assert admin is not None and admin.is_admin and "admin" in admin.roles
