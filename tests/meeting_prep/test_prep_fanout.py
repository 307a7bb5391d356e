"""The calendar monitor at scale: the schedule enqueues one work item per active user on the
calendar-sync queue; workers sync users in parallel; a throttled user comes back after the provider's
delay through the queue's visibility, never by sleeping; a failing user does not hold back the others."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bot.api import CalendarEvent, ConnectionRepository, ProviderThrottled, SyncResult, hookimpl
from plugins.meeting_prep import fanout


class _Provider:
    """A calendar provider that throttles ``slow`` users once and fails ``broken`` ones."""

    name = "test"
    label = "Test calendar"
    uses_oauth = False
    connect_kind = "url"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.throttled: set[str] = set()

    def sync(self, crewbot: Any, connection: Any, start: datetime, end: datetime) -> SyncResult:
        user = connection.user_id
        self.calls.append(user)
        if user.startswith("USLOW") and user not in self.throttled:
            self.throttled.add(user)
            raise ProviderThrottled("the calendar asked us to slow down", retry_after=90)
        if user.startswith("UBROKEN"):
            raise RuntimeError("a defect in one user's sync")
        when = (start + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        event = CalendarEvent(external_id=f"{user}-1", title="Weekly sync", start=when, end=when + timedelta(hours=1))
        return SyncResult(events=[event], requests=1)


def _plugin(provider: _Provider) -> Any:
    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [provider]

    return SimpleNamespace(register_calendar_providers=register_calendar_providers)


def test_the_schedule_enqueues_users_and_workers_sync_them(prep_emulator_factory: Any) -> None:
    provider = _Provider()
    emulator = prep_emulator_factory(plugins=[("test_calendar", _plugin(provider))])
    crewbot = emulator.crewbot
    users = ["U1", "U2", "U3", "USLOW1", "UBROKEN1"]
    for user_id in users:
        crewbot.records.users.get_or_create(user_id)
        ConnectionRepository(crewbot).connect(user_id, "test", source="test:")
    assert fanout.enqueue_active_users(crewbot) == len(users)
    emulator.wait()
    queue = crewbot.queues.get(fanout.QUEUE)
    # Every user was synced once; the throttled one is back on the queue, invisible for 90 s.
    assert sorted(provider.calls) == sorted(users)
    for user_id in ("U1", "U2", "U3"):
        assert [m.title for m in crewbot.records.meetings.for_user(user_id)] == ["Weekly sync"]
    assert crewbot.records.meetings.for_user("USLOW1") == []
    assert queue.receive(10) == []  # nothing visible: nobody is waiting in a loop either
    emulator.advance("2m")
    assert provider.calls.count("USLOW1") == 2
    assert [m.title for m in crewbot.records.meetings.for_user("USLOW1")] == ["Weekly sync"]
    # The broken user's error is recorded on their connection; their message was not retried forever.
    assert provider.calls.count("UBROKEN1") == 1
    assert queue.dead_letters() == []


def test_an_sqs_batch_reports_only_the_throttled_user_as_failed(prep_emulator_factory: Any) -> None:
    from bot.events.queues import sqs_lambda_handler

    provider = _Provider()
    emulator = prep_emulator_factory(plugins=[("test_calendar", _plugin(provider))])
    crewbot = emulator.crewbot
    for user_id in ("U1", "USLOW1", "U2"):
        crewbot.records.users.get_or_create(user_id)
        ConnectionRepository(crewbot).connect(user_id, "test", source="test:")
    records = [
        {
            "messageId": f"m-{user_id}",
            "receiptHandle": f"r-{user_id}",
            "body": json.dumps({"user_id": user_id, "run": "2026-03-02T12:00:00Z"}),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:crewbot-dev-calendar-sync",
            "awsRegion": "us-east-1",
        }
        for user_id in ("U1", "USLOW1", "U2")
    ]
    consumer = crewbot.queues.consumer(fanout.QUEUE)
    response = sqs_lambda_handler({"Records": records}, None, consumer.handler, crewbot=crewbot)
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-USLOW1"}]
    assert crewbot.records.meetings.for_user("U1") and crewbot.records.meetings.for_user("U2")
