"""Building ``crewbot.bus``, ``crewbot.scheduler`` and ``crewbot.queues`` for the configured runtime.

AWS names (Terraform creates them with the same rule): the event bus ``<project>-<env>-bus``, the
Scheduler role ``<project>-<env>-scheduler`` and group ``<project>-<env>``, queues
``<project>-<env>-<name>`` with dead-letter queues ``<project>-<env>-<name>-dlq``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.events.bus import EventBridgeBus, EventBus, EventHandler, LocalEventBus
from bot.events.queues import LocalQueue, Queue, QueueConsumer, Queues, QueueSpec, SqsQueue
from bot.events.scheduler import SCHEDULER_DLQ, EventBridgeScheduler, LocalScheduler, Scheduler
from bot.events.schedules import Schedule

if TYPE_CHECKING:
    from bot.runtime import Crewbot


def _items(crewbot: Crewbot, hook: str, kind: type) -> list[Any]:
    items = []
    for contribution in crewbot.plugins.contributions(hook):
        if not isinstance(contribution.item, kind):
            raise TypeError(
                f"plugin {contribution.plugin} registered {contribution.item!r} through {hook}; "
                f"expected {kind.__name__}"
            )
        items.append(contribution.item)
    return items


def _account(crewbot: Crewbot) -> str:
    if crewbot.config.aws.account_id:
        return crewbot.config.aws.account_id
    import boto3

    return str(boto3.client("sts", region_name=crewbot.config.aws.region).get_caller_identity()["Account"])


def build_bus(crewbot: Crewbot) -> EventBus:
    if crewbot.config.runtime == "aws":
        import boto3

        return EventBridgeBus(boto3.client("events", region_name=crewbot.config.aws.region), crewbot.namer.name("bus"))
    return LocalEventBus(crewbot.clock, _items(crewbot, "register_event_handlers", EventHandler), crewbot=crewbot)


def build_scheduler(crewbot: Crewbot) -> Scheduler:
    if crewbot.config.runtime == "aws":
        import boto3

        region, account = crewbot.config.aws.region, _account(crewbot)
        return EventBridgeScheduler(
            boto3.client("scheduler", region_name=region),
            bus_arn=f"arn:aws:events:{region}:{account}:event-bus/{crewbot.namer.name('bus')}",
            role_arn=f"arn:aws:iam::{account}:role/{crewbot.namer.name('scheduler')}",
            dead_letter_arn=f"arn:aws:sqs:{region}:{account}:{crewbot.namer.queue(SCHEDULER_DLQ)}",
            group=crewbot.namer.prefix,
        )
    return LocalScheduler(
        crewbot.store, crewbot.clock, crewbot.bus, _items(crewbot, "register_schedules", Schedule), crewbot=crewbot
    )


def build_queues(crewbot: Crewbot) -> Queues:
    consumers = _items(crewbot, "register_queue_consumers", QueueConsumer)
    if crewbot.config.runtime == "aws":
        import boto3

        client = boto3.client("sqs", region_name=crewbot.config.aws.region)

        def sqs(spec: QueueSpec) -> Queue:
            url = client.get_queue_url(QueueName=crewbot.namer.queue(spec.name))["QueueUrl"]
            dlq = client.get_queue_url(QueueName=crewbot.namer.queue(spec.dead_letter_name))["QueueUrl"]
            return SqsQueue(spec, client, url, dlq)

        queues = Queues(sqs, consumers)
        queues.crewbot = crewbot
        return queues
    from bot.events.workers import LocalQueueWorkers

    def notify(queue: LocalQueue) -> None:
        if queues.workers is not None:
            queues.workers.notify(queue)

    queues = Queues(lambda spec: LocalQueue(spec, crewbot.store, crewbot.clock, on_send=notify), consumers)
    queues.crewbot = crewbot
    queues.workers = LocalQueueWorkers(queues, consumers)
    crewbot.clock.on_advance(queues.workers.run_due)
    return queues
