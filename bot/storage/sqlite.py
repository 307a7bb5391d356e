"""The local table adapter: every table in one SQLite file (``<CREWBOT_HOME>/crewbot.db``).

Each :class:`~bot.storage.base.TableSpec` becomes one SQL table, created on first use, with generic
columns: the primary key (``pk``, ``sk``), two columns per secondary index (``ix:<name>:pk`` /
``ix:<name>:sk``, NULL when the item is not in that index, like a sparse GSI), ``version``,
``expires`` (the TTL) and the item itself as JSON. Conditional writes check and write inside one
``BEGIN IMMEDIATE`` transaction, so they are atomic across threads and across processes sharing the
file (WAL mode lets readers carry on meanwhile).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.storage.base import (
    VERSION,
    BlobStore,
    ConflictError,
    Item,
    Page,
    SortCondition,
    Store,
    Table,
    TableSpec,
)
from bot.storage.blobs import LocalBlobStore, check_bucket
from bot.storage.items import (
    check_query,
    check_spec,
    check_version,
    decode_cursor,
    encode_cursor,
    normalize_numbers,
    prepare_item,
    resolve_spec,
)

Now = Callable[[], float]
#: Expired rows are deleted after this many writes to a table with a TTL (they are invisible anyway).
PURGE_EVERY = 500


def _q(name: str) -> str:
    """A quoted SQL identifier (names are checked by ``check_spec``; quotes are doubled regardless)."""
    return '"' + name.replace('"', '""') + '"'


def _ix(index: str, part: str) -> str:
    return _q(f"ix:{index}:{part}")


class _Db:
    """One SQLite connection shared by all tables, serialised by a lock (sqlite3 objects are not thread-safe)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) so a conditional check and its
        # write hold the database's write lock together; timeout waits for other processes' writes.
        self.conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS crewbot_tables (name TEXT PRIMARY KEY, spec TEXT NOT NULL)")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _spec_json(spec: TableSpec) -> dict[str, Any]:
    return {"pk": spec.pk, "sk": spec.sk, "ttl": spec.ttl, "indexes": {i.name: [i.pk, i.sk] for i in spec.indexes}}


