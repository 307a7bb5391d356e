"""Dead-letter queues: list them, show what waits in them, and redrive it (``crewbot dlq``).

Two kinds, the same in both runtimes where they exist:

* ``<queue>-dlq``: a work queue's messages that failed ``max_receive_count`` times. Redriving sends
  them back to ``<queue>`` (its consumer handles them again). Locally they are the in-process queues'
  dead letters; in AWS the SQS dead-letter queues.
* ``<function>-async-dlq`` (AWS only): events of an asynchronously invoked function (the Slack entry
  point's lazy listeners, event rule and schedule targets) that still failed after Lambda's retries, or
  that EventBridge could not deliver. Redriving invokes the function again, asynchronously, with the
  original event.
* ``scheduler-dlq`` (AWS only): one-off schedules' events (reminders) that EventBridge Scheduler could not
  put on the bus after its retries. A message holds the event's detail but not its source and type, so it
  cannot be redriven: ``crewbot dlq show`` says what was missed (the error and the schedule) and the
  messages expire after 14 days.

Every redrive is recorded in the audit log (scope ``operations``).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.events.scheduler import SCHEDULER_DLQ

#: Audit-log scope of operator actions (redrives, rollbacks, promotions).
AUDIT_SCOPE = "operations"

#: Triggers of the functions Lambda invokes asynchronously, each with a ``<function>-async-dlq``.
ASYNC_TRIGGERS = ("http", "event", "schedule")


@dataclass(frozen=True)
class DeadLetterQueue:
    """One dead-letter queue: ``name`` is how ``crewbot dlq`` calls it, ``source`` the queue or function its
    messages came from, ``physical`` its name in AWS (or in the local store)."""

    name: str
    kind: Literal["queue", "function", "schedule"]
    source: str
    physical: str


@dataclass
class DeadLetter:
    """A message waiting in a dead-letter queue."""

    message_id: str
    body: Any
    #: Why it failed, when the message says (an on-failure record's error, EventBridge's error code).
    error: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def payload(self) -> Any:
        """What the source received: the event inside an on-failure record, else the body itself."""
        if isinstance(self.body, dict) and "requestPayload" in self.body and "requestContext" in self.body:
            return self.body["requestPayload"]
        return self.body


class UnknownQueue(LookupError):
    """No dead-letter queue has that name; the message lists the known ones."""


class NotRedrivable(ValueError):
    """The queue's messages cannot be sent back where they came from; the message says why."""


def dead_letter_queues(crewbot: Any) -> list[DeadLetterQueue]:
    """The dead-letter queues of the runtime's registrations, work queues first."""
    from bot.deploy.catalog import build_catalog

    catalog = build_catalog(crewbot)
    namer = crewbot.namer
    found = [DeadLetterQueue(f"{q}-dlq", "queue", q, namer.queue(f"{q}-dlq")) for q in sorted(catalog.queues)]
    if not _local(crewbot):
        # Terraform names them the same way (modules/catalog/naming.tf async_dlqs).
        found += [
            DeadLetterQueue(f"{fn}-async-dlq", "function", fn, namer.queue(f"{fn}-async-dlq"))
            for fn, spec in sorted(catalog.functions.items())
            if spec.trigger in ASYNC_TRIGGERS
        ]
        found.append(DeadLetterQueue(SCHEDULER_DLQ, "schedule", "one-off schedules", namer.queue(SCHEDULER_DLQ)))
    return found


def _local(crewbot: Any) -> bool:
    return bool(crewbot.config.runtime != "aws")


def find(crewbot: Any, name: str) -> DeadLetterQueue:
    """The dead-letter queue ``name`` (``<queue>-dlq`` or ``<function>-async-dlq``)."""
    queues = dead_letter_queues(crewbot)
    for queue in queues:
        if queue.name == name:
            return queue
    known = ", ".join(q.name for q in queues) or "none"
    raise UnknownQueue(f"no dead-letter queue {name!r} (known: {known})")


def backend(crewbot: Any) -> LocalDeadLetters | SqsDeadLetters:
    """How to reach the runtime's dead letters: the local store, or SQS and Lambda."""
    return LocalDeadLetters(crewbot) if _local(crewbot) else SqsDeadLetters(crewbot)


def record_redrive(crewbot: Any, queue: DeadLetterQueue, count: int, actor: str) -> None:
    crewbot.records.audit.record(AUDIT_SCOPE, actor, "dlq.redrive", queue.name, count=count, source=queue.source)


