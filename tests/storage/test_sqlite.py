"""What only the SQLite adapter has: a file that persists, schema evolution, several processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.storage import tables
from bot.storage.base import IndexSpec, TableSpec
from bot.storage.sqlite import SqliteStore
from bot.storage.tables import MEETINGS


@pytest.fixture(autouse=True)
def _isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "_TABLES", dict(tables._TABLES))


def test_items_and_blobs_survive_a_restart(tmp_path: Path) -> None:
    store = SqliteStore.in_home(tmp_path)
    store.table(MEETINGS).put({"meeting_id": "m1", "title": "Budget"})
    store.blobs("materials").put("U1/m1.md", b"brief")
    store.close()
    again = SqliteStore.in_home(tmp_path)
    assert again.table("meetings").get({"meeting_id": "m1"})["title"] == "Budget"
    assert again.blobs("materials").get("U1/m1.md") == b"brief"
    assert (tmp_path / "crewbot.db").is_file() and (tmp_path / "blobs" / "materials" / "U1" / "m1.md").is_file()
    mode = sqlite3.connect(tmp_path / "crewbot.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()


def test_an_index_added_later_is_filled_from_stored_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1 = TableSpec("gadgets", pk="gadget_id")
    store = SqliteStore.in_home(tmp_path)
    store.table(v1).put_many([{"gadget_id": f"g{n}", "colour": "red" if n % 2 else "blue"} for n in range(6)])
    store.close()
    monkeypatch.setattr(tables, "_TABLES", {k: v for k, v in tables._TABLES.items() if k != "gadgets"})
    v2 = TableSpec("gadgets", pk="gadget_id", indexes=(IndexSpec("by_colour", pk="colour", sk="gadget_id"),))
    store = SqliteStore.in_home(tmp_path)
    reds = store.table(v2).query("red", index="by_colour")
    assert [item["gadget_id"] for item in reds.items] == ["g1", "g3", "g5"]
    store.close()


def test_a_ttl_added_later_applies_to_stored_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore.in_home(tmp_path)
    store.table(TableSpec("tokens", pk="token")).put_many([{"token": "old", "expires_at": 1}, {"token": "new"}])
    store.close()
    monkeypatch.setattr(tables, "_TABLES", {k: v for k, v in tables._TABLES.items() if k != "tokens"})
    store = SqliteStore.in_home(tmp_path)
    table = store.table(TableSpec("tokens", pk="token", ttl="expires_at"))
    assert table.get({"token": "old"}) is None and table.get({"token": "new"}) is not None
    store.close()


def test_a_changed_primary_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteStore.in_home(tmp_path)
    store.table(TableSpec("gizmos", pk="gizmo_id")).put({"gizmo_id": "a"})
    monkeypatch.setattr(tables, "_TABLES", {k: v for k, v in tables._TABLES.items() if k != "gizmos"})
    with pytest.raises(ValueError, match="primary key of a stored table cannot change"):
        store.table(TableSpec("gizmos", pk="gizmo_id", sk="part"))
    store.close()


_WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bot.storage.sqlite import SqliteStore
    from bot.storage.tables import MEETINGS

    store = SqliteStore.in_home(Path(sys.argv[1]))
    table = store.table(MEETINGS)
    for _ in range(int(sys.argv[2])):
        table.mutate({"meeting_id": "counter"}, lambda item: {**item, "n": item["n"] + 1}, retries=1000)
    store.close()
""")


def test_processes_sharing_the_file_lose_no_update(tmp_path: Path) -> None:
    """Two processes (say ``crewbot dev`` and a CLI command) increment one counter; every increment lands."""
    store = SqliteStore.in_home(tmp_path)
    store.table(MEETINGS).create({"meeting_id": "counter", "n": 0})
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path), "25"]) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    stored = store.table(MEETINGS).get({"meeting_id": "counter"})
    assert stored is not None and stored["n"] == 50 and stored["version"] == 51
    store.close()


def test_stored_rows_hold_the_item_as_json(tmp_path: Path) -> None:
    store = SqliteStore.in_home(tmp_path)
    store.table(MEETINGS).put({"meeting_id": "m1", "user_id": "U1", "start": "2026-03-01T09:00:00Z", "x": 1.5})
    row = (
        sqlite3.connect(tmp_path / "crewbot.db")
        .execute(
            'SELECT pk, version, "ix:by_user_start:pk", "ix:by_user_start:sk", "ix:by_external:pk", data '
            'FROM "t_meetings"'
        )
        .fetchone()
    )
    assert row[:5] == ("m1", 1, "U1", "2026-03-01T09:00:00Z", None)
    assert json.loads(row[5])["x"] == 1.5
    store.close()


def test_expired_rows_are_purged_from_the_file(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SqliteStore.in_home(tmp_path, now=lambda: now[0])
    claims = store.table("idempotency")
    claims.put_many([{"key": f"k{n}", "expires_at": now[0] + (10 if n % 2 else 1000)} for n in range(10)])
    now[0] += 60
    assert claims.purge_expired() == 5
    count = sqlite3.connect(tmp_path / "crewbot.db").execute('SELECT count(*) FROM "t_idempotency"').fetchone()[0]
    assert count == 5
    assert claims.get({"key": "k0"}) is not None and claims.get({"key": "k1"}) is None
    store.close()
