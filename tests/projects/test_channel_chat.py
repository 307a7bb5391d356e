"""Talking to the PM in a channel dedicated to one project: with ``/project chat NAME all`` plain messages (not
only mentions) go to the PM, through Slack's message events; off by default, approvers only, never in a
channel shared by several active projects."""

from __future__ import annotations

from typing import Any

from tests.projects.conftest import new_project


def channel_message(emu: Any, text: str, channel: str = "C0GENERAL") -> Any:
    """The current user posts ``text`` in ``channel`` (a ``message`` event, channel_type ``channel``)."""
    message = emu.fake.add_user_message(channel, emu.current_user, text)
    event = {
        "type": "message",
        "channel_type": "channel",
        "channel": channel,
        "user": emu.current_user,
        "text": text,
        "ts": message.ts,
        "event_ts": message.ts,
        "team": emu.fake.team_id,
    }
    return emu.send_event(event)


def pm_replies(emu: Any) -> list[Any]:
    return [m for m in emu.fake.messages if m.from_bot and m.thread_ts and "task ledger" in m.text.lower()]


def test_plain_messages_reach_the_pm_when_the_project_says_so(emu: Any) -> None:
    new_project(emu)
    channel_message(emu, "which blockers are open?")
    assert pm_replies(emu) == []  # default: only mentions
    assert "PM answers mentions of Crewbot" in emu.command("/project chat Acme store").text
    emu.act_as("alice")
    assert "only the approvers" in emu.command("/project chat Acme store all").text
    emu.act_as("dev")
    assert "every message in" in emu.command("/project chat Acme store all").text
    channel_message(emu, "which blockers are open?")
    [reply] = pm_replies(emu)
    assert reply.channel == "C0GENERAL" and reply.thread_ts
    # A mention is answered once (as the mention), not a second time as a channel message.
    emu.mention("and which decisions?")
    assert len(pm_replies(emu)) == 2
    # DMs still go to the user's own agent.
    assert emu.dm("hello").text
    # A second active project in the channel: it is no longer dedicated, plain messages are left alone.
    new_project(emu, name="Beta shop")
    channel_message(emu, "who is working on what?")
    assert len(pm_replies(emu)) == 2
    assert "other active projects" in emu.command("/project chat Beta shop all").text
