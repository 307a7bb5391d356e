"""Storage interfaces: tables of JSON-like items and blob stores, each with a local and an AWS adapter.

A :class:`Table` is modelled on a DynamoDB table so both adapters can honour the same contract:
items are dicts; the key attributes (``spec.pk`` / ``spec.sk`` and index keys) are strings (time
sort keys are ISO-8601 UTC strings, so they sort as text); every stored item carries an integer
``version`` that conditional writes check (optimistic concurrency). Items whose ``spec.ttl``
attribute (epoch seconds) is in the past are treated as absent by both adapters.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Item = dict[str, Any]
VERSION = "version"


class StorageError(Exception):
    """Base class of storage errors."""


class ConflictError(StorageError):
    """A conditional write lost: the item exists already, or changed since it was read."""


class NotFoundError(StorageError):
    """The item or blob does not exist."""


@dataclass(frozen=True)
class IndexSpec:
    """A secondary index (a DynamoDB GSI; an SQLite index locally). Projects all attributes."""

    name: str
    pk: str
    sk: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """The logical description of a table: its name, keys, indexes and TTL attribute."""

    name: str
    pk: str
    sk: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl: str | None = None
    description: str = ""

    def index(self, name: str | None) -> tuple[str, str | None]:
        """The (partition, sort) attribute names of the table (``None``) or one of its indexes."""
        if name is None:
            return self.pk, self.sk
        for index in self.indexes:
            if index.name == name:
                return index.pk, index.sk
        raise ValueError(f"table {self.name!r} has no index {name!r}")

    def key_of(self, item: Mapping[str, Any]) -> Item:
        """The primary key of ``item``; an error naming the missing attribute otherwise."""
        key: Item = {}
        for attr in (self.pk, self.sk):
            if attr is None:
                continue
            value = item.get(attr)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{self.name}: key attribute {attr!r} must be a non-empty string, got {value!r}")
            key[attr] = value
        return key


@dataclass(frozen=True)
class SortCondition:
    """A condition on the sort key of a query."""

    op: Literal["eq", "begins_with", "between", "lt", "lte", "gt", "gte"]
    value: str
    upper: str | None = None  # for "between" (inclusive)

    @classmethod
    def between(cls, low: str, high: str) -> SortCondition:
        return cls("between", low, high)

    @classmethod
    def begins_with(cls, prefix: str) -> SortCondition:
        return cls("begins_with", prefix)


@dataclass
class Page:
    """One page of query results; ``cursor`` continues the query when more items exist."""

    items: list[Item] = field(default_factory=list)
    cursor: str | None = None


class Table(ABC):
    """One table. All methods are safe to call from several threads."""

    spec: TableSpec

    @abstractmethod
    def get(self, key: Mapping[str, str]) -> Item | None:
        """The item with this primary key, or ``None``."""

    @abstractmethod
    def create(self, item: Mapping[str, Any]) -> Item:
        """Store a new item (``version`` 1); :class:`ConflictError` if the key exists (and is not expired)."""

    @abstractmethod
    def put(self, item: Mapping[str, Any], *, expected_version: int | None = None) -> Item:
        """Store ``item``, replacing any item with its key, and return it with its new ``version``.

        With ``expected_version`` the write succeeds only if the stored item has that version
        (:class:`ConflictError` otherwise, also when the item does not exist). Without it the write is
        unconditional and the new version is one more than the stored one.
        """

    @abstractmethod
    def delete(self, key: Mapping[str, str], *, expected_version: int | None = None) -> None:
        """Delete the item (nothing if absent, unless ``expected_version`` is given)."""

    @abstractmethod
    def query(
        self,
        pk_value: str,
        *,
        index: str | None = None,
        sort: SortCondition | None = None,
        limit: int | None = None,
        descending: bool = False,
        cursor: str | None = None,
    ) -> Page:
        """Items whose partition key (of the table or ``index``) is ``pk_value``, in sort-key order."""

    @abstractmethod
    def put_many(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Unconditionally store many items in batches (the calendar monitor writes this way)."""

    def query_all(self, pk_value: str, **kwargs: Any) -> list[Item]:
        """Every item of a query, following cursors."""
        items: list[Item] = []
        cursor = None
        while True:
            page = self.query(pk_value, cursor=cursor, **kwargs)
            items.extend(page.items)
            cursor = page.cursor
            if not cursor:
                return items

    def add(
        self, key: Mapping[str, str], amounts: Mapping[str, int], *, defaults: Mapping[str, Any] | None = None
    ) -> Item:
        """Add ``amounts`` to the item's number attributes, creating the item (with ``defaults`` and the
        key) when it does not exist; returns the updated item. Concurrent adds are never lost.

        One conditional write per call where the store can do it atomically (DynamoDB's ``ADD``); this
        default reads and writes with optimistic concurrency.
        """
        for _ in range(50):
            current = self.get(key)
            if current is None:
                try:
                    return self.create({**(defaults or {}), **key, **amounts})
                except ConflictError:
                    continue
            updated = {**current, **{attr: int(current.get(attr) or 0) + amount for attr, amount in amounts.items()}}
            try:
                return self.put(updated, expected_version=current[VERSION])
            except ConflictError:
                continue
        raise ConflictError(f"{self.spec.name}: {dict(key)} kept changing; gave up adding {dict(amounts)}")

    def mutate(self, key: Mapping[str, str], change: Callable[[Item], Item | None], retries: int = 5) -> Item:
        """Read-modify-write with optimistic concurrency: ``change`` gets the current item (a copy) and
        returns the new one (or ``None`` to leave it). Retries on conflict, so no update is lost."""
        for _ in range(retries):
            current = self.get(key)
            if current is None:
                raise NotFoundError(f"{self.spec.name}: no item with key {dict(key)}")
            updated = change(dict(current))
            if updated is None:
                return current
            try:
                return self.put(updated, expected_version=current[VERSION])
            except ConflictError:
                continue
        raise ConflictError(f"{self.spec.name}: {dict(key)} kept changing; gave up after {retries} attempts")


_BLOB_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@=+-]*(/[A-Za-z0-9][A-Za-z0-9._@=+-]*)*$")


def check_blob_key(key: str) -> str:
    """Blob keys are relative paths of safe segments: no ``..``, no leading ``/``, no backslashes."""
    if not _BLOB_KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"invalid blob key {key!r}: use segments of letters, digits and ._@=+- joined by '/'")
    return key


class BlobStore(ABC):
    """A bucket of blobs (S3 in AWS; files under ``CREWBOT_HOME/blobs/<bucket>`` locally)."""

    name: str

    @abstractmethod
    def put(
        self,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Store ``data`` under ``key`` (replacing any blob there)."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The blob's bytes; :class:`NotFoundError` if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete the blob (nothing if absent)."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Keys starting with ``prefix``, sorted."""

    @abstractmethod
    def url(self, key: str, expires_in: int = 86400) -> str:
        """A link to the blob: an S3 presigned URL in AWS, a ``file://`` URL locally."""


class Store(ABC):
    """All tables and blob buckets of one runtime (SQLite + files locally; DynamoDB + S3 in AWS)."""

    @abstractmethod
    def table(self, spec: TableSpec | str) -> Table:
        """The table for ``spec`` (or a declared table's logical name)."""

    @abstractmethod
    def blobs(self, bucket: str) -> BlobStore:
        """The blob store for logical bucket ``bucket`` (one of :data:`bot.storage.tables.BUCKETS`)."""

    def close(self) -> None:  # noqa: B027 - optional for adapters without resources
        """Release connections."""
