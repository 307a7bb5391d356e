"""Runtime services: one per key, and closing the runtime closes them (newest first) and frees what they hold."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest

from bot.api import serve
from bot.runtime import Crewbot, start


@pytest.fixture
def crewbot(tmp_path: Path) -> Crewbot:
    environ = {"CREWBOT_HOME": str(tmp_path), "CREWBOT_RUNTIME": "local"}
    return start(environ=environ, setup_logging=False)


class Closable:
    def __init__(self, name: str, closed: list[str], fail: bool = False):
        self.name, self.closed, self.fail = name, closed, fail

    def close(self) -> None:
        self.closed.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} would not close")


def test_a_service_is_built_once_per_key(crewbot: Crewbot) -> None:
    built: list[int] = []

    def factory() -> object:
        built.append(1)
        return object()

    first = crewbot.service("test.thing", factory)
    assert crewbot.service("test.thing", factory) is first
    assert built == [1]
    crewbot.close()


def test_closing_the_runtime_closes_services_newest_first_even_when_one_fails(
    crewbot: Crewbot, caplog: pytest.LogCaptureFixture
) -> None:
    closed: list[str] = []
    crewbot.service("test.old", lambda: Closable("old", closed))
    crewbot.service("test.failing", lambda: Closable("failing", closed, fail=True))
    crewbot.service("test.plain", lambda: {"no": "close method"})
    crewbot.service("test.new", lambda: Closable("new", closed))
    with caplog.at_level(logging.ERROR, logger="bot.runtime"):
        crewbot.close()
    assert closed == ["new", "failing", "old"]
    assert "test.failing" in caplog.text
    assert crewbot.services() == {}
    crewbot.close()  # a second close has nothing left to close
    assert closed == ["new", "failing", "old"]


def test_closing_the_runtime_stops_a_local_route_server(crewbot: Crewbot) -> None:
    server: Any = crewbot.service("test.http", lambda: serve(crewbot))
    host, port = server.server.server_address[:2]
    socket.create_connection((host, port), timeout=5).close()  # serving
    crewbot.close()
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=5).close()
    server.thread.join(timeout=5)
    assert not server.thread.is_alive()