def operator(crewbot: Any) -> str:
    """Who runs the command: the AWS principal in AWS, the login name locally."""
    if _local(crewbot):
        return f"local:{getpass.getuser()}"
    import boto3

    arn = boto3.client("sts", region_name=crewbot.config.aws.region).get_caller_identity()["Arn"]
    return str(arn)


class LocalDeadLetters:
    """The in-process queues' dead letters, in the local store (``runtime: local``)."""

    def __init__(self, crewbot: Any):
        from bot.events.queues import QUEUE_MESSAGES

        self.clock = crewbot.clock
        self.table = crewbot.store.table(QUEUE_MESSAGES)

    def count(self, queue: DeadLetterQueue) -> int:
        return sum(1 for _ in self.table.query_all(queue.name))

    def peek(self, queue: DeadLetterQueue, limit: int) -> list[DeadLetter]:
        return [self._letter(item) for item, _ in zip(self.table.query_all(queue.name), range(limit), strict=False)]

    @staticmethod
    def _letter(item: dict[str, Any]) -> DeadLetter:
        attributes: dict[str, Any] = {k: item[k] for k in ("dead_lettered_from", "visible_at") if k in item}
        return DeadLetter(str(item["message_id"]), item["body"], attributes=attributes)

    def redrive(self, queue: DeadLetterQueue, limit: int) -> int:
        moved = 0
        for item in list(self.table.query_all(queue.name))[:limit]:
            self.table.delete({"queue": queue.name, "message_id": item["message_id"]})
            kept = {k: v for k, v in item.items() if k not in ("version", "dead_lettered_from", "receipt")}
            self.table.create(
                {**kept, "queue": queue.source, "visible_at": self.clock.now().isoformat(), "receive_count": 0}
            )
            moved += 1
        return moved


class SqsDeadLetters:
    """The SQS dead-letter queues of a deployment (``runtime: aws``), with the operator's credentials."""

    #: How long a message being redriven stays hidden from another reader.
    HOLD_S = 60

    def __init__(self, crewbot: Any):
        import boto3

        region = crewbot.config.aws.region
        self.namer = crewbot.namer
        self.sqs = boto3.client("sqs", region_name=region)
        self.lambda_ = boto3.client("lambda", region_name=region)

    def _url(self, physical: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=physical)["QueueUrl"])

    def count(self, queue: DeadLetterQueue) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self._url(queue.physical), AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))

    def _receive(self, url: str, limit: int, hold_s: int) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        while len(seen) < limit:
            batch = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=hold_s,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                yield message

    @staticmethod
    def _letter(message: dict[str, Any]) -> DeadLetter:
        try:
            body: Any = json.loads(message["Body"])
        except ValueError:
            body = message["Body"]
        attributes = {k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()}
        error = ""
        if isinstance(body, dict) and isinstance(body.get("responsePayload"), dict):
            payload = body["responsePayload"]
            error = f"{payload.get('errorType', 'Error')}: {payload.get('errorMessage', '')}".strip()
        elif "ERROR_CODE" in attributes:
            error = f"{attributes['ERROR_CODE']}: {attributes.get('ERROR_MESSAGE') or ''}".strip()
        return DeadLetter(message["MessageId"], body, error, attributes)

    def peek(self, queue: DeadLetterQueue, limit: int) -> list[DeadLetter]:
        # Visibility 0: looking does not hide the messages from a redrive right after.
        return [self._letter(m) for m in self._receive(self._url(queue.physical), limit, hold_s=0)]

    def redrive(self, queue: DeadLetterQueue, limit: int) -> int:
        if queue.kind == "schedule":
            raise NotRedrivable(
                f"{queue.name} holds the detail of events the Scheduler could not put on the bus, without their "
                f"source and type: see them with `crewbot dlq show {queue.name}`"
            )
        url = self._url(queue.physical)
        target = self._url(self.namer.queue(queue.source)) if queue.kind == "queue" else ""
        moved = 0
        for message in self._receive(url, limit, hold_s=self.HOLD_S):
            if queue.kind == "queue":
                self.sqs.send_message(QueueUrl=target, MessageBody=message["Body"])
            else:
                payload = json.dumps(self._letter(message).payload).encode()
                self.lambda_.invoke(
                    FunctionName=self.namer.function(queue.source), InvocationType="Event", Payload=payload
                )
            # Deleted only once it is back where it came from: a failure half-way loses nothing.
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
        return moved
