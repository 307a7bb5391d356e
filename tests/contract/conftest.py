"""One fixture, two adapters: every contract test runs on SQLite + files and on DynamoDB + S3 (moto)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from bot.config.naming import ResourceNamer
from bot.storage import tables
from bot.storage.base import Store, Table, TableSpec
from bot.storage.dynamodb import DynamoStore, create_buckets, create_tables
from bot.storage.items import resolve_spec
from bot.storage.sqlite import SqliteStore

from .dynamo_rules import check_request

REGION = "eu-west-1"


class FakeNow:
    """The time TTLs are compared with; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class _MotoStore(DynamoStore):
    """A DynamoStore that creates each table under moto the first time it is asked for (setup stays fast;
    the tables are built by the same ``create_tables`` the adapter ships)."""

    def __init__(self, *args: Any, client: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._client = client
        self._created: set[str] = set()

    def table(self, spec: TableSpec | str) -> Any:
        resolved = resolve_spec(spec)
        if resolved.name not in self._created:
            create_tables(self._client, self.namer, [resolved])
            self._created.add(resolved.name)
        return super().table(resolved)


@dataclass
class Harness:
    """A store under test plus what a test needs around it."""

    kind: str
    store: Store
    now: FakeNow
    client: object | None = None  # the moto DynamoDB client (AWS only)
    namer: ResourceNamer | None = None

    def table(self, spec: TableSpec | str) -> Table:
        """The store's table (under moto it is created on first use)."""
        return self.store.table(spec)


@pytest.fixture(autouse=True)
def _isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may declare extra tables; keep them out of the process-wide registry other tests read.
    monkeypatch.setattr(tables, "_TABLES", dict(tables._TABLES))


_MOTO_WRITE_LOCK = threading.RLock()


def _atomic(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _MOTO_WRITE_LOCK:
            return method(*args, **kwargs)

    return locked


@pytest.fixture
def _atomic_moto_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and applies it atomically; moto does not (it has no locks), so
    two threads can both pass a version check. Serialise moto's writes to emulate the real guarantee."""
    for name in ("put_item", "delete_item", "update_item"):
        monkeypatch.setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))


@pytest.fixture(params=["sqlite", "dynamodb"])
def harness(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    now = FakeNow()
    if request.param == "sqlite":
        store = SqliteStore.in_home(tmp_path / "home", now=now)
        yield Harness("sqlite", store, now)
        store.close()
        return
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    request.getfixturevalue("_atomic_moto_writes")
    with mock_aws():
        namer = ResourceNamer("crewbot", "dev", "123456789012")
        client = boto3.client("dynamodb", region_name=REGION)
        create_buckets(boto3.client("s3", region_name=REGION), namer, REGION)
        store = _MotoStore(namer, region=REGION, now=now, client=client)
        store.dynamodb.meta.events.register("provide-client-params.dynamodb", check_request)
        yield Harness("dynamodb", store, now, client, namer)
        store.close()


@pytest.fixture
def store(harness: Harness) -> Store:
    return harness.store
