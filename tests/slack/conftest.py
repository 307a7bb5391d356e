"""A demo plugin registering one of everything, and a recording conversation handler (the test double
at the Slack/agents seam), wired into the emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot import hookimpl
from bot.emulator import Emulator
from bot.slack.conversation import IncomingMessage, Reply
from bot.slack.registry import Action, Shortcut, SlackEvent, SlashCommand, ViewSubmission

FORM = {
    "type": "modal",
    "callback_id": "demo_form",
    "title": {"type": "plain_text", "text": "New project"},
    "submit": {"type": "plain_text", "text": "Create"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "size",
            "label": {"type": "plain_text", "text": "Size"},
            "optional": True,
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Small"}, "value": "s"},
                    {"text": {"type": "plain_text", "text": "Large"}, "value": "l"},
                ],
            },
        },
    ],
}

BUTTONS = [
    {
        "type": "section",
        "block_id": "intro",
        "text": {"type": "mrkdwn", "text": "*Release 1.2* is ready"},
        "fields": [{"type": "mrkdwn", "text": "*Owner*\n<@UALICE>"}, {"type": "mrkdwn", "text": "*Risk*\nlow"}],
    },
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "demo_approve",
                "value": "42",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
            },
            {
                "type": "button",
                "action_id": "demo_flaky",
                "value": "x",
                "text": {"type": "plain_text", "text": "Flaky"},
            },
            {"type": "button", "action_id": "vote_up", "value": "1", "text": {"type": "plain_text", "text": "Vote"}},
            {"type": "button", "action_id": "gone_away", "text": {"type": "plain_text", "text": "Orphan"}},
        ],
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "asked by the release bot"}]},
]


class DemoPlugin:
    """Registers a command, button, form, shortcut and event of every kind; records what ran."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, Any]] = []
        self.flaky_failures = 1
        self._lock = threading.Lock()

    def record(self, what: str, value: Any = None) -> None:
        with self._lock:
            self.ran.append((what, value))

    def names(self) -> list[str]:
        return [name for name, _ in self.ran]

    # handlers ---------------------------------------------------------------------------------

    def echo(self, respond: Any, command: dict[str, Any], crewbot: Any, is_admin: bool) -> None:
        self.record("echo", (command["text"], crewbot is not None, is_admin))
        respond(f"echo: {command['text']}")

    def fast(self, ack: Any, command: dict[str, Any]) -> None:
        self.record("fast", command["text"])
        ack(f"fast {command['text']}")

    def boom(self, respond: Any) -> None:
        self.record("boom")
        raise RuntimeError("kaboom")

    def admin_only(self, respond: Any) -> None:
        self.record("admin")
        respond("admin things done")

    def buttons(self, respond: Any) -> None:
        respond(text="Release 1.2 is ready", blocks=BUTTONS, response_type="in_channel")

    def form(self, ack: Any, body: dict[str, Any], client: Any) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=FORM)

    def approve(self, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        self.record("approve", (body["user"]["id"], action["value"]))
        respond(replace_original=True, text=f"Approved by <@{body['user']['id']}>")

    def flaky(self, respond: Any) -> None:
        with self._lock:
            failing = self.flaky_failures > 0
            self.flaky_failures -= 1
        self.record("flaky", "failed" if failing else "ok")
        if failing:
            raise ConnectionError("downstream unavailable")
        respond("flaky worked")

    def vote(self, action: dict[str, Any]) -> None:
        self.record("vote", action["action_id"])

    def submit(self, ack: Any, view: dict[str, Any], body: dict[str, Any], client: Any) -> None:
        values = view["state"]["values"]
        title = values["title"]["value"]["value"]
        size = (values["size"]["pick"].get("selected_option") or {}).get("value")
        if not title or len(title) < 3:
            ack(response_action="errors", errors={"title": "Give the project a longer title"})
            return
        ack()
        self.record("submit", (title, size))
        client.chat_postMessage(channel=body["user"]["id"], text=f"Project *{title}* created")

    def shortcut(self, ack: Any, shortcut: dict[str, Any], client: Any) -> None:
        ack()
        self.record("shortcut", shortcut["callback_id"])
        client.views_open(trigger_id=shortcut["trigger_id"], view=FORM)

    def reaction(self, event: dict[str, Any]) -> None:
        self.record("reaction", event["reaction"])

    # hooks ------------------------------------------------------------------------------------

    @hookimpl
    def register_commands(self) -> list[SlashCommand]:
        return [
            SlashCommand("/echo", self.echo, description="Echo the text", usage_hint="<text>"),
            SlashCommand("/fast", self.fast, description="Answer before the ack", lazy=False),
            SlashCommand("/boom", self.boom, description="Always fails"),
            SlashCommand("/secret", self.admin_only, description="Admins only", admin_only=True),
            SlashCommand("/buttons", self.buttons, description="Post buttons"),
            SlashCommand("/form", self.form, description="Open a form", lazy=False),
        ]

    @hookimpl
    def register_actions(self) -> list[Any]:
        return [
            Action("demo_approve", self.approve, once=True),
            Action("demo_flaky", self.flaky),
            Action(r"^vote_.*", self.vote, regex=True),
            ViewSubmission("demo_form", self.submit),
            Shortcut("demo_shortcut", "New project", "Start a project", self.shortcut),
            SlackEvent("reaction_added", self.reaction, scopes=("reactions:read",)),
        ]


@dataclass
class RecordingConversations:
    """The agents' side of the seam, as a test double: records messages, answers through the Reply."""

    messages: list[IncomingMessage] = field(default_factory=list)
    resets: list[tuple[str, str, str | None]] = field(default_factory=list)
    fail_next: int = 0
    chunks: tuple[str, ...] = ("Hello ", "from ", "the agent")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, message: IncomingMessage, reply: Reply) -> None:
        with self._lock:
            self.messages.append(message)
            failing = self.fail_next > 0
            self.fail_next -= 1
        reply.status("thinking…")
        if failing:
            raise RuntimeError("model timed out")
        reply.stream(iter(self.chunks))
        reply.context("demo_agent · 2 tools")

    def reset(self, user_id: str, channel_id: str, thread_ts: str | None = None) -> None:
        self.resets.append((user_id, channel_id, thread_ts))


@pytest.fixture
def demo() -> DemoPlugin:
    return DemoPlugin()


@pytest.fixture
def conversations() -> RecordingConversations:
    return RecordingConversations()


@pytest.fixture
def emu(crewbot_emulator_factory: Any, demo: DemoPlugin, conversations: RecordingConversations) -> Iterator[Emulator]:
    yield crewbot_emulator_factory(plugins=[("demo", demo)], only=["crewbot_command"], conversations=conversations)


def echo_command(emu: Emulator, text: str = "hi") -> tuple[str, str]:
    """The body and content type of ``/echo text`` sent by the current user in their DM with the bot."""
    user = emu.current_user
    dm = emu.fake.dm_channel(user)
    return emu.payloads.slash_command(
        command="/echo",
        text=text,
        user_id=user,
        user_name="dev",
        channel_id=dm,
        channel_name="directmessage",
        response_url=emu.fake.new_response_url(dm, user),
        trigger_id=emu.fake.new_trigger(user),
    )
