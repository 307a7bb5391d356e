"""Fixtures for the meeting-prep tests: an emulator with the meeting-prep plugins only.

The core plugin registers every ``workflows/*.asl.json``; other areas' definitions need their own
plugins' tasks, so these tests load a small stand-in for the core plugin that registers the shipped
agents and only ``workflows/meeting_prep.asl.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl
from bot.resources import data_dir

PREP_PLUGINS = [
    "crewbot_command",
    "meeting_coordinator",
    "meeting_prep",
    "calendar_ics",
    "calendar_google",
    "calendar_microsoft",
]
FIXTURES = Path(__file__).parent / "fixtures"


def _core() -> Any:
    @hookimpl
    def register_workflows() -> list[Path]:
        return [data_dir("workflows") / "meeting_prep.asl.json"]

    @hookimpl
    def register_agents() -> list[Path]:
        return sorted(data_dir("agents").glob("*.yaml"))

    return SimpleNamespace(register_workflows=register_workflows, register_agents=register_agents)


@pytest.fixture
def prep_emulator_factory(crewbot_emulator_factory: Any) -> Iterator[Any]:
    made: list[Any] = []

    def make(plugins: list[tuple[str, Any]] | None = None, **kwargs: Any) -> Any:
        emulator = crewbot_emulator_factory([("prep_core", _core()), *(plugins or [])], only=PREP_PLUGINS, **kwargs)
        made.append(emulator)
        return emulator

    yield make
    from plugins.meeting_prep import slack_ui

    for emulator in made:  # a local OAuth callback server a test started
        server = slack_ui._servers.pop(id(emulator.crewbot), None)
        if server is not None:
            server.stop()


@pytest.fixture
def prep_emulator(prep_emulator_factory: Any) -> Any:
    return prep_emulator_factory()
