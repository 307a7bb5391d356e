"""Benchmark of the calendar monitor at scale (prints figures; asserts nothing).

    .venv/bin/python benchmarks/calendar_monitor.py [--users 500,10000] [--sample 300]
                                                    [--provider-ms 150] [--store-ms 6]

For each population: that many users, a third each on an ICS feed (served by a local HTTP server this
benchmark starts: each user's own URL, 20 events), Google (recorded events.list responses from
tests/meeting_prep/fixtures/google, then the empty page a no-change sync token returns) and Microsoft
(recorded Graph delta pages from tests/meeting_prep/fixtures/graph, then an empty delta). It measures

* the schedule's work: enqueuing one calendar-sync message per active user, for all of them;
* a worker's per-user cost (what one queue message costs: provider → diff → store → prep prompts), on
  ``--sample`` users of the population (all of them when it is smaller), for the first sync and for a
  run where nothing changed — with the provider calls and store reads/writes per user;
* the projected wall time of a run on the AWS shape: the queue's ``sync_workers`` consumers (the
  default setting) each taking a user at a time, each user costing the measured CPU time plus
  ``--provider-ms`` per provider call and ``--store-ms`` per DynamoDB request (assumed latencies, not
  measured here: nothing reaches the internet).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "meeting_prep" / "fixtures"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # the recorded responses' week
CLIENT = json.dumps({"client_id": "bench", "client_secret": "bench"})


def _ics_body(user: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    for day in range(10):
        for hour in (9, 14):
            begin = (NOW + timedelta(days=day)).replace(hour=hour, minute=0)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{user}-{day}-{hour}@bench",
                "DTSTAMP:20260101T000000Z",
                f"DTSTART:{begin:%Y%m%dT%H%M%SZ}",
                f"DTEND:{begin + timedelta(minutes=45):%Y%m%dT%H%M%SZ}",
                f"SUMMARY:{'1:1 review' if hour == 9 else 'Leadership team sync'}",
                *(f"ATTENDEE;CN=P{i}:mailto:p{i}@example.com" for i in range(2 if hour == 9 else 11)),
                "END:VEVENT",
            ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


class _IcsHandler(BaseHTTPRequestHandler):
    served = Counter[str]()

    def do_GET(self) -> None:
        body = _ics_body(self.path.rsplit("/", 1)[-1].removesuffix(".ics"))
        _IcsHandler.served[self.path] += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Recorded:
    """Google and Graph answers: the recorded listing first, then the empty page of a no-change sync."""

    def __init__(self) -> None:
        self.google_pages = [json.loads((FIXTURES / "google" / f"full_page{n}.json").read_text()) for n in (1, 2)]
        self.graph_page = json.loads((FIXTURES / "graph" / "delta_page2.json").read_text())
        self.calls = Counter[str]()
        self.published = 0

    def publish(self, source: str, detail_type: str, detail: Any) -> None:
        self.published += 1

    def google_http(self, token: str) -> Any:
        import httplib2

        recorded = self

        class Http:
            def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
                recorded.calls["google"] += 1
                if "syncToken=" in uri:
                    page: dict[str, Any] = {"kind": "calendar#events", "items": [], "nextSyncToken": "sync-2"}
                elif "pageToken=" in uri:
                    page = recorded.google_pages[1]
                else:
                    page = recorded.google_pages[0]
                info = httplib2.Response({"status": "200", "content-type": "application/json"})
                return info, json.dumps(page).encode()

        return Http()

    def graph_get(self, session: Any, url: str, **kwargs: Any) -> Any:
        self.calls["microsoft"] += 1
        if "deltatoken" in url:
            page: dict[str, Any] = {"value": [], "@odata.deltaLink": url}
        else:
            page = self.graph_page
        return SimpleNamespace(status_code=200, headers={}, text="", json=lambda: page)


class _StoreOps:
    """Counts the store's reads and writes (each is one DynamoDB request in AWS; a batch of 25 is one)."""

    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0

    def install(self) -> None:
        from bot.storage.sqlite import SqliteTable

        ops = self

        def counted(name: str, kind: str) -> None:
            original = getattr(SqliteTable, name)

            def wrapper(table: Any, *args: Any, **kwargs: Any) -> Any:
                if name == "put_many":
                    items = list(args[0]) if args else list(kwargs.pop("items"))
                    ops.writes += math.ceil(len(items) / 25)
                    return original(table, items, **kwargs)
                setattr(ops, kind, getattr(ops, kind) + 1)
                return original(table, *args, **kwargs)

            setattr(SqliteTable, name, wrapper)

        for name in ("get", "query"):
            counted(name, "reads")
        for name in ("create", "put", "delete", "put_many"):
            counted(name, "writes")

    def take(self) -> tuple[int, int]:
        found = (self.reads, self.writes)
        self.reads = self.writes = 0
        return found


def _runtime(home: str, recorded: _Recorded) -> Any:
    import requests

    from bot import hookimpl
    from bot.clock import ManualClock
    from bot.runtime import start
    from plugins.calendar_google import GoogleCalendarProvider
    from plugins.calendar_microsoft import MicrosoftCalendarProvider

    def graph_get(session: Any, url: str, **kwargs: Any) -> Any:
        return recorded.graph_get(session, url, **kwargs)

    requests.Session.get = graph_get  # type: ignore[method-assign,assignment]
    providers = [
        GoogleCalendarProvider(http_factory=recorded.google_http, sleep=lambda s: None),
        MicrosoftCalendarProvider(sleep=lambda s: None),
    ]

    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return providers

    crewbot = start(
        environ={
            **os.environ,
            "CREWBOT_HOME": home,
            "CREWBOT_LOAD_PLUGINS": "meeting_prep,calendar_ics,bench_providers",
            "GOOGLE_OAUTH_CLIENT": CLIENT,
            "MICROSOFT_OAUTH_CLIENT": CLIENT,
        },
        extra_plugins=[("bench_providers", SimpleNamespace(register_calendar_providers=register_calendar_providers))],
        setup_logging=False,
    )
    crewbot.__dict__["clock"] = ManualClock(NOW)
    # MeetingRequiresPrep events are counted, not delivered: a prep workflow is not the monitor's cost
    # (in AWS each publish is one PutEvents request, counted with the other AWS requests).
    crewbot.__dict__["bus"] = recorded
    return crewbot


