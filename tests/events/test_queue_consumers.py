"""Registered queue consumers: drained in parallel locally as messages arrive, retried later on
RetryLater, dead-lettered after the maximum receives, and run from SQS batches by the Lambda entry."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot import hookimpl
from bot.entrypoints.queues import run_batch
from bot.events.queues import LocalQueue, Message, QueueConsumer, Queues, QueueSpec, RetryLater, SqsQueue
from bot.events.workers import LocalQueueWorkers
from bot.slack.registry import SlashCommand


class WorkPlugin:
    """Registers ``/work N`` (enqueues N items) and a consumer that needs two workers at once."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=10)
        self.handled: list[int] = []
        self.crewbot: Any = None

    @hookimpl
    def register_commands(self, crewbot: Any) -> list[SlashCommand]:
        self.crewbot = crewbot

        def work(ack: Any, respond: Any, command: dict[str, Any]) -> None:
            ack()
            for n in range(int(command["text"])):
                crewbot.queues.get("work").send({"n": n})
            respond("queued")

        return [SlashCommand("/work", work, description="Queue work")]

    @hookimpl
    def register_queue_consumers(self) -> list[QueueConsumer]:
        def handle(message: Message) -> None:
            self.barrier.wait()  # both messages must be in their handlers at the same time
            self.handled.append(message.body["n"])

        return [QueueConsumer(QueueSpec("work", visibility_timeout=30), handle, concurrency=2)]


def test_messages_sent_by_a_handler_are_consumed_in_parallel_before_the_turn_ends(crewbot_emulator_factory):
    plugin = WorkPlugin()
    emulator = crewbot_emulator_factory([("work", plugin)], only=["crewbot_command"])
    turn = emulator.command("/work 2")
    assert "queued" in turn.text
    assert sorted(plugin.handled) == [0, 1]
    assert plugin.crewbot.queues.workers.handled == 2


@pytest.fixture
def queues(store, clock) -> Any:
    def build(consumers: list[QueueConsumer]) -> tuple[Queues, LocalQueueWorkers]:
        def notify(queue: LocalQueue) -> None:
            workers.notify(queue)

        queues = Queues(lambda spec: LocalQueue(spec, store, clock, on_send=notify), consumers)
        workers = LocalQueueWorkers(queues, consumers)
        queues.workers = workers
        clock.on_advance(workers.run_due)
        return queues, workers

    return build


def test_retry_later_brings_the_message_back_after_the_delay(queues, clock):
    attempts: list[int] = []

    def throttled_once(message: Message) -> None:
        attempts.append(message.receive_count)
        if len(attempts) == 1:
            raise RetryLater(120, "provider throttled")

    local, workers = queues([QueueConsumer(QueueSpec("sync", visibility_timeout=30), throttled_once)])
    local.get("sync").send({"user": "U1"})
    assert workers.wait()
    assert attempts == [1]
    clock.advance(timedelta(seconds=60))  # still invisible: no second attempt yet
    assert workers.wait()
    assert attempts == [1]
    clock.advance(timedelta(seconds=61))
    assert workers.wait()
    assert attempts == [1, 2]
    assert local.get("sync").receive() == []


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(queues, clock):
    def broken(message: Message) -> None:
        raise ValueError("cannot handle this")

    local, workers = queues([QueueConsumer(QueueSpec("sync", max_receive_count=2, visibility_timeout=30), broken)])
    local.get("sync").send({"user": "U1"})
    for _ in range(3):
        assert workers.wait()
        clock.advance(timedelta(seconds=31))
    assert workers.wait()
    dead = local.get("sync").dead_letters()
    assert [m.body for m in dead] == [{"user": "U1"}]
    assert workers.failed == 2


def test_consumer_settings_are_checked_against_aws_limits():
    with pytest.raises(ValueError, match="batch_size"):
        QueueConsumer(QueueSpec("q"), lambda m: None, batch_size=11)
    with pytest.raises(ValueError, match="visibility_timeout"):
        QueueConsumer(QueueSpec("q", visibility_timeout=10), lambda m: None, timeout_s=60)
    with pytest.raises(ValueError, match="two consumers"):
        Queues(lambda spec: None, [QueueConsumer(QueueSpec("q"), print), QueueConsumer(QueueSpec("q"), print)])  # type: ignore[arg-type,return-value]
    with pytest.raises(KeyError, match="registered: none"):
        Queues(lambda spec: None).consumer("q")  # type: ignore[arg-type,return-value]


@mock_aws
def test_the_lambda_entry_reports_partial_failures_and_delays_retry_later():
    client = boto3.client("sqs", region_name="us-east-1")
    dlq = client.create_queue(QueueName="crewbot-test-sync-dlq")["QueueUrl"]
    url = client.create_queue(QueueName="crewbot-test-sync", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]

    def handle(message: Message) -> None:
        if message.body["user"] == "U2":
            raise RetryLater(300, "throttled")
        if message.body["user"] == "U3":
            raise ValueError("broken")

    consumer = QueueConsumer(QueueSpec("sync", visibility_timeout=30), handle)
    crewbot = type("Runtime", (), {})()
    crewbot.queues = Queues(lambda spec: SqsQueue(spec, client, url, dlq), [consumer])
    for user in ("U1", "U2", "U3"):
        client.send_message(QueueUrl=url, MessageBody=json.dumps({"user": user}))
    received = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:crewbot-test-sync",
                "awsRegion": "us-east-1",
            }
            for m in received
        ]
    }
    response = run_batch(crewbot, "sync", event, None)
    by_user = {json.loads(m["Body"])["user"]: m["MessageId"] for m in received}
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert failed == {by_user["U2"], by_user["U3"]}
    with pytest.raises(KeyError, match="registered: sync"):
        run_batch(crewbot, "other", event, None)


def test_a_message_sent_while_the_queue_is_being_drained_is_not_left_behind(queues):
    barrier = threading.Barrier(2, timeout=5)
    met: list[int] = []

    def pair(message: Message) -> None:
        barrier.wait()  # the two messages must be handled at the same time
        met.append(message.body["n"])

    local, workers = queues(
        [QueueConsumer(QueueSpec("pair", visibility_timeout=30), pair, concurrency=2, batch_size=1)]
    )
    queue = local.get("pair")
    original = queue.receive
    looked, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def receive(max_messages: int = 10) -> list[Message]:
        found = original(max_messages)
        calls.append(len(found))
        if len(calls) == 2:  # the drain looked again, found the queue empty, and has not finished yet ...
            looked.set()
            release.wait(5)
        return found

    queue.receive = receive  # type: ignore[method-assign]
    sender = threading.Thread(target=queue.send, args=({"n": 1},))
    sender.start()
    assert looked.wait(5)
    queue.send({"n": 2})  # ... when the second message arrives
    release.set()
    sender.join()
    assert workers.wait(15)
    assert sorted(met) == [1, 2], "the second message waited for the first to time out"
