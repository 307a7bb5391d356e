"""Helpers both table adapters share, so they accept, reject and return exactly the same items.

* :func:`prepare_item` validates an item before a write (keys, index keys, TTL, JSON-able values) and
  returns a plain copy; index-key and TTL attributes set to ``None`` are dropped (an item without
  them is simply not in that index / never expires, as in a sparse DynamoDB index).
* :func:`normalize_numbers` gives numbers one shape on read: ``int`` when integral, ``float`` otherwise
  (DynamoDB returns every number as a ``Decimal``; JSON keeps ``1.0`` a float).
* :func:`encode_cursor` / :func:`decode_cursor` make opaque, URL-safe paging cursors.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.storage.base import VERSION, Item, SortCondition, TableSpec
from bot.storage.tables import all_tables, register_table

_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_INDEX_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
#: The largest item either adapter stores (DynamoDB's limit is 400 KB, counted a little differently).
MAX_ITEM_BYTES = 400 * 1024
SORT_OPS = ("eq", "begins_with", "between", "lt", "lte", "gt", "gte")


def check_spec(spec: TableSpec) -> TableSpec:
    """Reject specs neither adapter can hold (odd names, an index that reuses a name, a key named ``version``)."""
    if not _TABLE_NAME.match(spec.name):
        raise ValueError(f"table name {spec.name!r} must be lower-case letters, digits, '_' or '-'")
    names: set[str] = set()
    for index in spec.indexes:
        if not _INDEX_NAME.match(index.name):
            raise ValueError(f"{spec.name}: index name {index.name!r} must be 3-255 of letters, digits, '_.-'")
        if index.name in names:
            raise ValueError(f"{spec.name}: index {index.name!r} is declared twice")
        names.add(index.name)
    key_attrs = {spec.pk, spec.sk, spec.ttl} | {a for i in spec.indexes for a in (i.pk, i.sk)}
    if VERSION in key_attrs:
        raise ValueError(f"{spec.name}: {VERSION!r} is managed by the store and cannot be a key or TTL attribute")
    return spec


def resolve_spec(spec: TableSpec | str) -> TableSpec:
    """A declared table's spec by logical name, or ``spec`` itself after checking and registering it."""
    if isinstance(spec, TableSpec):
        return register_table(check_spec(spec))
    declared = all_tables()
    if spec not in declared:
        raise ValueError(f"unknown table {spec!r}; declared tables: {', '.join(sorted(declared))}")
    return declared[spec]


def index_attributes(spec: TableSpec) -> list[str]:
    """Attributes used as keys by the table's indexes (but not by the table itself)."""
    own = {spec.pk, spec.sk}
    out: list[str] = []
    for index in spec.indexes:
        for attr in (index.pk, index.sk):
            if attr is not None and attr not in own and attr not in out:
                out.append(attr)
    return out


def prepare_item(spec: TableSpec, item: Mapping[str, Any]) -> Item:
    """A validated, JSON-clean copy of ``item`` for a write; ``ValueError`` naming table, key and attribute."""
    if not isinstance(item, Mapping):
        raise ValueError(f"{spec.name}: an item must be a mapping, got {type(item).__name__}")
    key = spec.key_of(item)
    out: Item = {}
    for attr, value in item.items():
        if not isinstance(attr, str) or not attr:
            raise ValueError(f"{spec.name} {key}: attribute names must be non-empty strings, got {attr!r}")
        out[attr] = value
    for attr in index_attributes(spec):
        if attr in out and out[attr] is None:
            del out[attr]
        elif attr in out and (not isinstance(out[attr], str) or not out[attr]):
            raise ValueError(
                f"{spec.name} {key}: index key attribute {attr!r} must be a non-empty string, got {out[attr]!r}"
            )
    if spec.ttl is not None and spec.ttl in out:
        ttl = out[spec.ttl]
        if ttl is None:
            del out[spec.ttl]
        elif isinstance(ttl, bool) or not isinstance(ttl, int | float) or not math.isfinite(ttl):
            raise ValueError(f"{spec.name} {key}: TTL attribute {spec.ttl!r} must be epoch seconds, got {ttl!r}")
    out.pop(VERSION, None)
    for attr, limit in _key_limits(spec):
        value = out.get(attr)
        if isinstance(value, str) and len(value.encode()) > limit:
            raise ValueError(f"{spec.name} {key}: key attribute {attr!r} is longer than {limit} bytes")
    try:
        # Round-trip through JSON: the one value model both adapters share (no sets, bytes or NaN).
        text = json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{spec.name} {key}: item is not storable as JSON data: {exc}") from None
    if len(text.encode()) > MAX_ITEM_BYTES:
        # DynamoDB refuses items over 400 KB; refusing them locally too keeps the runtimes alike.
        raise ValueError(
            f"{spec.name} {key}: item is larger than {MAX_ITEM_BYTES // 1024} KB; "
            "keep large content in a blob store and its key in the item"
        )
    return json.loads(text)


