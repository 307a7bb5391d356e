"""Shared set-up for the project-delivery tests: an emulator with the built-in plugins and a sample SOW."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.pluginhost import BUILTIN_PLUGINS

DATA = Path(__file__).parent / "data"
SAMPLE_SOW = (DATA / "sample-sow.md").read_text(encoding="utf-8")
#: The sample SOW without its timeline: the PM has to ask the customer.
SOW_WITHOUT_TIMELINE = SAMPLE_SOW.split("## Timeline")[0]
#: Every built-in plugin but the Supervisor, whose one-minute sweep turns each simulated day of ``advance``
#: into 1,440 clock steps; project delivery does not use it.
WITHOUT_SUPERVISOR = [name for name in BUILTIN_PLUGINS if name != "supervisor"]


@pytest.fixture
def emu(crewbot_emulator_factory: Any) -> Any:
    return crewbot_emulator_factory(only=WITHOUT_SUPERVISOR)


def new_project(emu: Any, name: str = "Acme store", sow: str = SAMPLE_SOW, channel: str = "C0GENERAL") -> Any:
    """Run ``/project new`` and submit the modal; returns the turn of the submission."""
    emu.command("/project new")
    turn = emu.submit({"name": name, "sow_text": sow, "channel": channel})
    assert not emu.take_errors()
    return turn


def project_named(emu: Any, name: str = "Acme store") -> Any:
    from plugins.projects.service import project_service

    return project_service(emu.crewbot).find(name)