class SqliteTable(Table):
    """One table stored in the shared SQLite file."""

    def __init__(self, db: _Db, spec: TableSpec, now: Now = time.time):
        self.spec = check_spec(spec)
        self._db = db
        self._now = now
        self._sql = _q(f"t_{spec.name}")
        self._writes = 0
        self._create()
        if spec.ttl is not None:
            self.purge_expired()

    # -- schema -------------------------------------------------------------------------------------

    def _create(self) -> None:
        spec = self.spec
        with self._db.transaction() as conn:
            row = conn.execute("SELECT spec FROM crewbot_tables WHERE name = ?", (spec.name,)).fetchone()
            known = json.loads(row[0]) if row else None
            if known is not None and (known["pk"], known["sk"]) != (spec.pk, spec.sk):
                raise ValueError(
                    f"table {spec.name!r} in {self._db.path} has key ({known['pk']}, {known['sk']}), not "
                    f"({spec.pk}, {spec.sk}): the primary key of a stored table cannot change"
                )
            ix_cols = "".join(f", {_ix(i.name, 'pk')} TEXT, {_ix(i.name, 'sk')} TEXT" for i in spec.indexes)
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self._sql} (pk TEXT NOT NULL, sk TEXT NOT NULL, "
                f"version INTEGER NOT NULL, expires REAL, data TEXT NOT NULL{ix_cols}, PRIMARY KEY (pk, sk))"
            )
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({self._sql})")}
            changed = []
            for index in spec.indexes:
                old = (known or {}).get("indexes", {}).get(index.name)
                if f"ix:{index.name}:pk" not in columns:
                    conn.execute(f"ALTER TABLE {self._sql} ADD COLUMN {_ix(index.name, 'pk')} TEXT")
                    conn.execute(f"ALTER TABLE {self._sql} ADD COLUMN {_ix(index.name, 'sk')} TEXT")
                if known is not None and old != [index.pk, index.sk]:
                    changed.append(index)
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {_q(f'x_{spec.name}_{index.name}')} ON {self._sql} "
                    f"({_ix(index.name, 'pk')}, {_ix(index.name, 'sk')}, pk, sk)"
                )
            if changed:
                # An index added to (or redefined in) an existing table: fill its columns from the items.
                for pk, sk, data in conn.execute(f"SELECT pk, sk, data FROM {self._sql}").fetchall():
                    item = json.loads(data)
                    for index in changed:
                        ipk, isk = self._index_values(item, index.pk, index.sk)
                        conn.execute(
                            f"UPDATE {self._sql} SET {_ix(index.name, 'pk')} = ?, {_ix(index.name, 'sk')} = ? "
                            "WHERE pk = ? AND sk = ?",
                            (ipk, isk, pk, sk),
                        )
            if known is not None and known.get("ttl") != spec.ttl:
                # The TTL attribute changed: recompute every row's expiry from its item.
                for pk, sk, data in conn.execute(f"SELECT pk, sk, data FROM {self._sql}").fetchall():
                    ttl = json.loads(data).get(spec.ttl) if spec.ttl else None
                    expires = ttl if isinstance(ttl, int | float) and not isinstance(ttl, bool) else None
                    conn.execute(f"UPDATE {self._sql} SET expires = ? WHERE pk = ? AND sk = ?", (expires, pk, sk))
            if known != _spec_json(spec):
                conn.execute(
                    "INSERT OR REPLACE INTO crewbot_tables (name, spec) VALUES (?, ?)",
                    (spec.name, json.dumps(_spec_json(spec))),
                )

    @staticmethod
    def _index_values(item: Mapping[str, Any], pk: str, sk: str | None) -> tuple[str | None, str | None]:
        """The index columns of ``item``: both NULL unless it has every key attribute of the index."""
        ipk = item.get(pk)
        isk = item.get(sk) if sk is not None else ""
        if not isinstance(ipk, str) or not isinstance(isk, str):
            return None, None
        return ipk, isk

    # -- rows ---------------------------------------------------------------------------------------

    def _key(self, key: Mapping[str, str]) -> tuple[str, str]:
        if not isinstance(key, Mapping):
            raise ValueError(f"{self.spec.name}: a key must be a mapping, got {type(key).__name__}")
        values = self.spec.key_of(key)
        return values[self.spec.pk], values.get(self.spec.sk, "") if self.spec.sk else ""

    def _live(self, conn: sqlite3.Connection, pk: str, sk: str) -> tuple[int, str] | None:
        """(version, data) of the stored, unexpired item with this key."""
        row = conn.execute(
            f"SELECT version, data FROM {self._sql} WHERE pk = ? AND sk = ? AND (expires IS NULL OR expires > ?)",
            (pk, sk, self._now()),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def purge_expired(self) -> int:
        """Delete expired rows (already invisible to reads), as DynamoDB's TTL sweep does; returns how many.

        Runs when the table is first used in a process and then every ``PURGE_EVERY`` writes, so
        idempotency claims and old sessions do not pile up in the file.
        """
        if self.spec.ttl is None:
            return 0
        with self._db.transaction() as conn:
            return conn.execute(f"DELETE FROM {self._sql} WHERE expires <= ?", (self._now(),)).rowcount

    def _write(self, conn: sqlite3.Connection, item: Item, version: int) -> Item:
        pk, sk = self._key(item)
        ix_names, ix_values = [], []
        for index in self.spec.indexes:
            ix_names += [_ix(index.name, "pk"), _ix(index.name, "sk")]
            ix_values += list(self._index_values(item, index.pk, index.sk))
        ttl = item.get(self.spec.ttl) if self.spec.ttl else None
        columns = ", ".join(["pk", "sk", "version", "expires", "data", *ix_names])
        marks = ", ".join("?" * (5 + len(ix_values)))
        conn.execute(
            f"INSERT OR REPLACE INTO {self._sql} ({columns}) VALUES ({marks})",
            (pk, sk, version, ttl, json.dumps(item, separators=(",", ":")), *ix_values),
        )
        self._writes += 1
        if ttl is not None and self._writes % PURGE_EVERY == 0:
            conn.execute(f"DELETE FROM {self._sql} WHERE expires <= ?", (self._now(),))
        return self._out(item, version)

    @staticmethod
    def _out(data: Item | str, version: int) -> Item:
        item = json.loads(data) if isinstance(data, str) else dict(data)
        item = normalize_numbers(item)
        item[VERSION] = version
        return item

    # -- the Table contract ---------------------------------------------------------------------------

    def get(self, key: Mapping[str, str]) -> Item | None:
        pk, sk = self._key(key)
        with self._db.lock:
            live = self._live(self._db.conn, pk, sk)
        return self._out(live[1], live[0]) if live else None

    def create(self, item: Mapping[str, Any]) -> Item:
        clean = prepare_item(self.spec, item)
        with self._db.transaction() as conn:
            if self._live(conn, *self._key(clean)) is not None:
                raise ConflictError(f"{self.spec.name}: an item with key {self.spec.key_of(clean)} exists already")
            return self._write(conn, clean, 1)

    def put(self, item: Mapping[str, Any], *, expected_version: int | None = None) -> Item:
        check_version(self.spec, expected_version)
        clean = prepare_item(self.spec, item)
        with self._db.transaction() as conn:
            live = self._live(conn, *self._key(clean))
            if expected_version is not None and (live is None or live[0] != expected_version):
                found = "no item" if live is None else f"version {live[0]}"
                raise ConflictError(
                    f"{self.spec.name}: {self.spec.key_of(clean)} expected version {expected_version}, found {found}"
                )
            return self._write(conn, clean, live[0] + 1 if live else 1)

    def delete(self, key: Mapping[str, str], *, expected_version: int | None = None) -> None:
        check_version(self.spec, expected_version)
        pk, sk = self._key(key)
        with self._db.transaction() as conn:
            if expected_version is not None:
                live = self._live(conn, pk, sk)
                if live is None or live[0] != expected_version:
                    found = "no item" if live is None else f"version {live[0]}"
                    raise ConflictError(
                        f"{self.spec.name}: delete of {dict(key)} expected version {expected_version}, found {found}"
                    )
            conn.execute(f"DELETE FROM {self._sql} WHERE pk = ? AND sk = ?", (pk, sk))

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> None:
        cleaned = [prepare_item(self.spec, item) for item in items]  # all valid, or nothing is written
        with self._db.transaction() as conn:
            for clean in cleaned:
                live = self._live(conn, *self._key(clean))
                self._write(conn, clean, live[0] + 1 if live else 1)

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
        check_query(self.spec, pk_value, index, sort, limit)
        if index is None:
            part, skey, order = "pk", "sk", ["sk"]
        else:
            part, skey, order = _ix(index, "pk"), _ix(index, "sk"), [_ix(index, "sk"), "pk", "sk"]
        where = [f"{part} = ?", "(expires IS NULL OR expires > ?)"]
        params: list[Any] = [pk_value, self._now()]
        if sort is not None:
            clause, values = _sort_clause(skey, sort)
            where.append(clause)
            params += values
        if cursor:
            after = decode_cursor(self.spec, cursor).get("after")
            if not isinstance(after, list) or len(after) != len(order):
                raise ValueError(f"{self.spec.name}: query cursor {cursor!r} does not belong to this query")
            where.append(f"({', '.join(order)}) {'<' if descending else '>'} ({', '.join('?' * len(order))})")
            params += after
        direction = " DESC" if descending else ""
        sql = (
            f"SELECT version, data, {', '.join(order)} FROM {self._sql} WHERE {' AND '.join(where)} "
            f"ORDER BY {', '.join(o + direction for o in order)}"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit) + 1}"  # one more than asked tells whether another page exists
        rows = self._db.read(sql, params)
        more = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
        items = [self._out(data, version) for version, data, *_ in rows]
        next_cursor = encode_cursor({"after": list(rows[-1][2:])}) if more and rows else None
        return Page(items, next_cursor)


