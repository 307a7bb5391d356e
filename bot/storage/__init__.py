"""Storage: tables and blob stores behind one interface, with a local and an AWS adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.base import (
    BlobStore,
    ConflictError,
    IndexSpec,
    Item,
    NotFoundError,
    Page,
    SortCondition,
    StorageError,
    Store,
    Table,
    TableSpec,
)

if TYPE_CHECKING:
    from bot.runtime import Crewbot


def open_store(crewbot: Crewbot) -> Store:
    """The store of the configured runtime: SQLite + files in ``runtime: local``, DynamoDB + S3 in AWS.

    TTLs are compared with ``crewbot.clock``, so advancing the local clock expires records.
    """
    clock = crewbot.clock

    def now() -> float:
        return clock.now().timestamp()

    if crewbot.config.runtime == "aws":
        from bot.storage.dynamodb import DynamoStore

        return DynamoStore(crewbot.namer, region=crewbot.config.aws.region, now=now)
    from bot.storage.sqlite import SqliteStore

    return SqliteStore.in_home(crewbot.home, now=now)


__all__ = [
    "BlobStore",
    "ConflictError",
    "IndexSpec",
    "Item",
    "NotFoundError",
    "Page",
    "SortCondition",
    "StorageError",
    "Store",
    "Table",
    "TableSpec",
    "open_store",
]
