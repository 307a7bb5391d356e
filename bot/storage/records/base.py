"""What every record and repository shares: UTC timestamps that sort as text, versions, save/update.

A :class:`Record` is a pydantic model stored as one table item. Its ``version`` is the store's
(0 = never saved): :meth:`Repository.save` creates a record of version 0 and otherwise writes only if
the stored version is still the one the record was read at, so a stale copy can never overwrite a
newer one (it raises :class:`~bot.storage.base.ConflictError`); :meth:`Repository.update` re-reads and
retries instead. Attributes a record does not declare are kept (``extra="allow"``), so an item
written by newer code survives a round-trip through older code.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

from bot.storage.base import VERSION, Item, SortCondition, Table, TableSpec

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_time(value: Any) -> datetime:
    """A timezone-aware datetime or ISO-8601 string → UTC, whole seconds; naive times are an error."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"invalid timestamp {value!r}: use ISO 8601 like 2026-03-01T09:00:00Z") from None
    if not isinstance(value, datetime):
        raise ValueError(f"invalid timestamp {value!r}: give a datetime or an ISO 8601 string")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp {value.isoformat()!r} has no time zone: give UTC (…Z) or an offset")
    return value.astimezone(UTC).replace(microsecond=0)


def format_time(value: datetime) -> str:
    """The stored form of a time: ``2026-03-01T09:00:00Z`` (fixed width, so text order is time order)."""
    return parse_time(value).strftime(TIME_FORMAT)


#: A UTC time stored as ``YYYY-MM-DDTHH:MM:SSZ`` (sub-second precision is dropped so every stored time
#: has the same width and sorts correctly as a string, which DynamoDB and SQLite key order rely on).
Timestamp = Annotated[datetime, BeforeValidator(parse_time), PlainSerializer(format_time, return_type=str)]


def new_id() -> str:
    """A random identifier (32 hex digits)."""
    return uuid.uuid4().hex


class Record(BaseModel):
    """A stored record. ``version`` is managed by the store: 0 until first saved."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    version: int = 0

    def with_changes(self, **changes: Any) -> Self:
        """A validated copy with ``changes`` applied (``model_copy(update=...)`` would skip validation)."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def to_item(self) -> Item:
        """The table item (JSON types; times as fixed-width UTC strings; no ``version``)."""
        return self.model_dump(mode="json", exclude={VERSION})


R = TypeVar("R", bound=Record)
Now = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RecordPage(Generic[R]):
    """One page of records; ``cursor`` continues the listing when more may exist."""

    items: list[R] = field(default_factory=list)
    cursor: str | None = None


class Repository(Generic[R]):
    """Typed access to one table: get, save (optimistic), update (read-modify-write with retries)."""

    model: ClassVar[type[Record]]
    spec: ClassVar[TableSpec]

    def __init__(self, table: Table, now: Now = system_now):
        if table.spec.name != self.spec.name:
            raise ValueError(f"{type(self).__name__} needs table {self.spec.name!r}, got {table.spec.name!r}")
        self.table = table
        self._now = now

    def now(self) -> datetime:
        """The current time as the repository stamps it (the runtime's clock)."""
        return parse_time(self._now())

    def load(self, item: Mapping[str, Any]) -> R:
        """A record from a stored item; a stored item that no longer validates is an error naming it."""
        try:
            return self.model.model_validate(dict(item))  # type: ignore[return-value]
        except ValidationError as exc:
            key = {attr: item.get(attr) for attr in (self.spec.pk, self.spec.sk) if attr}
            raise ValueError(
                f"{self.spec.name} {key}: the stored item is not a valid {self.model.__name__}: {exc}"
            ) from None

    def page(
        self,
        pk_value: str,
        *,
        index: str | None = None,
        sort: SortCondition | None = None,
        limit: int = 20,
        descending: bool = False,
        cursor: str | None = None,
    ) -> RecordPage[R]:
        """One page of records (for "show more" lists); pass ``cursor`` back to get the next page."""
        found = self.table.query(pk_value, index=index, sort=sort, limit=limit, descending=descending, cursor=cursor)
        return RecordPage([self.load(item) for item in found.items], found.cursor)

    def _get(self, key: Mapping[str, str]) -> R | None:
        item = self.table.get(key)
        return None if item is None else self.load(item)

    def _stamp(self, record: R) -> R:
        """Set ``created_at`` on first save and ``updated_at`` on every save (for records that have them)."""
        now = self.now()
        fields = type(record).model_fields
        updates: dict[str, Any] = {}
        if "created_at" in fields and getattr(record, "created_at", None) is None:
            updates["created_at"] = now
        if "updated_at" in fields:
            updates["updated_at"] = now
        return record.model_copy(update=updates) if updates else record

    def save(self, record: R) -> R:
        """Store ``record``: create it (version 0) or replace the stored version it was read at.

        Raises :class:`~bot.storage.base.ConflictError` when the key exists already (create) or the
        stored record changed since it was read; re-read, or use :meth:`update`, then.
        """
        stamped = self._stamp(record)
        item = stamped.to_item()
        if record.version == 0:
            stored = self.table.create(item)
        else:
            stored = self.table.put(item, expected_version=record.version)
        return self.load(stored)

    def _update(self, key: Mapping[str, str], change: Callable[[R], R | None], retries: int = 10) -> R:
        def apply(item: Item) -> Item | None:
            changed = change(self.load(item))
            return None if changed is None else self._stamp(changed).to_item()

        return self.load(self.table.mutate(key, apply, retries=retries))

    def _delete(self, key: Mapping[str, str], version: int | None) -> None:
        self.table.delete(key, expected_version=version)
