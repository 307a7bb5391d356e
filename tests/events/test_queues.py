"""The same queue contract on the local queue and on SQS (moto): delivery, acknowledgement,
redelivery after the visibility timeout, dead-lettering after max receives, partial batch failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.events.queues import LocalQueue, Message, Queue, QueueSpec, SqsQueue, process_batch, sqs_lambda_handler

SPEC = QueueSpec("delegation", max_receive_count=2, visibility_timeout=0)


@pytest.fixture(params=["local", "sqs"])
def make_queue(request, store, clock) -> Iterator[tuple[Callable[[QueueSpec], Queue], Callable[[], None]]]:
    if request.param == "local":
        yield (lambda spec: LocalQueue(spec, store, clock)), (lambda: clock.advance(timedelta(seconds=1)))
        return
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")

        def build(spec: QueueSpec) -> Queue:
            dlq = client.create_queue(QueueName=f"crewbot-test-{spec.dead_letter_name}")["QueueUrl"]
            dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            url = client.create_queue(
                QueueName=f"crewbot-test-{spec.name}",
                Attributes={
                    "VisibilityTimeout": str(spec.visibility_timeout),
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(spec.max_receive_count)}
                    ),
                },
            )["QueueUrl"]
            return SqsQueue(spec, client, url, dlq)

        yield build, (lambda: None)


def test_a_handled_message_is_deleted(make_queue):
    build, tick = make_queue
    queue = build(SPEC)
    message_id = queue.send({"task": "summarise", "n": 1})
    seen: list[Any] = []
    result = process_batch(queue, lambda m: seen.append(m.body))
    assert seen == [{"task": "summarise", "n": 1}]
    assert result.succeeded == [message_id] and result.failed == []
    tick()
    assert queue.receive() == []


def test_a_message_that_keeps_failing_is_dead_lettered_not_lost(make_queue):
    build, tick = make_queue
    queue = build(SPEC)
    queue.send({"task": "poison"})
    queue.send({"task": "fine"})
    handled: list[str] = []

    def handler(message: Message) -> None:
        if message.body["task"] == "poison":
            raise RuntimeError("cannot handle this one")
        handled.append(message.body["task"])

    receives = []
    for _ in range(4):
        result = process_batch(queue, handler)
        receives.append(len(result.failed))
        tick()
    assert handled == ["fine"]
    assert receives[:2] == [1, 1]  # received and failed max_receive_count times ...
    assert receives[2:] == [0, 0]  # ... then gone from the queue
    dead = queue.dead_letters()
    assert [m.body for m in dead] == [{"task": "poison"}]


def test_sqs_lambda_handler_reports_only_the_failed_messages():
    event = {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": json.dumps({"n": i}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
            for i in range(3)
        ]
    }
    seen: list[int] = []

    def handler(message: Message) -> None:
        if message.body["n"] == 1:
            raise ValueError("odd one out")
        seen.append(message.body["n"])

    response = sqs_lambda_handler(event, None, handler)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert seen == [0, 2]
