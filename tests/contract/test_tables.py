"""The Table contract (bot/storage/base.py), on both adapters."""

from __future__ import annotations

import threading

import pytest

from bot.storage.base import VERSION, ConflictError, IndexSpec, NotFoundError, SortCondition, TableSpec
from bot.storage.tables import AUDIT_LOG, CHAT_SESSIONS, IDEMPOTENCY, MEETINGS, all_tables
from plugins.projects.records import TASK_LEDGER

from .conftest import Harness


def strip(item: dict | None) -> dict | None:
    return None if item is None else {k: v for k, v in item.items() if k != VERSION}


# -- single items ------------------------------------------------------------------------------------


def test_create_get_put_delete(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    key = {"meeting_id": "m1"}
    assert table.get(key) is None
    created = table.create({"meeting_id": "m1", "user_id": "U1", "title": "Budget"})
    assert created == {"meeting_id": "m1", "user_id": "U1", "title": "Budget", VERSION: 1}
    assert table.get(key) == created
    updated = table.put({"meeting_id": "m1", "user_id": "U1", "title": "Budget review"})
    assert updated[VERSION] == 2
    assert table.get(key) == updated
    # put replaces the whole item: attributes left out are gone.
    assert table.put({"meeting_id": "m1"}) == {"meeting_id": "m1", VERSION: 3}
    table.delete(key)
    assert table.get(key) is None
    table.delete(key)  # deleting what is absent is not an error


def test_version_given_by_the_caller_is_ignored(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    assert table.create({"meeting_id": "m1", VERSION: 41})[VERSION] == 1
    assert table.put({"meeting_id": "m1", VERSION: 99})[VERSION] == 2


def test_create_of_an_existing_key_conflicts(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    table.create({"meeting_id": "m1", "title": "first"})
    with pytest.raises(ConflictError, match="exists"):
        table.create({"meeting_id": "m1", "title": "second"})
    assert table.get({"meeting_id": "m1"})["title"] == "first"


def test_expected_version(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    with pytest.raises(ConflictError):
        table.put({"meeting_id": "m1"}, expected_version=1)  # absent
    table.create({"meeting_id": "m1", "n": 0})
    assert table.put({"meeting_id": "m1", "n": 1}, expected_version=1)[VERSION] == 2
    with pytest.raises(ConflictError):
        table.put({"meeting_id": "m1", "n": 2}, expected_version=1)
    assert table.get({"meeting_id": "m1"}) == {"meeting_id": "m1", "n": 1, VERSION: 2}
    with pytest.raises(ConflictError):
        table.delete({"meeting_id": "m1"}, expected_version=1)
    assert table.get({"meeting_id": "m1"}) is not None
    table.delete({"meeting_id": "m1"}, expected_version=2)
    assert table.get({"meeting_id": "m1"}) is None
    with pytest.raises(ConflictError):
        table.delete({"meeting_id": "m1"}, expected_version=2)


def test_lost_update_prevented(harness: Harness) -> None:
    """Two writers read version 1; the first writes; the second's write is refused, not silently lost."""
    table = harness.store.table(MEETINGS)
    table.create({"meeting_id": "m1", "prep_status": "pending", "notes": []})
    alice = table.get({"meeting_id": "m1"})
    bob = table.get({"meeting_id": "m1"})
    assert alice is not None and bob is not None and alice[VERSION] == bob[VERSION] == 1
    table.put({**alice, "notes": ["alice's answer"]}, expected_version=alice[VERSION])
    with pytest.raises(ConflictError):
        table.put({**bob, "prep_status": "skipped"}, expected_version=bob[VERSION])
    stored = table.get({"meeting_id": "m1"})
    assert stored == {"meeting_id": "m1", "prep_status": "pending", "notes": ["alice's answer"], VERSION: 2}
    # Bob re-reads and applies his change on top: both updates survive.
    fresh = table.mutate({"meeting_id": "m1"}, lambda item: {**item, "prep_status": "skipped"})
    assert strip(fresh) == {"meeting_id": "m1", "prep_status": "skipped", "notes": ["alice's answer"]}


def test_mutate_from_many_threads_loses_no_increment(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    table.create({"meeting_id": "counter", "n": 0})
    threads, per_thread = 4, 10
    errors: list[BaseException] = []
    # Every thread's first change waits until all threads have read the counter, so they all hold the
    # same version and at least three of the first four writes must be refused and retried.
    all_read = threading.Barrier(threads)
    first = threading.local()

    def bump(item: dict) -> dict:
        if not getattr(first, "done", False):
            first.done = True
            all_read.wait(timeout=30)
        return {**item, "n": item["n"] + 1}

    def work() -> None:
        try:
            for _ in range(per_thread):
                table.mutate({"meeting_id": "counter"}, bump, retries=200)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    stored = table.get({"meeting_id": "counter"})
    assert stored is not None
    assert stored["n"] == threads * per_thread
    assert stored[VERSION] == threads * per_thread + 1


def test_mutate_of_a_missing_item_and_no_change(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    with pytest.raises(NotFoundError):
        table.mutate({"meeting_id": "nope"}, lambda item: item)
    table.create({"meeting_id": "m1"})
    assert table.mutate({"meeting_id": "m1"}, lambda item: None)[VERSION] == 1


def test_numbers_and_nested_data_round_trip(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    data = {
        "meeting_id": "m1",
        "score": 0.1,
        "ratio": -1234.5678,
        "count": 3,
        "big": 12345678901234567,
        "whole_float": 2.0,
        "flag": False,
        "nothing": None,
        "empty": "",
        "nested": {"a": [1, 2.5, {"b": None, "c": True, "d": []}], "e": {}, "unicode": "café ✓"},
    }
    table.create(data)
    stored = table.get({"meeting_id": "m1"})
    assert strip(stored) == data
    assert isinstance(stored["score"], float) and isinstance(stored["count"], int)
    assert isinstance(stored["whole_float"], int)  # integral numbers read back as int on both adapters
    assert isinstance(stored["big"], int)


# -- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item, message",
    [
        ({"title": "no key"}, "meeting_id"),
        ({"meeting_id": ""}, "meeting_id"),
        ({"meeting_id": 7}, "meeting_id"),
        ({"meeting_id": "m1", "user_id": 5}, "user_id"),  # an index key must be a string
        ({"meeting_id": "m1", "user_id": ""}, "user_id"),
        ({"meeting_id": "m1", "score": float("nan")}, "JSON"),
        ({"meeting_id": "m1", "blob": b"bytes"}, "JSON"),
        ({"meeting_id": "m1", "tags": {"a", "b"}}, "JSON"),
    ],
)
def test_bad_items_are_clear_value_errors(harness: Harness, item: dict, message: str) -> None:
    table = harness.store.table(MEETINGS)
    with pytest.raises(ValueError, match=message) as caught:
        table.put(item)
    assert "meetings" in str(caught.value)
    with pytest.raises(ValueError, match=message):
        table.create(item)


def test_bad_keys_and_queries_are_clear_value_errors(harness: Harness) -> None:
    table = harness.store.table(TASK_LEDGER)
    with pytest.raises(ValueError, match="entry_id"):
        table.get({"project_id": "p1"})
    with pytest.raises(ValueError, match="entry_id"):
        table.put({"project_id": "p1", "text": "no sort key"})
    with pytest.raises(ValueError, match="expires_at"):
        harness.store.table(IDEMPOTENCY).put({"key": "k", "expires_at": "tomorrow"})
    with pytest.raises(ValueError, match="no index 'nope'"):
        table.query("p1", index="nope")
    with pytest.raises(ValueError, match="limit"):
        table.query("p1", limit=0)
    with pytest.raises(ValueError, match="project_id"):
        table.query("")
    with pytest.raises(ValueError, match="cursor"):
        table.query("p1", cursor="not-a-cursor")
    with pytest.raises(ValueError, match="no sort key"):
        harness.store.table(MEETINGS).query("k", index="by_external", sort=SortCondition("eq", "x"))
    for bad_version in ("1", -1, True, 1.0):
        with pytest.raises(ValueError, match="expected_version"):
            table.put({"project_id": "p1", "entry_id": "e"}, expected_version=bad_version)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="expected_version"):
            table.delete({"project_id": "p1", "entry_id": "e"}, expected_version=bad_version)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reversed"):
        harness.store.table(MEETINGS).query("U1", index="by_user_start", sort=SortCondition.between("b", "a"))
    with pytest.raises(ValueError, match="unknown table"):
        harness.store.table("no_such_table")


# -- queries ------------------------------------------------------------------------------------------


def _seed_meetings(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    for day in range(1, 7):
        table.put(
            {
                "meeting_id": f"m{day}",
                "user_id": "U1",
                "start": f"2026-03-0{day}T09:00:00Z",
                "external_key": f"U1#google#ev{day}",
            }
        )
    table.put({"meeting_id": "other", "user_id": "U2", "start": "2026-03-03T09:00:00Z"})
    table.put({"meeting_id": "unsynced", "title": "no user, so in no index"})


@pytest.mark.parametrize(
    "sort, expected",
    [
        (None, ["m1", "m2", "m3", "m4", "m5", "m6"]),
        (SortCondition("eq", "2026-03-02T09:00:00Z"), ["m2"]),
        (SortCondition.begins_with("2026-03-0"), ["m1", "m2", "m3", "m4", "m5", "m6"]),
        (SortCondition.begins_with("2026-03-04"), ["m4"]),
        (SortCondition.between("2026-03-02", "2026-03-04T23:59:59Z"), ["m2", "m3", "m4"]),
        (SortCondition("lt", "2026-03-03T09:00:00Z"), ["m1", "m2"]),
        (SortCondition("lte", "2026-03-03T09:00:00Z"), ["m1", "m2", "m3"]),
        (SortCondition("gt", "2026-03-05T09:00:00Z"), ["m6"]),
        (SortCondition("gte", "2026-03-05T09:00:00Z"), ["m5", "m6"]),
    ],
)
def test_query_an_index_with_each_sort_condition(
    harness: Harness, sort: SortCondition | None, expected: list[str]
) -> None:
    _seed_meetings(harness)
    page = harness.store.table(MEETINGS).query("U1", index="by_user_start", sort=sort)
    assert [item["meeting_id"] for item in page.items] == expected
    assert page.cursor is None
    assert all(item[VERSION] == 1 for item in page.items)


def test_query_descending_and_an_index_without_sort_key(harness: Harness) -> None:
    _seed_meetings(harness)
    table = harness.store.table(MEETINGS)
    newest = table.query("U1", index="by_user_start", descending=True, limit=2)
    assert [item["meeting_id"] for item in newest.items] == ["m6", "m5"]
    found = table.query("U1#google#ev3", index="by_external")
    assert [item["meeting_id"] for item in found.items] == ["m3"]
    assert table.query("U3", index="by_user_start").items == []


@pytest.mark.parametrize("descending", [False, True])
def test_limit_and_cursor_page_through_everything_once(harness: Harness, descending: bool) -> None:
    _seed_meetings(harness)
    table = harness.store.table(MEETINGS)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = table.query("U1", index="by_user_start", limit=4, descending=descending, cursor=cursor)
        assert len(page.items) <= 4
        seen += [item["meeting_id"] for item in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    expected = ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert seen == (expected[::-1] if descending else expected)
    assert [i["meeting_id"] for i in table.query_all("U1", index="by_user_start", limit=2)] == expected


def test_query_the_table_by_partition_and_sort_prefix(harness: Harness) -> None:
    ledger = harness.store.table(TASK_LEDGER)
    for n, kind in enumerate(["fact", "decision", "fact", "blocker", "decision"]):
        ledger.put({"project_id": "p1", "entry_id": f"{kind}#2026-03-0{n + 1}T00:00:00Z#{n}", "text": f"{kind} {n}"})
    ledger.put({"project_id": "p2", "entry_id": "fact#2026-03-01T00:00:00Z#9", "text": "other project"})
    facts = ledger.query("p1", sort=SortCondition.begins_with("fact#"))
    assert [item["text"] for item in facts.items] == ["fact 0", "fact 2"]
    assert len(ledger.query_all("p1")) == 5
    latest_decision = ledger.query("p1", sort=SortCondition.begins_with("decision#"), descending=True, limit=1)
    assert [item["text"] for item in latest_decision.items] == ["decision 4"]
    assert ledger.get({"project_id": "p1", "entry_id": "fact#2026-03-01T00:00:00Z#0"})["text"] == "fact 0"


def test_index_key_set_to_none_leaves_the_item_out_of_the_index(harness: Harness) -> None:
    table = harness.store.table(AUDIT_LOG)
    first, second = "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"
    table.put({"scope": "project#p1", "entry_id": f"{first}#1", "actor": "U1", "at": first})
    table.put({"scope": "project#p1", "entry_id": f"{second}#2", "actor": None, "at": second})
    assert [i["entry_id"] for i in table.query("U1", index="by_actor").items] == ["2026-03-01T00:00:00Z#1"]
    assert len(table.query("project#p1").items) == 2
    assert "actor" not in table.get({"scope": "project#p1", "entry_id": "2026-03-02T00:00:00Z#2"})


# -- TTL ----------------------------------------------------------------------------------------------


def test_expired_items_are_absent(harness: Harness) -> None:
    claims = harness.store.table(IDEMPOTENCY)
    now = harness.now()
    claims.create({"key": "evt-1", "expires_at": int(now + 60)})
    claims.create({"key": "evt-forever"})
    assert claims.get({"key": "evt-1"}) is not None
    harness.now.advance(61)
    assert claims.get({"key": "evt-1"}) is None
    assert claims.get({"key": "evt-forever"}) is not None
    with pytest.raises(ConflictError):
        claims.put({"key": "evt-1", "expires_at": int(now + 999)}, expected_version=1)
    with pytest.raises(ConflictError):
        claims.delete({"key": "evt-1"}, expected_version=1)
    # An expired key may be claimed again, as a new item.
    again = claims.create({"key": "evt-1", "expires_at": int(harness.now() + 60)})
    assert again[VERSION] == 1


def test_expired_items_are_left_out_of_queries(harness: Harness) -> None:
    sessions = harness.store.table(CHAT_SESSIONS)
    now = harness.now()
    for n in range(5):
        sessions.put(
            {
                "session_id": f"s{n}",
                "user_id": "U1",
                "updated_at": f"2026-03-0{n + 1}T00:00:00Z",
                "expires_at": now + (30 if n % 2 else 3600),
            }
        )
    harness.now.advance(60)
    live = sessions.query_all("U1", index="by_user", limit=1)
    assert [item["session_id"] for item in live] == ["s0", "s2", "s4"]
    page = sessions.query("U1", index="by_user", descending=True, limit=2)
    assert [item["session_id"] for item in page.items] == ["s4", "s2"]


def test_claim_once_release_and_retry(harness: Harness) -> None:
    """What the Slack idempotency layer builds on: a conditional create with a TTL."""
    claims = harness.store.table(IDEMPOTENCY)
    claim = claims.create({"key": "slack#Ev1", "status": "in_progress", "expires_at": harness.now() + 300})
    with pytest.raises(ConflictError):  # the retried delivery finds the claim and is dropped
        claims.create({"key": "slack#Ev1", "status": "in_progress", "expires_at": harness.now() + 300})
    claims.delete({"key": "slack#Ev1"}, expected_version=claim[VERSION])  # the handler failed: release
    retried = claims.create({"key": "slack#Ev1", "status": "in_progress", "expires_at": harness.now() + 300})
    done = claims.put({**retried, "status": "done"}, expected_version=retried[VERSION])
    assert claims.get({"key": "slack#Ev1"}) == done


# -- batches and declarations ---------------------------------------------------------------------------


def test_put_many(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    table.create({"meeting_id": "m007", "user_id": "U1", "start": "old"})
    items = [
        {
            "meeting_id": f"m{n:03d}",
            "user_id": "U1",
            "start": f"2026-04-01T{n // 60:02d}:{n % 60:02d}:00Z",
            "score": n / 4,
        }
        for n in range(60)
    ]
    table.put_many([*items, {"meeting_id": "m001", "user_id": "U1", "start": "2026-04-01T00:01:00Z", "score": -1}])
    stored = table.query_all("U1", index="by_user_start")
    assert len(stored) == 60
    by_id = {item["meeting_id"]: item for item in stored}
    assert by_id["m007"][VERSION] == 2 and by_id["m007"]["start"] == "2026-04-01T00:07:00Z"
    assert by_id["m002"] == {**items[2], VERSION: 1}
    assert by_id["m001"]["score"] == -1  # the last of repeated keys wins


def test_put_many_writes_nothing_when_an_item_is_bad(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    with pytest.raises(ValueError, match="meeting_id"):
        table.put_many([{"meeting_id": "ok"}, {"title": "no key"}])
    assert table.get({"meeting_id": "ok"}) is None


def test_a_new_table_spec_is_declared_and_usable(harness: Harness) -> None:
    spec = TableSpec(
        "contract_widgets",
        pk="widget_id",
        sk="part",
        indexes=(IndexSpec("by_colour", pk="colour", sk="part"),),
        ttl="expires_at",
    )
    table = harness.table(spec)
    table.put({"widget_id": "w1", "part": "a", "colour": "red"})
    table.put({"widget_id": "w1", "part": "b", "colour": "red", "expires_at": harness.now() - 1})
    assert all_tables()["contract_widgets"] == spec
    assert harness.store.table("contract_widgets").get({"widget_id": "w1", "part": "a"})["colour"] == "red"
    assert [i["part"] for i in table.query("red", index="by_colour").items] == ["a"]
    with pytest.raises(ValueError, match="declared twice"):
        harness.store.table(TableSpec("contract_widgets", pk="other"))


def test_dynamodb_size_limits_hold_on_both_adapters(harness: Harness) -> None:
    table = harness.store.table(TASK_LEDGER)
    with pytest.raises(ValueError, match="larger than 400 KB"):
        table.put({"project_id": "p1", "entry_id": "fact#1", "text": "x" * (401 * 1024)})
    with pytest.raises(ValueError, match="longer than 1024 bytes"):
        table.put({"project_id": "p1", "entry_id": "é" * 513})
    assert table.get({"project_id": "p1", "entry_id": "fact#1"}) is None
    table.put({"project_id": "p1", "entry_id": "fact#2", "text": "x" * (300 * 1024)})
    assert len(table.get({"project_id": "p1", "entry_id": "fact#2"})["text"]) == 300 * 1024


def test_add_creates_then_counts_and_loses_nothing_under_threads(harness: Harness) -> None:
    table = harness.store.table(MEETINGS)
    first = table.add({"meeting_id": "totals"}, {"tokens": 5, "turns": 1}, defaults={"user_id": "U1"})
    assert strip(first) == {"meeting_id": "totals", "tokens": 5, "turns": 1, "user_id": "U1"}
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                table.add({"meeting_id": "totals"}, {"tokens": 2, "turns": 1}, defaults={"user_id": "U2"})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    stored = table.get({"meeting_id": "totals"})
    assert stored is not None
    assert (stored["tokens"], stored["turns"], stored["user_id"]) == (85, 41, "U1")  # defaults only on create
    assert stored[VERSION] == 41
