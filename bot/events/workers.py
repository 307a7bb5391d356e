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
        self._draining: dict[str, bool] = {name: False for name in self.consumers}
        self._again: dict[str, bool] = {name: False for name in self.consumers}
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
        """Receive what the consumer has room for and hand each message to its pool.

        One drain per queue at a time: a drain asked for while another is receiving (a second message
        sent meanwhile, a handler finishing) makes that one look again instead of being dropped, so no
        visible message waits for a later trigger.
        """
        consumer = self.consumers[name]
        queue = self.queues.get(name)
        with self._lock:
            if self._draining[name]:
                self._again[name] = True
                return
            self._draining[name] = True
        try:
            while True:
                with self._lock:
                    self._again[name] = False
                    room = min(consumer.concurrency - self._in_flight[name], consumer.batch_size)
                messages = queue.receive(room) if room > 0 else []
                with self._lock:
                    for message in messages:
                        self._in_flight[name] += 1
                        future = self._pools[name].submit(self._handle, consumer, message)
                        self._pending.add(future)
                        future.add_done_callback(self._done)
                    if messages and len(messages) == room:
                        continue  # there may be more
                    if not self._again[name]:
                        self._draining[name] = False
                        self._lock.notify_all()
                        return
        except BaseException:
            with self._lock:
                self._draining[name] = False
                self._lock.notify_all()
            raise

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
            return self._quiet()

    def _quiet(self) -> bool:
        return not self._pending and not any(self._draining.values())

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until no message is being handled or received (including messages those handlers sent)."""
        with self._lock:
            return self._lock.wait_for(self._quiet, timeout=timeout)

    def shutdown(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=False)
