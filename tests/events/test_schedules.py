"""Schedule expressions and the local scheduler on the clock; one-off events on EventBridge Scheduler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from bot.events.bus import Event, EventHandler, LocalEventBus
from bot.events.scheduler import EventBridgeScheduler, LocalScheduler
from bot.events.schedules import Schedule, ScheduledCall, parse_expression

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(5 minutes)", T0, T0 + timedelta(minutes=5)),
        ("rate(1 hour)", T0 + timedelta(minutes=59), T0 + timedelta(hours=1)),
        ("rate(2 days)", T0 + timedelta(days=2), T0 + timedelta(days=4)),
        ("cron(0 */2 * * ? *)", T0, T0 + timedelta(hours=1)),
        (
            "cron(15 10 ? * MON-FRI *)",
            datetime(2026, 1, 9, 11, 0, tzinfo=UTC),
            datetime(2026, 1, 12, 10, 15, tzinfo=UTC),
        ),
        ("at(2026-01-05T10:30:00)", T0, datetime(2026, 1, 5, 10, 30, tzinfo=UTC)),
        ("at(2026-01-05T08:30:00)", T0, None),
    ],
)
def test_next_firing(expression, after, expected):
    assert parse_expression(expression).next_after(after, anchor=T0) == expected


def test_at_reads_a_time_zone():
    assert parse_expression("at(2026-01-05T10:00:00)", "Europe/Paris").at == datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(0 minutes)", "at least 1"),
        ("rate(1 hours)", "rate(1 hour)"),
        ("rate(5 minute)", "rate(5 minutes)"),
        ("cron(0 10 * * *)", "six fields"),
        ("cron(0 10 * * MON *)", "must be '?'"),
        ("every day", "invalid schedule expression"),
    ],
)
def test_invalid_expressions_say_why(expression, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_expression(expression)


def test_registered_schedules_fire_every_due_occurrence_in_order(store, clock):
    calls: list[tuple[str, datetime]] = []
    schedules = [
        Schedule("calendar-monitor", "rate(2 hours)", lambda c: calls.append((c.schedule, c.scheduled_time))),
        Schedule("morning", "cron(0 8 * * ? *)", lambda c: calls.append((c.schedule, c.scheduled_time))),
    ]
    bus = LocalEventBus(clock)
    scheduler = LocalScheduler(store, clock, bus, schedules)
    clock.advance(timedelta(hours=1))
    assert calls == []
    clock.advance(timedelta(hours=23, minutes=30))  # to the next day 09:30
    assert calls == [
        ("calendar-monitor", T0 + timedelta(hours=2)),
        ("calendar-monitor", T0 + timedelta(hours=4)),
        ("calendar-monitor", T0 + timedelta(hours=6)),
        ("calendar-monitor", T0 + timedelta(hours=8)),
        ("calendar-monitor", T0 + timedelta(hours=10)),
        ("calendar-monitor", T0 + timedelta(hours=12)),
        ("calendar-monitor", T0 + timedelta(hours=14)),
        ("calendar-monitor", T0 + timedelta(hours=16)),
        ("calendar-monitor", T0 + timedelta(hours=18)),
        ("calendar-monitor", T0 + timedelta(hours=20)),
        ("calendar-monitor", T0 + timedelta(hours=22)),
        ("morning", T0 + timedelta(hours=23)),
        ("calendar-monitor", T0 + timedelta(hours=24)),
    ]
    assert scheduler.next_run("calendar-monitor") == T0 + timedelta(hours=26)


def test_a_restarted_scheduler_neither_repeats_nor_forgets(store, clock):
    calls: list[datetime] = []
    schedule = Schedule("tick", "rate(1 hour)", lambda c: calls.append(c.scheduled_time))
    LocalScheduler(store, clock, LocalEventBus(clock), [schedule], listen=False).run_due(T0 + timedelta(hours=1))
    assert calls == [T0 + timedelta(hours=1)]
    restarted = LocalScheduler(store, clock, LocalEventBus(clock), [schedule], listen=False)
    restarted.run_due(T0 + timedelta(hours=1, minutes=30))
    assert calls == [T0 + timedelta(hours=1)]
    restarted.run_due(T0 + timedelta(hours=2))
    assert calls == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]


def test_one_off_events_are_published_on_the_bus_at_their_time(store, clock):
    received: list[Event] = []
    bus = LocalEventBus(clock, [EventHandler("reminders", {"detail-type": ["MeetingReminder"]}, received.append)])
    scheduler = LocalScheduler(store, clock, bus)
    scheduler.once("remind-m1", T0 + timedelta(hours=2), "crewbot.meetings", "MeetingReminder", {"meeting": "m1"})
    scheduler.once("remind-m2", T0 + timedelta(hours=3), "crewbot.meetings", "MeetingReminder", {"meeting": "m2"})
    assert scheduler.cancel("remind-m2") is True
    assert scheduler.cancel("remind-m2") is False
    clock.advance(timedelta(hours=1))
    assert received == []
    clock.advance(timedelta(hours=5))
    assert [(e.detail, e.time) for e in received] == [({"meeting": "m1"}, T0 + timedelta(hours=6))]
    assert scheduler.pending() == []


def test_a_failing_schedule_does_not_stop_the_others(store, clock):
    calls: list[str] = []

    def broken(call: ScheduledCall) -> None:
        raise RuntimeError("calendar down")

    LocalScheduler(
        store,
        clock,
        LocalEventBus(clock),
        [
            Schedule("broken", "rate(1 hour)", broken),
            Schedule("works", "rate(1 hour)", lambda c: calls.append(c.schedule)),
        ],
    )
    clock.advance(timedelta(hours=1))
    assert calls == ["works"]


def test_registered_schedules_must_recur():
    with pytest.raises(ValueError, match="one-off"):
        Schedule("once", "at(2026-01-05T10:00:00)", lambda c: None)


def test_one_off_events_become_eventbridge_scheduler_schedules():
    with mock_aws():
        client = boto3.client("scheduler", region_name="us-east-1")
        client.create_schedule_group(Name="crewbot-test")
        scheduler = EventBridgeScheduler(
            client,
            bus_arn="arn:aws:events:us-east-1:123456789012:event-bus/crewbot-test-bus",
            role_arn="arn:aws:iam::123456789012:role/crewbot-test-scheduler",
            group="crewbot-test",
        )
        when = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
        scheduler.once("remind-m1", when, "crewbot.meetings", "MeetingReminder", {"meeting": "m1"})
        found = client.get_schedule(Name="remind-m1", GroupName="crewbot-test")
        assert found["ScheduleExpression"] == "at(2026-01-05T10:00:00)"
        assert found["Target"]["EventBridgeParameters"] == {
            "DetailType": "MeetingReminder",
            "Source": "crewbot.meetings",
        }
        assert json.loads(found["Target"]["Input"]) == {"meeting": "m1"}
        scheduler.once("remind-m1", when + timedelta(hours=1), "crewbot.meetings", "MeetingReminder", {"meeting": "m1"})
        assert (
            client.get_schedule(Name="remind-m1", GroupName="crewbot-test")["ScheduleExpression"]
            == "at(2026-01-05T11:00:00)"
        )
        assert scheduler.cancel("remind-m1") is True
        assert scheduler.cancel("remind-m1") is False
