"""Work queues: SQS with a dead-letter queue in AWS, an in-process queue with the same semantics locally.

Semantics shared by both adapters: a received message is invisible for ``visibility_timeout`` seconds;
deleting it acknowledges it; otherwise it becomes visible again and is received anew. After
``max_receive_count`` receives without a delete, it moves to the queue's dead-letter queue
(``<name>-dlq``), where nothing is lost and it can be inspected.

Consumers are the same function in both runtimes: ``handler(message) -> None`` raising on failure.
:func:`process_batch` runs it over received messages (locally), and :func:`sqs_lambda_handler` over an
SQS event in Lambda, through Powertools' ``BatchProcessor`` with partial batch failures — only the
failed messages return to the queue.
"""

from __future__ import annotations

import json
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.storage.base import ConflictError, Store, TableSpec
from bot.storage.tables import register_table

logger = logging.getLogger(__name__)

QUEUE_MESSAGES = register_table(
    TableSpec(
        "queue_messages",
        pk="queue",
        sk="message_id",
        description="Local queues only: messages of the in-process queues and their dead-letter queues.",
    )
)


@dataclass(frozen=True)
class QueueSpec:
    """A queue's settings (Terraform creates the SQS queue and its DLQ with the same values)."""

    name: str
    max_receive_count: int = 3
    visibility_timeout: int = 30

    def __post_init__(self) -> None:
        if self.max_receive_count < 1 or self.visibility_timeout < 0:
            raise ValueError(f"queue {self.name!r}: max_receive_count >= 1 and visibility_timeout >= 0 required")

    @property
    def dead_letter_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass
class Message:
    """A received message: its JSON ``body`` and the ``receipt`` that deletes it."""

    message_id: str
    body: Any
    receipt: str
    receive_count: int = 1
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    """The outcome of a batch: ids of messages handled and of those that failed (left on the queue)."""

    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Queue(ABC):
    """One queue."""

    spec: QueueSpec

    @abstractmethod
    def send(self, body: Any, *, delay_seconds: int = 0) -> str:
        """Enqueue a JSON-serialisable body; returns the message id."""

    @abstractmethod
    def receive(self, max_messages: int = 10) -> list[Message]:
        """Up to ``max_messages`` visible messages (each becomes invisible for the visibility timeout)."""

    @abstractmethod
    def delete(self, message: Message) -> None:
        """Acknowledge a handled message."""

    @abstractmethod
    def dead_letters(self, max_messages: int = 10) -> list[Message]:
        """Messages in the dead-letter queue (received from it, so they stay there, invisible a while)."""


def process_batch(queue: Queue, handler: Callable[[Message], None], max_messages: int = 10) -> BatchResult:
    """Receive a batch and run ``handler`` on each message: handled ones are deleted, failed ones stay
    (they come back after the visibility timeout, and go to the DLQ after ``max_receive_count``)."""
    result = BatchResult()
    for message in queue.receive(max_messages):
        try:
            handler(message)
        except Exception:
            logger.exception(
                "queue %s: message %s failed (receive %d of %d)",
                queue.spec.name,
                message.message_id,
                message.receive_count,
                queue.spec.max_receive_count,
            )
            result.failed.append(message.message_id)
            continue
        queue.delete(message)
        result.succeeded.append(message.message_id)
    return result