def _key_limits(spec: TableSpec) -> list[tuple[str, int]]:
    """DynamoDB's size limits on key attributes: 2048 bytes for partition keys, 1024 for sort keys."""
    limits = [(spec.pk, 2048)] + ([(spec.sk, 1024)] if spec.sk else [])
    for index in spec.indexes:
        limits.append((index.pk, 2048))
        if index.sk:
            limits.append((index.sk, 1024))
    return limits


def check_version(spec: TableSpec, expected_version: int | None) -> int | None:
    """``expected_version`` must be a whole number ≥ 0 (or ``None``); a clear error otherwise."""
    if expected_version is not None and (
        isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0
    ):
        raise ValueError(f"{spec.name}: expected_version must be a whole number >= 0, got {expected_version!r}")
    return expected_version


def is_expired(spec: TableSpec, item: Mapping[str, Any], now: float) -> bool:
    """Whether the item's TTL has passed (DynamoDB deletes lazily, so both adapters check on read)."""
    if spec.ttl is None:
        return False
    ttl = item.get(spec.ttl)
    if isinstance(ttl, bool) or not isinstance(ttl, int | float | Decimal):
        return False
    return float(ttl) <= now


def normalize_numbers(value: Any) -> Any:
    """Numbers as ``int`` when integral and ``float`` otherwise, recursively (``Decimal`` included)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: normalize_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_numbers(v) for v in value]
    return value


def check_query(
    spec: TableSpec, pk_value: str, index: str | None, sort: SortCondition | None, limit: int | None
) -> tuple[str, str | None]:
    """Validate query arguments; returns the (partition, sort) attributes queried."""
    pk_attr, sk_attr = spec.index(index)
    if not isinstance(pk_value, str) or not pk_value:
        raise ValueError(f"{spec.name}: query needs a non-empty string value for {pk_attr!r}, got {pk_value!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"{spec.name}: query limit must be a positive integer, got {limit!r}")
    if sort is not None:
        where = f"index {index!r}" if index else "the table"
        if sk_attr is None:
            raise ValueError(f"{spec.name}: {where} has no sort key, so a sort condition cannot apply")
        if sort.op not in SORT_OPS:
            raise ValueError(f"{spec.name}: unknown sort condition {sort.op!r} (use one of {', '.join(SORT_OPS)})")
        if not isinstance(sort.value, str) or (sort.op == "between" and not isinstance(sort.upper, str)):
            raise ValueError(f"{spec.name}: sort condition {sort.op!r} needs string values, got {sort!r}")
        if sort.op == "between" and sort.value > (sort.upper or ""):
            # DynamoDB rejects an empty range rather than returning nothing; so do both adapters.
            raise ValueError(f"{spec.name}: between({sort.value!r}, {sort.upper!r}) has its bounds reversed")
    return pk_attr, sk_attr


def encode_cursor(data: Mapping[str, Any]) -> str:
    """An opaque, URL-safe cursor holding ``data``."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(spec: TableSpec, cursor: str) -> dict[str, Any]:
    """The data of a cursor made by :func:`encode_cursor`; ``ValueError`` if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        data = None
    if not isinstance(data, dict):
        raise ValueError(f"{spec.name}: invalid query cursor {cursor!r}") from None
    return data
