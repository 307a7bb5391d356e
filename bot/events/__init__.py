"""Events, schedules and queues: EventBridge / Scheduler / SQS in AWS, in-process on the clock locally.

``crewbot.bus`` (:class:`~bot.events.bus.EventBus`), ``crewbot.scheduler``
(:class:`~bot.events.scheduler.Scheduler`), ``crewbot.queues`` (:class:`~bot.events.queues.Queues`).
Plugins contribute :class:`~bot.events.bus.EventHandler` (``register_event_handlers``) and
:class:`~bot.events.schedules.Schedule` (``register_schedules``). See docs/workflows.md.
"""

from bot.events.bus import Event, EventBus, EventHandler
from bot.events.queues import Message, Queue, Queues, QueueSpec, process_batch, sqs_lambda_handler
from bot.events.scheduler import Scheduler
from bot.events.schedules import Schedule, ScheduledCall, parse_expression

__all__ = [
    "Event",
    "EventBus",
    "EventHandler",
    "Message",
    "Queue",
    "QueueSpec",
    "Queues",
    "Schedule",
    "ScheduledCall",
    "Scheduler",
    "parse_expression",
    "process_batch",
    "sqs_lambda_handler",
]
