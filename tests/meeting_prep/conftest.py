"""Fixtures for the meeting-prep tests: an emulator with the meeting-prep plugins only (each registers
its own workflows and agents, so no other feature's definitions are loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PREP_PLUGINS = [
    "crewbot_command",
    "meeting_coordinator",
    "meeting_prep",
    "calendar_ics",
    "calendar_google",
    "calendar_microsoft",
]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def prep_emulator_factory(crewbot_emulator_factory: Any) -> Any:
    """Emulators with the meeting-prep plugins only (closed, local servers included, when the test ends)."""

    def make(plugins: list[tuple[str, Any]] | None = None, **kwargs: Any) -> Any:
        return crewbot_emulator_factory(list(plugins or []), only=PREP_PLUGINS, **kwargs)

    return make


@pytest.fixture
def prep_emulator(prep_emulator_factory: Any) -> Any:
    return prep_emulator_factory()
