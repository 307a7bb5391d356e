"""Work queues: SQS with a dead-letter queue in AWS, an in-process queue with the same semantics locally.

Semantics shared by both adapters: a received message is invisible for ``visibility_timeout`` seconds;
deleting it acknowledges it; otherwise it becomes visible again and is received anew. After
``max_receive_count`` receives without a delete, it moves to the queue's dead-letter queue
(``<name>-dlq``), where nothing is lost and it can be inspected.

Consumers are the same function in both runtimes: ``handler(message) -> None`` raising on failure, or
raising :class:`RetryLater` to have the message come back after a delay (a throttled provider, say)
instead of sleeping. Plugins register them as :class:`QueueConsumer` objects
(``register_queue_consumers``). :func:`process_batch` runs a handler over received messages (locally,
where :class:`bot.events.workers.LocalQueueWorkers` drains registered queues in parallel), and
:func:`sqs_lambda_handler` over an SQS event in Lambda, through Powertools' ``BatchProcessor`` with
partial batch failures — only the failed messages return to the queue.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.storage.base import ConflictError, Store, TableSpec

if TYPE_CHECKING:
    from bot.events.workers import LocalQueueWorkers
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


class RetryLater(Exception):
    """Raised by a consumer to put its message back on the queue, visible again after ``delay_seconds``.

    It still counts as a receive, so a message that is retried ``max_receive_count`` times ends in the
    dead-letter queue like any other failure.
    """

    def __init__(self, delay_seconds: int, reason: str = ""):
        super().__init__(reason or f"retry in {delay_seconds} s")
        self.delay_seconds = max(0, min(int(delay_seconds), 12 * 3600))  # SQS's visibility maximum
        self.reason = reason


@dataclass(frozen=True)
class QueueConsumer:
    """A work queue and the function that consumes it, registered by a plugin (``register_queue_consumers``).

    Locally, messages are handled on a thread pool ``concurrency`` wide as soon as they are sent; in AWS
    Terraform creates the SQS queue, its dead-letter queue (after ``queue.max_receive_count`` receives),
    an alarm on the DLQ, and a function (``bot.entrypoints.queues.handler``) whose event source mapping
    delivers ``batch_size`` messages at a time with at most ``concurrency`` concurrent invocations.
    """

    queue: QueueSpec
    handler: Callable[[Message], None]
    description: str = ""
    concurrency: int = 4
    batch_size: int = 10
    timeout_s: int = 30

    def __post_init__(self) -> None:
        if not callable(self.handler):
            raise TypeError(f"queue consumer {self.queue.name!r}: handler must be callable")
        if not 1 <= self.batch_size <= 10:
            raise ValueError(f"queue consumer {self.queue.name!r}: batch_size must be 1..10 (SQS's maximum)")
        if not 2 <= self.concurrency <= 1000:
            # 2 is the smallest maximum concurrency an SQS event source mapping accepts.
            raise ValueError(f"queue consumer {self.queue.name!r}: concurrency must be 2..1000")
        if not 1 <= self.timeout_s <= 900:
            raise ValueError(f"queue consumer {self.queue.name!r}: timeout_s must be 1..900 (Lambda's maximum)")
        if self.queue.visibility_timeout < self.timeout_s:
            # AWS refuses an event source mapping whose queue's visibility is shorter than the function timeout.
            raise ValueError(
                f"queue consumer {self.queue.name!r}: the queue's visibility_timeout "
                f"({self.queue.visibility_timeout} s) must be at least timeout_s ({self.timeout_s} s)"
            )

    @property
    def name(self) -> str:
        return self.queue.name


@dataclass
class Message:
    """A received message: its JSON ``body`` and the ``receipt`` that deletes it."""

    message_id: str
    body: Any
    receipt: str
    receive_count: int = 1
    attributes: dict[str, Any] = field(default_factory=dict)
    #: The runtime the handler runs in (``bot.runtime.Crewbot``), filled by the dispatcher locally and in
    #: Lambda alike; its plugin's settings are ``.crewbot.settings_for(Model)``.
    crewbot: Any = field(default=None, compare=False, repr=False)


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

    @abstractmethod
    def release(self, message: Message, delay_seconds: int) -> None:
        """Make a received message visible again after ``delay_seconds`` (SQS's ChangeMessageVisibility)."""


def handle_one(queue: Queue, handler: Callable[[Message], None], message: Message, crewbot: Any = None) -> bool:
    """Run ``handler`` on one received message (carrying ``crewbot``, when given): delete it when handled,
    release it for :class:`RetryLater`, leave it for redelivery on any other error. Returns whether it was
    handled."""
    if crewbot is not None:
        message.crewbot = crewbot
    try:
        handler(message)
    except RetryLater as retry:
        logger.info(
            "queue %s: message %s retried in %d s (%s)",
            queue.spec.name,
            message.message_id,
            retry.delay_seconds,
            retry.reason or "retry later",
        )
        queue.release(message, retry.delay_seconds)
        return False
    except Exception:
        logger.exception(
            "queue %s: message %s failed (receive %d of %d)",
            queue.spec.name,
            message.message_id,
            message.receive_count,
            queue.spec.max_receive_count,
        )
        return False
    queue.delete(message)
    return True


def process_batch(queue: Queue, handler: Callable[[Message], None], max_messages: int = 10) -> BatchResult:
    """Receive a batch and run ``handler`` on each message: handled ones are deleted, failed ones stay
    (they come back after the visibility timeout, and go to the DLQ after ``max_receive_count``)."""
    result = BatchResult()
    for message in queue.receive(max_messages):
        handled = handle_one(queue, handler, message)
        (result.succeeded if handled else result.failed).append(message.message_id)
    return result


def sqs_lambda_handler(
    event: Mapping[str, Any],
    context: Any,
    handler: Callable[[Message], None],
    queue: Queue | None = None,
    crewbot: Any = None,
) -> dict[str, Any]:
    """Run ``handler`` over an SQS event in Lambda with Powertools' batch processor; returns the
    ``batchItemFailures`` response (the function's event source mapping must report them). With
    ``queue``, a :class:`RetryLater` changes the message's visibility to the delay it asks for. Each
    message carries ``crewbot`` to the handler."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        try:
            body = json.loads(record.body)
        except json.JSONDecodeError:
            body = record.body
        count = int(record.attributes.approximate_receive_count or 1)
        message = Message(message_id=record.message_id, body=body, receipt=record.receipt_handle, receive_count=count)
        message.crewbot = crewbot
        try:
            handler(message)
        except RetryLater as retry:
            if queue is not None:
                queue.release(message, retry.delay_seconds)
            raise  # reported as a batch item failure, so SQS keeps the message

    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=dict(event), record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


class LocalQueue(Queue):
    """An in-process queue in the store, on the runtime clock (``runtime: local``)."""

    def __init__(
        self, spec: QueueSpec, store: Store, clock: Clock, on_send: Callable[[LocalQueue], None] | None = None
    ):
        self.spec = spec
        self.table = store.table(QUEUE_MESSAGES)
        self.clock = clock
        #: Called after each send (the local workers start draining at once, as Lambda's poller would).
        self.on_send = on_send

    def send(self, body: Any, *, delay_seconds: int = 0) -> str:
        message_id = self._put(self.spec.name, body, self.clock.now() + timedelta(seconds=delay_seconds))
        if self.on_send is not None and delay_seconds == 0:
            self.on_send(self)
        return message_id

    def release(self, message: Message, delay_seconds: int) -> None:
        key = {"queue": self.spec.name, "message_id": message.message_id}
        item = self.table.get(key)
        if item is None or item.get("receipt") != message.receipt:
            return  # already redelivered to someone else, or gone
        visible_at = self.clock.now() + timedelta(seconds=delay_seconds)
        with contextlib.suppress(ConflictError):  # received again meanwhile: that receive decides
            self.table.put({**item, "visible_at": visible_at.isoformat()}, expected_version=item["version"])

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

    def release(self, message: Message, delay_seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=message.receipt, VisibilityTimeout=delay_seconds
        )


class Queues:
    """``crewbot.queues``: the queues of the runtime, by logical name (``queues.get("delegation")``).

    A queue a plugin registered a consumer for takes that consumer's :class:`QueueSpec`.
    """

    def __init__(self, factory: Callable[[QueueSpec], Queue], consumers: Iterable[QueueConsumer] = ()):
        self._factory = factory
        self._queues: dict[str, Queue] = {}
        self._lock = threading.Lock()
        self.consumers: dict[str, QueueConsumer] = {}
        #: The runtime each received :class:`Message` carries to its consumer (set by the runtime).
        self.crewbot: Any = None
        #: Locally, the in-process workers that drain the consumed queues (``None`` in AWS).
        self.workers: LocalQueueWorkers | None = None
        for consumer in consumers:
            if consumer.name in self.consumers:
                raise ValueError(f"two consumers registered for queue {consumer.name!r}")
            self.consumers[consumer.name] = consumer

    def get(self, name: str, spec: QueueSpec | None = None) -> Queue:
        with self._lock:
            if name not in self._queues:
                registered = self.consumers.get(name)
                self._queues[name] = self._factory(spec or (registered.queue if registered else QueueSpec(name)))
            return self._queues[name]

    def consumer(self, name: str) -> QueueConsumer:
        """The registered consumer of queue ``name`` (``KeyError`` naming the registered ones otherwise)."""
        try:
            return self.consumers[name]
        except KeyError:
            known = ", ".join(sorted(self.consumers)) or "none"
            raise KeyError(f"no consumer is registered for queue {name!r} (registered: {known})") from None
