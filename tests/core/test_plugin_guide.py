"""The examples of docs/plugins.md run as shown: the guide includes each example file word for word."""

from __future__ import annotations

import importlib.util
import json
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "docs" / "examples"
GUIDE = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"crewbot_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(EXAMPLES.iterdir()), ids=lambda p: p.name)
def test_the_guide_shows_each_example_whole(path: Path) -> None:
    assert path.read_text(encoding="utf-8") in GUIDE, f"docs/plugins.md's copy of {path.name} is out of date"


def test_the_hello_world_plugin(crewbot_emulator_factory: Any) -> None:
    emulator = crewbot_emulator_factory(plugins=[("hello", example("hello"))], only=[])
    assert emulator.command("/hello").text == "Hello @dev!"


def test_an_expense_waits_for_an_admins_button(crewbot_emulator_factory: Any) -> None:
    emulator = crewbot_emulator_factory(plugins=[("expense", example("expense_approval"))], only=[])
    emulator.play("""
        /expense 120 taxi
        expect Approval requested for 120 (taxi)
        as admin
        expect asks for 120
        click Approve
        expect Approved.
        as dev
        expect Your expense of 120 was approved by @admin
    """)


def test_the_json_calendar_provider_syncs(crewbot_emulator_factory: Any, tmp_path: Path) -> None:
    from bot.api import ConnectionRepository

    config = tmp_path / "crewbot.yaml"
    config.write_text("plugins:\n  settings:\n    meeting_prep: {sample_calendar: null}\n")
    emulator = crewbot_emulator_factory(
        plugins=[("calendar_json", example("calendar_json"))],
        only=["meeting_coordinator", "meeting_prep"],
        config_file=config,
    )
    start = emulator.crewbot.clock.now() + timedelta(days=1)
    events = [
        {
            "id": "e1",
            "title": "Budget review",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        }
    ]
    source = tmp_path / "events.json"
    source.write_text(json.dumps(events))
    ConnectionRepository(emulator.crewbot).connect(emulator.user("dev"), "json", source=str(source))
    assert "Calendar synced: 1 events read, 1 new" in emulator.command("/prep sync").text
