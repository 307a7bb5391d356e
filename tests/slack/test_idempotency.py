"""The Powertools persistence layer over a Crewbot table: claims, duplicates, failures, stale claims."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.config.naming import ResourceNamer
from bot.slack.idempotency import Deduplicator
from bot.storage.base import Table
from bot.storage.dynamodb import DynamoStore, create_tables
from bot.storage.sqlite import SqliteStore
from bot.storage.tables import IDEMPOTENCY


class StoreClock:
    """The time the store compares TTLs with; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["sqlite", "dynamodb"])
def table(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    """The idempotency table on both adapters: the same persistence layer serves SQLite and DynamoDB."""
    now = StoreClock()
    request.node.store_clock = now
    if request.param == "sqlite":
        store: Any = SqliteStore.in_home(tmp_path / "home", now=now)
        yield store.table(IDEMPOTENCY)
        store.close()
        return
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        namer = ResourceNamer("crewbot", "dev", "123456789012")
        create_tables(boto3.client("dynamodb", region_name="eu-west-1"), namer, [IDEMPOTENCY])
        store = DynamoStore(namer, region="eu-west-1", now=now)
        yield store.table(IDEMPOTENCY)
        store.close()


def test_runs_once_per_key(table: Table) -> None:
    dedupe = Deduplicator(table)
    ran: list[str] = []
    assert dedupe.run_once("event:Ev1", lambda: ran.append("a")) is True
    assert dedupe.run_once("event:Ev1", lambda: ran.append("b")) is False
    assert dedupe.run_once("event:Ev2", lambda: ran.append("c")) is True
    assert ran == ["a", "c"]


def test_a_failure_releases_the_key(table: Table) -> None:
    dedupe = Deduplicator(table)

    def fail() -> None:
        raise ValueError("first attempt fails")

    with pytest.raises(ValueError):
        dedupe.run_once("event:Ev3", fail)
    assert table.get({"key": Deduplicator.record_key("event:Ev3")}) is None
    ran: list[int] = []
    assert dedupe.run_once("event:Ev3", lambda: ran.append(1)) is True
    assert ran == [1]


def test_concurrent_duplicates_run_once(table: Table) -> None:
    dedupe = Deduplicator(table)
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


def test_a_stale_in_progress_claim_is_taken_over(table: Table) -> None:
    key = Deduplicator.record_key("event:Ev5")
    # An attempt that died mid-way (its Lambda timed out) left an INPROGRESS claim whose window is over.
    table.create(
        {
            "key": key,
            "status": "INPROGRESS",
            "expires_at": int(time.time()) + 3600,
            "in_progress_expiry": int(time.time() * 1000) - 1000,
            "data": "",
            "payload_hash": "",
        }
    )
    ran: list[int] = []
    assert Deduplicator(table).run_once("event:Ev5", lambda: ran.append(1)) is True
    assert ran == [1]
    stored: dict[str, Any] | None = table.get({"key": key})
    assert stored is not None and stored["status"] == "COMPLETED"


def test_an_expired_record_lets_the_key_run_again(table: Table, request: pytest.FixtureRequest) -> None:
    dedupe = Deduplicator(table)
    ran: list[int] = []
    assert dedupe.run_once("press:1", lambda: ran.append(1), window=10)
    assert not dedupe.run_once("press:1", lambda: ran.append(2), window=10)
    # The record's expiry comes from the real clock (Powertools): move the store's clock past it, counted from
    # now rather than from when the fixture started (a slow first import can take seconds).
    request.node.store_clock.t = time.time() + 11  # the TTL has passed: the record is gone for both adapters
    assert dedupe.run_once("press:1", lambda: ran.append(3), window=10)
    assert ran == [1, 3]


def test_the_in_progress_claim_lasts_as_long_as_the_lambda_invocation(table: Table) -> None:
    from bot.emulator.payloads import LambdaContext
    from bot.entrypoints.slack import current_invocation

    seen: list[int] = []

    def work() -> None:
        claim = table.get({"key": Deduplicator.record_key("event:Ev6")})
        assert claim is not None and claim["status"] == "INPROGRESS"
        seen.append(int(claim["in_progress_expiry"]))

    token = current_invocation.set(LambdaContext(timeout_seconds=20))
    try:
        Deduplicator(table).run_once("event:Ev6", work)
    finally:
        current_invocation.reset(token)
    # Claimed until the invocation's own deadline (20 s here), not the 15-minute default.
    assert time.time() * 1000 < seen[0] <= (time.time() + 20) * 1000
