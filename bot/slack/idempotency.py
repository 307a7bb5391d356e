"""Handle each Slack delivery once: Powertools Idempotency over Crewbot's store.

Slack redelivers an event when it did not get a 200 within 3 seconds (``x-slack-retry-num``), and
people double-click buttons. Each delivery has a key (the ``event_id``; for a button press the user,
message and button); the first delivery claims the key with an ``INPROGRESS`` record in the
``idempotency`` table, runs, and marks it ``COMPLETED``; duplicates find the record and are skipped. A
delivery whose work raised deletes its record, so a retry after a real failure is processed.

The persistence layer is written against :class:`bot.storage.base.Table`, so the same code path runs
on SQLite locally and DynamoDB in AWS. Powertools is imported on first use (it pulls in boto3), never
on the acknowledgement path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.storage.base import VERSION, ConflictError, Table

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

logger = logging.getLogger(__name__)

#: How long an ``INPROGRESS`` claim blocks duplicates before a crashed attempt may be retried
#: (Lambda's maximum run time: a claim older than that belongs to an invocation that died).
IN_PROGRESS_SECONDS = 900

KEY_PREFIX = "slack"


def make_persistence_layer(table: Table) -> BasePersistenceLayer:
    """A Powertools ``BasePersistenceLayer`` storing its records in ``table`` (the IDEMPOTENCY spec)."""
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyItemAlreadyExistsError,
        IdempotencyItemNotFoundError,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS, DataRecord

    key_attr = table.spec.pk
    ttl_attr = table.spec.ttl or "expires_at"

    class TablePersistenceLayer(BasePersistenceLayer):
        """Idempotency records in a Crewbot :class:`Table`; the table's TTL expires them."""

        def _key(self, idempotency_key: str) -> dict[str, str]:
            return {key_attr: idempotency_key}

        def _to_item(self, record: DataRecord) -> dict[str, Any]:
            item: dict[str, Any] = {
                key_attr: record.idempotency_key,
                ttl_attr: record.expiry_timestamp,
                "status": record.status,
                "data": record.response_data or "",
                "payload_hash": record.payload_hash or "",
            }
            if record.in_progress_expiry_timestamp is not None:
                item["in_progress_expiry"] = record.in_progress_expiry_timestamp
            return item

        @staticmethod
        def _to_record(item: dict[str, Any]) -> DataRecord:
            return DataRecord(
                idempotency_key=item[key_attr],
                status=item.get("status", ""),
                expiry_timestamp=_int_or_none(item.get(ttl_attr)),
                in_progress_expiry_timestamp=_int_or_none(item.get("in_progress_expiry")),
                response_data=item.get("data") or "",
                payload_hash=item.get("payload_hash") or "",
            )

        def _get_record(self, idempotency_key: str) -> DataRecord:
            item = table.get(self._key(idempotency_key))
            if item is None:
                raise IdempotencyItemNotFoundError
            return self._to_record(item)

        def _put_record(self, data_record: DataRecord) -> None:
            item = self._to_item(data_record)
            try:
                table.create(item)
                return
            except ConflictError:
                existing = table.get(self._key(data_record.idempotency_key))
            if existing is None:  # expired or released between the two calls: claim it now
                try:
                    table.create(item)
                    return
                except ConflictError:
                    raise IdempotencyItemAlreadyExistsError from None
            old = self._to_record(existing)
            stale_claim = (
                old.status == STATUS_CONSTANTS["INPROGRESS"]
                and old.in_progress_expiry_timestamp is not None
                and old.in_progress_expiry_timestamp < int(time.time() * 1000)
            )
            if stale_claim:
                # The attempt holding the claim died without releasing it: take over (conditional on
                # the version we saw, so two takers cannot both win).
                try:
                    table.put(item, expected_version=existing[VERSION])
                    return
                except ConflictError:
                    pass
            raise IdempotencyItemAlreadyExistsError(old_data_record=old)

        def _update_record(self, data_record: DataRecord) -> None:
            table.put(self._to_item(data_record))

        def _delete_record(self, data_record: DataRecord) -> None:
            table.delete(self._key(data_record.idempotency_key))

    return TablePersistenceLayer()


def _int_or_none(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


class _Deadline:
    """What Powertools reads the in-progress expiry from: the remaining time of the Lambda invocation
    running on this thread, else a fixed window (Socket Mode, tests)."""

    def __init__(self, seconds: int):
        self._millis = seconds * 1000

    def get_remaining_time_in_millis(self) -> int:
        from bot.entrypoints.slack import current_invocation

        context = current_invocation.get()
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            return int(context.get_remaining_time_in_millis())
        return self._millis


class Deduplicator:
    """Runs work once per delivery key, using Powertools Idempotency over a store table."""

    def __init__(self, table: Table, in_progress_seconds: int = IN_PROGRESS_SECONDS):
        self.table = table
        self.in_progress_seconds = in_progress_seconds
        self._functions: dict[int, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def _function(self, window: int) -> Callable[..., Any]:
        # Powertools fixes a persistence layer's expiry on first use, so one layer per window.
        with self._lock:
            fn = self._functions.get(window)
            if fn is None:
                from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

                config = IdempotencyConfig(
                    event_key_jmespath="key", expires_after_seconds=window, raise_on_no_idempotency_key=True
                )
                config.register_lambda_context(_Deadline(self.in_progress_seconds))  # type: ignore[arg-type]

                def run_delivery(delivery: dict[str, str], work: Callable[[], None]) -> dict[str, bool]:
                    work()
                    return {"handled": True}

                fn = idempotent_function(
                    run_delivery,
                    data_keyword_argument="delivery",
                    persistence_store=make_persistence_layer(self.table),
                    config=config,
                    key_prefix=f"{KEY_PREFIX}-{window}s",
                )
                self._functions[window] = fn
            return fn

    @staticmethod
    def record_key(key: str, window: int = 3600) -> str:
        """The stored record's key for delivery ``key`` (Powertools' ``<prefix>#<md5 of the key>``)."""
        import hashlib
        import json

        return f"{KEY_PREFIX}-{window}s#" + hashlib.md5(json.dumps(key).encode(), usedforsecurity=False).hexdigest()

    def run_once(self, key: str, work: Callable[[], None], window: int = 3600) -> bool:
        """Run ``work`` unless ``key`` was handled, or is being handled, within ``window`` seconds.

        Returns whether ``work`` ran. An exception from ``work`` propagates and releases the key.
        """
        from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

        ran: list[bool] = []

        def tracked() -> None:
            work()
            ran.append(True)

        try:
            self._function(window)(delivery={"key": key}, work=tracked)
        except IdempotencyAlreadyInProgressError:
            logger.info("duplicate delivery %s skipped: the first one is still being handled", key)
            return False
        if not ran:
            logger.info("duplicate delivery %s skipped: already handled", key)
        return bool(ran)
