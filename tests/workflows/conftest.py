from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.events.bus import LocalEventBus
from bot.storage.sqlite import SqliteStore
from bot.workflows.definitions import WorkflowDefinition, load_file, parse_definition
from bot.workflows.local import LocalWorkflowEngine
from tests.workflows.handlers import Inbox, make_tasks

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore.in_home(tmp_path)
    yield store
    store.close()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def make_engine(store: SqliteStore, clock: ManualClock, inbox: Inbox) -> Callable[..., LocalWorkflowEngine]:
    def build(*definitions: WorkflowDefinition | dict[str, Any]) -> LocalWorkflowEngine:
        loaded = {}
        for i, item in enumerate(definitions):
            definition = item if isinstance(item, WorkflowDefinition) else parse_definition(f"wf{i}", item)
            loaded[definition.name] = definition
        return LocalWorkflowEngine(loaded, make_tasks(inbox), store, clock, bus=LocalEventBus(clock))

    return build


def fixture(name: str) -> WorkflowDefinition:
    return load_file(FIXTURES / f"{name}.asl.json")