def _sort_clause(column: str, sort: SortCondition) -> tuple[str, list[str]]:
    if sort.op == "begins_with":
        # substr counts characters, as len() does; BINARY collation compares UTF-8 bytes, as DynamoDB does.
        return f"substr({column}, 1, {len(sort.value)}) = ?", [sort.value]
    if sort.op == "between":
        return f"{column} BETWEEN ? AND ?", [sort.value, sort.upper or ""]
    ops = {"eq": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
    return f"{column} {ops[sort.op]} ?", [sort.value]


class SqliteStore(Store):
    """Tables in ``db_path`` and blobs under ``blob_root/<bucket>/`` (the ``runtime: local`` store).

    ``now`` gives the time TTLs are compared with (epoch seconds); locally that is the advanceable
    clock, so moving the emulator's clock forward expires records as real time would.
    """

    def __init__(self, db_path: Path, blob_root: Path, now: Now = time.time):
        self._db = _Db(Path(db_path))
        self._blob_root = Path(blob_root)
        self._now = now
        self._tables: dict[str, SqliteTable] = {}
        self._blobs: dict[str, LocalBlobStore] = {}
        self._lock = threading.Lock()

    @classmethod
    def in_home(cls, home: Path, now: Now = time.time) -> SqliteStore:
        """The store of a data directory: ``<home>/crewbot.db`` and ``<home>/blobs/``."""
        return cls(Path(home) / "crewbot.db", Path(home) / "blobs", now)

    def table(self, spec: TableSpec | str) -> SqliteTable:
        spec = resolve_spec(spec)
        with self._lock:
            table = self._tables.get(spec.name)
            if table is None or table.spec != spec:
                table = self._tables[spec.name] = SqliteTable(self._db, spec, self._now)
            return table

    def blobs(self, bucket: str) -> BlobStore:
        check_bucket(bucket)
        with self._lock:
            if bucket not in self._blobs:
                self._blobs[bucket] = LocalBlobStore(self._blob_root / bucket, bucket)
            return self._blobs[bucket]

    def close(self) -> None:
        self._db.close()


__all__ = ["SqliteStore", "SqliteTable"]
