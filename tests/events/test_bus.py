"""The event bus: patterns route events the same way locally and through EventBridge (moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from bot.events.bus import Event, EventBridgeBus, EventHandler, LocalEventBus
from bot.events.patterns import check_pattern, matches

EVENT = {
    "source": "crewbot.calendar",
    "detail-type": "MeetingRequiresPrep",
    "detail": {"meeting_id": "m1", "hours": 72, "type": "leadership_meeting", "tags": ["exec", "weekly"]},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["crewbot.calendar"]}, True),
        ({"source": ["other"]}, False),
        ({"detail-type": ["MeetingRequiresPrep"], "detail": {"type": [{"prefix": "leader"}]}}, True),
        ({"detail": {"type": [{"suffix": "_meeting"}]}}, True),
        ({"detail": {"hours": [{"numeric": [">", 24, "<=", 72]}]}}, True),
        ({"detail": {"hours": [{"numeric": [">", 72]}]}}, False),
        ({"detail": {"tags": ["weekly"]}}, True),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"meeting_id": [{"exists": True}]}}, True),
        ({"detail": {"type": [{"anything-but": ["one_on_one"]}]}}, True),
        ({"detail": {"type": [{"anything-but": "leadership_meeting"}]}}, False),
    ],
)
def test_patterns(pattern, expected):
    assert matches(pattern, EVENT) is expected


def test_unsupported_patterns_are_rejected():
    with pytest.raises(ValueError, match=r"pattern.detail.x: unsupported filter"):
        check_pattern({"detail": {"x": [{"wildcard": "a*"}]}})
    with pytest.raises(ValueError, match="non-empty list"):
        EventHandler("h", {"source": "crewbot.calendar"}, lambda e: None)


def test_the_local_bus_delivers_to_matching_handlers_and_isolates_failures(clock):
    got: list[tuple[str, Event]] = []

    def broken(event: Event) -> None:
        raise RuntimeError("handler bug")

    bus = LocalEventBus(
        clock,
        [
            EventHandler("broken", {"source": ["crewbot.calendar"]}, broken),
            EventHandler("prep", {"detail-type": ["MeetingRequiresPrep"]}, lambda e: got.append(("prep", e))),
            EventHandler("other", {"detail-type": ["Other"]}, lambda e: got.append(("other", e))),
        ],
    )
    event_id = bus.publish("crewbot.calendar", "MeetingRequiresPrep", EVENT["detail"])
    assert [(name, e.id, e.detail) for name, e in got] == [("prep", event_id, EVENT["detail"])]
    assert bus.failures[0][:2] == (event_id, "broken")
    with pytest.raises(ValueError, match="detail must be an object"):
        bus.publish("crewbot.calendar", "X", ["not", "an", "object"])  # type: ignore[arg-type]


def test_eventbridge_routes_a_published_event_by_the_same_pattern():
    pattern = {"source": ["crewbot.calendar"], "detail": {"hours": [{"numeric": [">", 24]}]}}
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        events.create_event_bus(Name="crewbot-test-bus")
        url = sqs.create_queue(QueueName="prep-target")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="prep", EventBusName="crewbot-test-bus", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="prep", EventBusName="crewbot-test-bus", Targets=[{"Id": "q", "Arn": arn}])
        bus = EventBridgeBus(events, "crewbot-test-bus")
        event_id = bus.publish("crewbot.calendar", "MeetingRequiresPrep", EVENT["detail"])
        bus.publish("crewbot.calendar", "MeetingRequiresPrep", {**EVENT["detail"], "hours": 2})
        delivered = [
            json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        ]
        assert [(d["id"], d["detail"]) for d in delivered] == [(event_id, EVENT["detail"])]
        assert matches(pattern, delivered[0])
        assert Event.from_eventbridge(delivered[0]).detail == EVENT["detail"]
