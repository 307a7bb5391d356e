"""Socket Mode over a real websocket: a local server speaking Slack's Socket Mode protocol (hello,
envelopes with envelope_id, acknowledgements, disconnect and reconnect); every envelope kind is acked."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.server import ServerConnection, serve

from bot.emulator import Emulator
from bot.slack.socket_mode import build_socket_mode_app, socket_mode_handler
from tests.slack.conftest import DemoPlugin

APP_TOKEN = "xapp-1-A0CREWBOT-socket-test"


class SocketModeServer:
    """Slack's side of Socket Mode: says hello on connect, sends envelopes, collects acknowledgements."""

    def __init__(self) -> None:
        self.connections: queue.Queue[ServerConnection] = queue.Queue()
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def start(self) -> SocketModeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "local"}}))
        self.connections.put(connection)
        for message in connection:
            self.acks.put(json.loads(message))

    def ack_of(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any]:
        while True:
            ack = self.acks.get(timeout=timeout)
            if ack.get("envelope_id") == envelope_id:
                return ack


@pytest.fixture
def server() -> Iterator[SocketModeServer]:
    started = SocketModeServer().start()
    yield started
    started.stop()


def _envelopes(emu: Emulator) -> list[tuple[str, dict[str, Any]]]:
    user = emu.current_user
    dm = emu.fake.dm_channel(user)
    team = {"id": emu.fake.team_id, "domain": "emulator"}
    who = {"id": user, "username": "dev", "team_id": emu.fake.team_id}
    view = {"id": "V0SOCKET01", "type": "modal", "callback_id": "demo_form", "private_metadata": "", "blocks": []}
    return [
        (
            "events_api",
            {
                "type": "event_callback",
                "team_id": emu.fake.team_id,
                "event_id": "Ev0SOCKET1",
                "event": {"type": "app_home_opened", "user": user, "channel": dm, "tab": "home"},
            },
        ),
        (
            "slash_commands",
            {
                "command": "/fast",
                "text": "over the socket",
                "user_id": user,
                "channel_id": dm,
                "team_id": emu.fake.team_id,
                "trigger_id": emu.fake.new_trigger(user),
                "response_url": emu.fake.new_response_url(dm, user),
            },
        ),
        (
            "interactive",
            {
                "type": "block_actions",
                "user": who,
                "team": team,
                "trigger_id": emu.fake.new_trigger(user),
                "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": dm},
                "actions": [{"action_id": "vote_up", "block_id": "decide", "type": "button", "action_ts": "1.2"}],
            },
        ),
        (
            "interactive",
            {
                "type": "view_submission",
                "user": who,
                "team": team,
                "trigger_id": emu.fake.new_trigger(user),
                "view": {**view, "state": {"values": {"title": {"value": {"type": "plain_text_input", "value": "x"}}}}},
            },
        ),
        ("interactive", {"type": "view_closed", "user": who, "team": team, "view": view}),
        (
            "interactive",
            {"type": "shortcut", "callback_id": "nobody_handles", "user": who, "team": team, "trigger_id": "1.2.3"},
        ),
        (
            "interactive",
            {"type": "shortcut", "callback_id": "demo_shortcut", "user": who, "team": team, "trigger_id": "1.2.4"},
        ),
        ("events_api", {"type": "event_callback", "event": []}),  # malformed: acknowledged and dropped
    ]


def test_every_envelope_is_acknowledged_over_a_websocket_and_after_a_reconnect(
    crewbot_emulator_factory: Any, server: SocketModeServer
) -> None:
    demo = DemoPlugin()
    emu: Emulator = crewbot_emulator_factory(plugins=[("demo", demo)], only=["crewbot_command"])
    emu.fake.app_token, emu.fake.socket_mode_url = APP_TOKEN, server.url
    app = build_socket_mode_app(emu.crewbot, emu.client)
    handler = socket_mode_handler(app, APP_TOKEN)
    handler.connect()
    try:
        first = server.connections.get(timeout=15)
        for i, (kind, payload) in enumerate(_envelopes(emu)):
            envelope_id = f"env-{i}-{kind}"
            first.send(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload}))
            ack = server.ack_of(envelope_id)
            assert ack["envelope_id"] == envelope_id
        assert ("fast", "over the socket") in demo.ran
        # Slack asks the client to reconnect; it opens a new connection and goes on.
        first.send(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))
        second = server.connections.get(timeout=15)
        second.send(json.dumps({"envelope_id": "env-after", "type": "events_api", "payload": _envelopes(emu)[0][1]}))
        assert server.ack_of("env-after")["envelope_id"] == "env-after"
        assert len(emu.fake.calls_to("apps.connections.open")) >= 2
    finally:
        handler.close()
