"""Storage benchmark: prints operations per second for each adapter (not a test; nothing is asserted).

    .venv/bin/python -m tests.storage.bench_storage [N]

SQLite runs on a temporary file; DynamoDB + S3 run under moto, so their figures measure this code
plus moto in-process, not AWS latency (a real DynamoDB call takes milliseconds over the network).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bot.storage.base import SortCondition, Store
from bot.storage.tables import MEETINGS


def _rate(label: str, count: int, run: Callable[[], None]) -> None:
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    print(f"  {label:<42} {count:>6} ops  {elapsed * 1000:8.1f} ms  {count / elapsed:10.0f} ops/s")


def bench(name: str, store: Store, n: int) -> None:
    print(f"{name}:")
    table = store.table(MEETINGS)
    items = [
        {
            "meeting_id": f"m{i:06d}",
            "user_id": f"U{i % 10}",
            "start": f"2026-04-{1 + i % 28:02d}T09:00:00Z",
            "external_key": f"U{i % 10}#google#{i}",
            "title": f"Meeting {i}",
            "score": i / 3,
        }
        for i in range(n)
    ]
    _rate("put (unconditional)", n, lambda: [table.put(item) for item in items])
    _rate("get", n, lambda: [table.get({"meeting_id": item["meeting_id"]}) for item in items])
    stored = {item["meeting_id"]: item for item in table.query_all("U0", index="by_user_start")}
    versioned = [(item, stored[item["meeting_id"]]["version"]) for item in items if item["meeting_id"] in stored]
    _rate(
        "put (expected_version)",
        len(versioned),
        lambda: [table.put(item, expected_version=version) for item, version in versioned],
    )
    _rate("put_many", n, lambda: table.put_many(items))
    _rate(
        "query by_user_start, one week, 10 users",
        10,
        lambda: [
            table.query_all(f"U{u}", index="by_user_start", sort=SortCondition.between("2026-04-01", "2026-04-08"))
            for u in range(10)
        ],
    )
    _rate(
        "query by_external",
        n // 10,
        lambda: [table.query(f"U{i % 10}#google#{i}", index="by_external") for i in range(0, n, 10)],
    )
    table.put({"meeting_id": "counter", "n": 0})
    threads, per_thread = 4, max(1, n // 20)

    def bump() -> None:
        for _ in range(per_thread):
            table.mutate({"meeting_id": "counter"}, lambda item: {**item, "n": item["n"] + 1}, retries=1000)

    def contended() -> None:
        workers = [threading.Thread(target=bump) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    _rate(f"mutate, {threads} threads on one item", threads * per_thread, contended)
    counter = table.get({"meeting_id": "counter"})
    print(f"  counter = {counter['n'] if counter else None} (expected {threads * per_thread})")
    blobs = store.blobs("materials")
    data = os.urandom(16 * 1024)
    _rate("blob put 16 KB", n // 10, lambda: [blobs.put(f"bench/{i}.bin", data) for i in range(n // 10)])
    _rate("blob get 16 KB", n // 10, lambda: [blobs.get(f"bench/{i}.bin") for i in range(n // 10)])
    store.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    from bot.storage.sqlite import SqliteStore

    with tempfile.TemporaryDirectory() as home:
        bench("sqlite", SqliteStore.in_home(Path(home)), n)

    import boto3
    from moto import mock_aws

    from bot.config.naming import ResourceNamer
    from bot.storage.dynamodb import DynamoStore, create_buckets, create_tables

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(var, "testing")
    with mock_aws():
        namer = ResourceNamer("crewbot", "bench")
        create_tables(boto3.client("dynamodb", region_name="us-east-1"), namer, [MEETINGS])
        create_buckets(boto3.client("s3", region_name="us-east-1"), namer, "us-east-1", ["materials"])
        bench("dynamodb + s3 (moto, in-process)", DynamoStore(namer, region="us-east-1"), n)


if __name__ == "__main__":
    main()
