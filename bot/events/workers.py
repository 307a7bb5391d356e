"""Local queue workers: the in-process stand-in for SQS event source mappings.

Each registered :class:`~bot.events.queues.QueueConsumer` gets a thread pool ``concurrency`` wide. A
send to its queue starts a drain at once (as Lambda's poller would pick the message up); delayed
messages and messages whose visibility timeout ran out are picked up by :meth:`LocalQueueWorkers.run_due`,
which runs on every clock advance and on the ticker. Messages are handled concurrently, up to the
consumer's width, with the same delete / release / redeliver / dead-letter rules as in AWS.
:meth:`LocalQueueWorkers.wait` blocks until no work is in flight, so scripts and tests are deterministic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from bot.events.queues import LocalQueue, Message, QueueConsumer, Queues, handle_one

logger = logging.getLogger(__name__)


class LocalQueueWorkers:
    """Drains the registered local queues on thread pools, one per consumer."""

    def __init__(self, queues: Queues, consumers: Iterable[QueueConsumer]):
        self.queues = queues
        self.consumers = {consumer.name: consumer for consumer in consumers}
        self._pools = {
            name: ThreadPoolExecutor(max_workers=consumer.concurrency, thread_name_prefix=f"queue-{name}")
            for name, consumer in self.consumers.items()
        }
        self._pending: set[Future[None]] = set()
        self._in_flight: dict[str, int] = {name: 0 for name in self.consumers}
        self._lock = threading.Condition()
        self.handled = 0
        self.failed = 0

    def notify(self, queue: LocalQueue) -> None:
        """A message was sent to ``queue``: start draining it if it has a consumer."""
        if queue.spec.name in self.consumers:
            self.drain(queue.spec.name)

    def run_due(self, now: datetime | None = None) -> None:
        """Pick up what became visible (delays, visibility timeouts) on every consumed queue."""
        for name in self.consumers:
            self.drain(name)

    def drain(self, name: str) -> None:
        """Receive what the consumer has room for and hand each message to its pool."""
        consumer = self.consumers[name]
        queue = self.queues.get(name)
        while True:
            with self._lock:
                room = consumer.concurrency - self._in_flight[name]
                if room <= 0:
                    return  # a finishing message drains again
                self._in_flight[name] += room  # reserve before receiving, so parallel drains don't overfill
            messages = queue.receive(min(room, consumer.batch_size))
            with self._lock:
                self._in_flight[name] -= room - len(messages)
                for message in messages:
                    future = self._pools[name].submit(self._handle, consumer, message)
                    self._pending.add(future)
                    future.add_done_callback(self._done)
            if len(messages) < min(room, consumer.batch_size):
                return

    def _handle(self, consumer: QueueConsumer, message: Message) -> None:
        queue = self.queues.get(consumer.name)
        try:
            handled = handle_one(queue, consumer.handler, message, self.queues.crewbot)
        finally:
            with self._lock:
                self._in_flight[consumer.name] -= 1
        with self._lock:
            if handled:
                self.handled += 1
            else:
                self.failed += 1
        self.drain(consumer.name)  # room again: take the next visible message

    def _done(self, future: Future[None]) -> None:
        if future.exception() is not None:  # handle_one catches handler errors; this is a worker bug
            logger.error("queue worker failed", exc_info=future.exception())
        with self._lock:
            self._pending.discard(future)
            self._lock.notify_all()

    def idle(self) -> bool:
        with self._lock:
            return not self._pending

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until no message is being handled (including messages those handlers sent)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending, timeout=timeout)

    def shutdown(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=False)