def _populate(crewbot: Any, users: int, base_url: str) -> list[str]:
    from bot.api import ConnectionRepository

    connections = ConnectionRepository(crewbot)
    tokens = {"access_token": "at", "refresh_token": "rt", "expiry": (NOW + timedelta(days=30)).isoformat()}
    ids = []
    for index in range(users):
        user_id = f"UB{index:05d}"
        crewbot.records.users.get_or_create(user_id)
        kind = ("ics", "google", "microsoft")[index % 3]
        if kind == "ics":
            connections.connect(user_id, "ics", source=f"{base_url}/u/{user_id}.ics")
        else:
            connections.connect(user_id, kind, tokens=tokens, account=f"{user_id.lower()}@example.com")
        ids.append(user_id)
    return ids


def _measure(crewbot: Any, messages: list[Any], recorded: _Recorded, ops: _StoreOps) -> dict[str, float]:
    from plugins.meeting_prep import fanout

    before = sum(recorded.calls.values()) + sum(_IcsHandler.served.values())
    published = recorded.published
    ops.take()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    errors = 0
    for message in messages:
        counts = fanout.sync_message(crewbot, message)
        errors += bool(counts.errors)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    reads, writes = ops.take()
    calls = sum(recorded.calls.values()) + sum(_IcsHandler.served.values()) - before
    n = len(messages)
    return {
        "users": n,
        "wall_ms": wall / n * 1000,
        "cpu_ms": cpu / n * 1000,
        "calls": calls / n,
        "reads": reads / n,
        "writes": writes / n,
        "events": (recorded.published - published) / n,
        "errors": errors,
    }


def run(users: int, sample: int, provider_ms: float, store_ms: float, ops: _StoreOps) -> None:
    from plugins.meeting_prep import fanout
    from plugins.meeting_prep.settings import settings_of

    server = ThreadingHTTPServer(("127.0.0.1", 0), _IcsHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    recorded = _Recorded()
    with tempfile.TemporaryDirectory() as home:
        crewbot = _runtime(home, recorded)
        try:
            began = time.perf_counter()
            _populate(crewbot, users, f"http://127.0.0.1:{server.server_port}")
            setup = time.perf_counter() - began
            # The queue keeps the messages: this benchmark plays the worker itself, one message at a time.
            crewbot.queues.get(fanout.QUEUE)
            crewbot.queues.workers = None
            ops.take()
            began = time.perf_counter()
            enqueued = fanout.enqueue_active_users(crewbot)
            enqueue = time.perf_counter() - began
            _, enqueue_writes = ops.take()
            queue = crewbot.queues.get(fanout.QUEUE)
            messages: list[Any] = []
            while len(messages) < min(sample, users):
                got = queue.receive(10)
                if not got:
                    break
                messages += got
            messages = messages[: min(sample, users)]
            first = _measure(crewbot, messages, recorded, ops)
            steady = _measure(crewbot, messages, recorded, ops)
            workers = settings_of(crewbot).sync_workers
        finally:
            crewbot.close()
            server.shutdown()
    print(f"== {users} users ({enqueued} enqueued; population set up in {setup:.1f} s) ==")
    print(
        f"schedule: {enqueue:.2f} s to enqueue {enqueued} messages locally ({enqueue / enqueued * 1000:.2f} ms/user,"
        f" {enqueue_writes / enqueued:.1f} store writes/user)"
    )
    for label, m in (("first sync", first), ("no-change run", steady)):
        # Store writes include the one-off schedules of prep prompts (CreateSchedule in AWS, same order).
        per_user_aws = m["cpu_ms"] + m["calls"] * provider_ms + (m["reads"] + m["writes"] + m["events"]) * store_ms
        projected = users * per_user_aws / 1000 / workers
        print(
            f"{label}: {m['wall_ms']:.1f} ms/user here ({m['cpu_ms']:.1f} ms CPU), "
            f"{m['calls']:.2f} provider calls/user, {m['reads']:.1f} store reads + {m['writes']:.1f} writes/user, "
            f"{m['events']:.2f} prep events/user "
            f"[measured on {int(m['users'])} users, {int(m['errors'])} with errors]"
        )
        print(
            f"  projected on AWS: {per_user_aws:.0f} ms/user ({provider_ms:g} ms/provider call, "
            f"{store_ms:g} ms/AWS request) → {users} users in {projected:.0f} s "
            f"at {workers} workers (goal: 600 s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="500,10000", help="populations, comma separated")
    parser.add_argument("--sample", type=int, default=300, help="users a worker syncs for the per-user figures")
    parser.add_argument("--provider-ms", type=float, default=150.0, help="assumed latency of one provider call")
    parser.add_argument("--store-ms", type=float, default=6.0, help="assumed latency of one DynamoDB/AWS request")
    args = parser.parse_args()
    ops = _StoreOps()
    ops.install()
    for users in (int(n) for n in args.users.split(",")):
        run(users, args.sample, args.provider_ms, args.store_ms, ops)


if __name__ == "__main__":
    main()
