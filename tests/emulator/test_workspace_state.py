"""The emulated workspace as Slack keeps it: each user sees only their own view, and a restart keeps every
message (and the buttons on it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.emulator import Emulator
from bot.emulator.workspace import EmulatorError
from tests.slack.conftest import DemoPlugin, RecordingConversations


def _start(home: Path, demo: DemoPlugin) -> Emulator:
    environ = {**os.environ, "CREWBOT_HOME": str(home), "CREWBOT_LOAD_PLUGINS": "crewbot_command,demo"}
    return Emulator.start(environ=environ, extra_plugins=[("demo", demo)], conversations=RecordingConversations())


def test_a_user_does_not_see_another_users_dm(crewbot_home: Path) -> None:
    with _start(crewbot_home, DemoPlugin()) as emu:
        emu.play("""
            hello
            expect from the agent
        """)
        with pytest.raises(EmulatorError, match="does not contain"):
            emu.play("""
                as alice
                expect from the agent
            """)
        dm = emu.fake.dm_channel(emu.user("dev"))
        assert all(m.channel != dm for m in emu.fake.visible_messages(emu.user("alice")))
        # Ephemerals reach only their user, channel messages every member.
        emu.act_as("dev")
        emu.mention("status?")
        emu.act_as("alice")
        assert any(m.channel == "C0GENERAL" for m in emu.fake.visible_messages(emu.current_user))


def test_a_restart_keeps_messages_and_buttons(crewbot_home: Path) -> None:
    first_demo = DemoPlugin()
    with _start(crewbot_home, first_demo) as first:
        first.play("/buttons")
        posted = [m for m in first.fake.messages if m.blocks]
        assert posted
    second_demo = DemoPlugin()
    with _start(crewbot_home, second_demo) as second:
        kept = second.fake.find_message(posted[-1].channel, posted[-1].ts)
        assert kept is not None and kept.blocks == posted[-1].blocks
        second.play("""
            click Approve
            expect Approved by @dev
        """)
        assert second_demo.names() == ["approve"]
        assert "UDEV" in second.fake.users and "C0GENERAL" in second.fake.channels