def sqs_lambda_handler(event: Mapping[str, Any], context: Any, handler: Callable[[Message], None]) -> dict[str, Any]:
    """Run ``handler`` over an SQS event in Lambda with Powertools' batch processor; returns the
    ``batchItemFailures`` response (the function's event source mapping must report them)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        try:
            body = json.loads(record.body)
        except json.JSONDecodeError:
            body = record.body
        count = int(record.attributes.approximate_receive_count or 1)
        handler(Message(message_id=record.message_id, body=body, receipt=record.receipt_handle, receive_count=count))

    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=dict(event), record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


class LocalQueue(Queue):
    """An in-process queue in the store, on the runtime clock (``runtime: local``)."""

    def __init__(self, spec: QueueSpec, store: Store, clock: Clock):
        self.spec = spec
        self.table = store.table(QUEUE_MESSAGES)
        self.clock = clock

    def send(self, body: Any, *, delay_seconds: int = 0) -> str:
        return self._put(self.spec.name, body, self.clock.now() + timedelta(seconds=delay_seconds))

    def _put(self, queue: str, body: Any, visible_at: datetime, receive_count: int = 0) -> str:
        message_id = f"{self.clock.now().strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:12]}"
        self.table.create(
            {
                "queue": queue,
                "message_id": message_id,
                "body": json.loads(json.dumps(body)),
                "visible_at": visible_at.isoformat(),
                "receive_count": receive_count,
            }
        )
        return message_id

    def receive(self, max_messages: int = 10) -> list[Message]:
        return self._receive(self.spec.name, max_messages, dead_letter=True)

    def dead_letters(self, max_messages: int = 10) -> list[Message]:
        return self._receive(self.spec.dead_letter_name, max_messages, dead_letter=False)

    def _receive(self, queue: str, max_messages: int, dead_letter: bool) -> list[Message]:
        now = self.clock.now()
        found: list[Message] = []
        for item in self.table.query_all(queue):
            if len(found) >= max_messages:
                break
            if datetime.fromisoformat(item["visible_at"]) > now:
                continue
            if dead_letter and item["receive_count"] >= self.spec.max_receive_count:
                # Received too often without success: move it, as SQS's redrive policy does.
                try:
                    self.table.delete(
                        {"queue": queue, "message_id": item["message_id"]}, expected_version=item["version"]
                    )
                except ConflictError:
                    continue
                self.table.create(
                    {
                        **{k: v for k, v in item.items() if k != "version"},
                        "queue": self.spec.dead_letter_name,
                        "visible_at": now.isoformat(),
                        "receive_count": 0,
                        "dead_lettered_from": queue,
                    }
                )
                logger.warning(
                    "queue %s: message %s moved to %s after %d receives",
                    queue,
                    item["message_id"],
                    self.spec.dead_letter_name,
                    item["receive_count"],
                )
                continue
            receipt = uuid.uuid4().hex
            updated = {
                **item,
                "receive_count": item["receive_count"] + 1,
                "receipt": receipt,
                "visible_at": (now + timedelta(seconds=self.spec.visibility_timeout)).isoformat(),
            }
            try:
                self.table.put(updated, expected_version=item["version"])
            except ConflictError:
                continue  # another consumer got it
            found.append(
                Message(
                    message_id=item["message_id"],
                    body=item["body"],
                    receipt=receipt,
                    receive_count=updated["receive_count"],
                )
            )
        return found

    def delete(self, message: Message) -> None:
        for queue in (self.spec.name, self.spec.dead_letter_name):
            key = {"queue": queue, "message_id": message.message_id}
            item = self.table.get(key)
            if item is not None and item.get("receipt") == message.receipt:
                self.table.delete(key)
                return


class SqsQueue(Queue):
    """An SQS queue whose redrive policy sends messages to ``<name>-dlq`` (both created by Terraform)."""

    def __init__(self, spec: QueueSpec, client: Any, url: str, dead_letter_url: str):
        self.spec = spec
        self.client = client
        self.url = url
        self.dead_letter_url = dead_letter_url

    def send(self, body: Any, *, delay_seconds: int = 0) -> str:
        response = self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(body), DelaySeconds=delay_seconds)
        return str(response["MessageId"])

    def _receive(self, url: str, max_messages: int) -> list[Message]:
        response = self.client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(max_messages, 10),
            AttributeNames=["ApproximateReceiveCount"],
            VisibilityTimeout=self.spec.visibility_timeout,
        )
        return [
            Message(
                message_id=m["MessageId"],
                body=json.loads(m["Body"]),
                receipt=m["ReceiptHandle"],
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for m in response.get("Messages", [])
        ]

    def receive(self, max_messages: int = 10) -> list[Message]:
        return self._receive(self.url, max_messages)

    def dead_letters(self, max_messages: int = 10) -> list[Message]:
        return self._receive(self.dead_letter_url, max_messages)

    def delete(self, message: Message) -> None:
        self.client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt)


class Queues:
    """``crewbot.queues``: the queues of the runtime, by logical name (``queues.get("delegation")``)."""

    def __init__(self, factory: Callable[[QueueSpec], Queue]):
        self._factory = factory
        self._queues: dict[str, Queue] = {}

    def get(self, name: str, spec: QueueSpec | None = None) -> Queue:
        if name not in self._queues:
            self._queues[name] = self._factory(spec or QueueSpec(name))
        return self._queues[name]
