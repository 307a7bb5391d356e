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
    """The store of the configured runtime: SQLite + files in ``runtime: local``, DynamoDB + S3 in AWS."""
    raise NotImplementedError("storage adapters are being built (issue 2, item 5)")


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
