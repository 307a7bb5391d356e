"""An emulator with the built-in plugins and the two test specialists, the admin talking to the Supervisor."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.supervisor import specialists


@pytest.fixture
def start(crewbot_emulator_factory: Any) -> Any:
    """Start an emulator (on the test's home: a second call is a restart) with the specialists."""
    specialists.reset()

    def make() -> Any:
        return crewbot_emulator_factory(plugins=[("specialists", sys.modules[specialists.__name__])])

    return make


@pytest.fixture
def emu(start: Any) -> Any:
    emulator = start()
    emulator.act_as("admin")
    emulator.command("/crewbot agents use supervisor")
    return emulator


def service(emu: Any) -> Any:
    from plugins.supervisor.supervisor import supervisor

    return supervisor(emu.crewbot)
