"""The Powertools persistence layer over a Crewbot table: claims, duplicates, failures, stale claims."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Crewbot, start
from bot.slack.idempotency import Deduplicator
from bot.storage.tables import IDEMPOTENCY


@pytest.fixture
def crewbot(tmp_path: Path) -> Iterator[Crewbot]:
    runtime = start(environ={"CREWBOT_HOME": str(tmp_path), "CREWBOT_LOAD_PLUGINS": ""}, setup_logging=False)
    yield runtime
    runtime.close()


def test_runs_once_per_key(crewbot: Crewbot) -> None:
    dedupe = Deduplicator(crewbot.store.table(IDEMPOTENCY))
    ran: list[str] = []
    assert dedupe.run_once("event:Ev1", lambda: ran.append("a")) is True
    assert dedupe.run_once("event:Ev1", lambda: ran.append("b")) is False
    assert dedupe.run_once("event:Ev2", lambda: ran.append("c")) is True
    assert ran == ["a", "c"]


def test_a_failure_releases_the_key(crewbot: Crewbot) -> None:
    dedupe = Deduplicator(crewbot.store.table(IDEMPOTENCY))

    def fail() -> None:
        raise ValueError("first attempt fails")

    with pytest.raises(ValueError):
        dedupe.run_once("event:Ev3", fail)
    assert crewbot.store.table(IDEMPOTENCY).get({"key": Deduplicator.record_key("event:Ev3")}) is None
    ran: list[int] = []
    assert dedupe.run_once("event:Ev3", lambda: ran.append(1)) is True
    assert ran == [1]


def test_concurrent_duplicates_run_once(crewbot: Crewbot) -> None:
    dedupe = Deduplicator(crewbot.store.table(IDEMPOTENCY))
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow() -> None:
        ran.append("first")
        started.set()
        release.wait(10)

    first = threading.Thread(target=dedupe.run_once, args=("event:Ev4", slow))
    first.start()
    started.wait(10)
    # The first delivery is still in progress: the duplicate is skipped, not run in parallel.
    assert dedupe.run_once("event:Ev4", lambda: ran.append("second")) is False
    release.set()
    first.join(10)
    assert ran == ["first"]


def test_a_stale_in_progress_claim_is_taken_over(crewbot: Crewbot) -> None:
    table = crewbot.store.table(IDEMPOTENCY)
    key = Deduplicator.record_key("event:Ev5")
    # An attempt that died mid-way (its Lambda timed out) left an INPROGRESS claim whose window is over.
    table.create({"key": key, "status": "INPROGRESS", "expires_at": int(time.time()) + 3600,
                  "in_progress_expiry": int(time.time() * 1000) - 1000, "data": "", "payload_hash": ""})
    ran: list[int] = []
    assert Deduplicator(table).run_once("event:Ev5", lambda: ran.append(1)) is True
    assert ran == [1]
    stored: dict[str, Any] | None = table.get({"key": key})
    assert stored is not None and stored["status"] == "COMPLETED"


def test_an_expired_record_lets_the_key_run_again(crewbot: Crewbot) -> None:
    dedupe = Deduplicator(crewbot.store.table(IDEMPOTENCY))
    ran: list[int] = []
    assert dedupe.run_once("press:1", lambda: ran.append(1), window=1)
    time.sleep(2.1)  # expiry is whole epoch seconds
    assert dedupe.run_once("press:1", lambda: ran.append(2), window=1)
    assert ran == [1, 2]
