"""Lambda entry point of a queue consumer: ``bot.entrypoints.queues.handler``.

The function's SQS event source mapping (with ``ReportBatchItemFailures``) delivers batches of the queue
that ``CREWBOT_QUEUE`` names; the registered :class:`~bot.events.queues.QueueConsumer` of that queue
handles each message. Only failed messages return to the queue (and reach its dead-letter queue after
the queue's maximum receives); a :class:`~bot.events.queues.RetryLater` sets the message's visibility
to the delay it asks for.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from bot.events.queues import sqs_lambda_handler


@cache
def _runtime() -> Any:
    """The function's runtime, built once per container and reused by every invocation."""
    from bot.runtime import start

    return start()


def _queue_name() -> str:
    name = os.environ.get("CREWBOT_QUEUE", "")
    if not name:
        raise LookupError("CREWBOT_QUEUE is not set: which queue should this function consume?")
    return name


def run_batch(crewbot: Any, name: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hand one SQS batch to the consumer of queue ``name``; returns the partial-failure response."""
    consumer = crewbot.queues.consumer(name)
    return sqs_lambda_handler(event, context, consumer.handler, queue=crewbot.queues.get(name), crewbot=crewbot)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from bot.logs import lambda_log_context

    name = _queue_name()
    from bot.entrypoints.health import is_health_check, report

    if is_health_check(event):
        return report("queue consumer", name, _runtime().queues.consumers)
    with lambda_log_context(context, None):
        return run_batch(_runtime(), name, event, context)
