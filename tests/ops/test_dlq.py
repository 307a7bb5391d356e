"""`crewbot dlq list | show | redrive`: locally (the in-process queues' dead letters) and in AWS (moto)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.api import Message, QueueConsumer, QueueSpec, RetryLater, hookimpl
from bot.deploy.dlq import AUDIT_SCOPE, SqsDeadLetters, dead_letter_queues
from bot.runtime import Crewbot, start
from tests.ops.conftest import REGION, run_cli


@pytest.fixture
def local(tmp_path: Path) -> Any:
    """A local runtime with a consumer that fails until told otherwise."""
    state = {"fail": True, "handled": []}

    def handle(message: Message) -> None:
        if state["fail"]:
            # At once visible again: the next receive counts, and the second one dead-letters it.
            raise RetryLater(0, "the downstream service is down")
        state["handled"].append(message.body)

    @hookimpl
    def register_queue_consumers() -> list[QueueConsumer]:
        spec = QueueSpec("jobs", max_receive_count=2, visibility_timeout=5)
        return [QueueConsumer(queue=spec, handler=handle, description="Jobs.", concurrency=2, timeout_s=5)]

    plugin = SimpleNamespace(register_queue_consumers=register_queue_consumers)
    environ = {"CREWBOT_HOME": str(tmp_path)}
    crewbot = start(env="dev", environ=environ, extra_plugins=[("jobs", plugin)], setup_logging=False)
    yield crewbot, state
    crewbot.close()


def test_local_dead_letters_are_listed_shown_and_redriven(local: Any, capsys: pytest.CaptureFixture[str]) -> None:
    crewbot, state = local
    queues = crewbot.queues
    queues.get("jobs").send({"job": 1})
    assert queues.workers.wait()
    status, out, _ = run_cli(crewbot, ["dlq", "list"], capsys)
    assert status == 0 and "jobs-dlq" in out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("jobs-dlq")] == ["1"]

    status, out, _ = run_cli(crewbot, ["dlq", "show", "jobs-dlq", "--json"], capsys)
    assert status == 0 and [m["body"] for m in json.loads(out)] == [{"job": 1}]

    state["fail"] = False
    status, out, _ = run_cli(crewbot, ["dlq", "redrive", "jobs-dlq"], capsys)
    assert status == 0 and "redrove 1 message from jobs-dlq to queue jobs" in out
    queues.workers.run_due()
    assert queues.workers.wait() and state["handled"] == [{"job": 1}]
    assert run_cli(crewbot, ["dlq", "show", "jobs-dlq"], capsys)[1].strip() == "jobs-dlq is empty"
    (entry,) = crewbot.records.audit.for_scope(AUDIT_SCOPE)
    assert (entry.action, entry.target, entry.detail["count"]) == ("dlq.redrive", "jobs-dlq", 1)
    assert entry.actor.startswith("local:")


def test_an_unknown_queue_is_refused_with_the_known_ones(local: Any, capsys: pytest.CaptureFixture[str]) -> None:
    crewbot, _ = local
    status, _, err = run_cli(crewbot, ["dlq", "redrive", "job-dlq"], capsys)
    assert status == 2 and "jobs-dlq" in err and "known:" in err
    assert crewbot.records.audit.for_scope(AUDIT_SCOPE) == []


def _send(crewbot: Crewbot, physical: str, body: Any, **attributes: str) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=physical)["QueueUrl"]
    extra = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body), MessageAttributes=extra)


def test_aws_queues_of_every_kind_are_listed(aws_crewbot: Crewbot, capsys: pytest.CaptureFixture[str]) -> None:
    names = [q.name for q in dead_letter_queues(aws_crewbot)]
    assert "calendar-sync-dlq" in names
    # Every asynchronously invoked function: the Slack entry point, the rule and schedule targets.
    assert {"bot-async-dlq", "event_meeting_prep_start-async-dlq", "schedule_calendar_monitor-async-dlq"} <= set(names)
    assert not [n for n in names if n.startswith("task_")], "workflow tasks are invoked synchronously"
    _send(aws_crewbot, aws_crewbot.namer.queue("calendar-sync-dlq"), {"user_id": "U1"})
    status, out, _ = run_cli(aws_crewbot, ["dlq", "list"], capsys)
    counts = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()}
    assert status == 0 and counts["calendar-sync-dlq"] == 1 and counts["bot-async-dlq"] == 0


def test_aws_work_queue_dead_letters_go_back_to_their_queue(
    aws_crewbot: Crewbot, capsys: pytest.CaptureFixture[str]
) -> None:
    namer = aws_crewbot.namer
    _send(aws_crewbot, namer.queue("calendar-sync-dlq"), {"user_id": "U1", "run": "r1"})
    status, out, _ = run_cli(aws_crewbot, ["dlq", "show", "calendar-sync-dlq"], capsys)
    assert status == 0 and '"user_id": "U1"' in out
    status, out, _ = run_cli(aws_crewbot, ["dlq", "redrive", "calendar-sync-dlq"], capsys)
    assert status == 0 and "redrove 1 message" in out
    sqs = boto3.client("sqs", region_name=REGION)
    source = sqs.get_queue_url(QueueName=namer.queue("calendar-sync"))["QueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=source)["Messages"]
    assert json.loads(message["Body"]) == {"user_id": "U1", "run": "r1"}
    dlq = sqs.get_queue_url(QueueName=namer.queue("calendar-sync-dlq"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
    (entry,) = aws_crewbot.records.audit.for_scope(AUDIT_SCOPE)
    assert entry.actor.startswith("arn:aws:") and entry.detail == {"count": 1, "source": "calendar-sync"}


def test_aws_function_dead_letters_invoke_the_function_again(
    aws_crewbot: Crewbot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    namer = aws_crewbot.namer
    event = {"id": "e1", "source": "crewbot.calendar-monitor", "detail-type": "MeetingRequiresPrep", "detail": {}}
    # Lambda's on-failure record (the event and the error) and an event EventBridge could not deliver.
    record = {
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": event,
        "responsePayload": {"errorType": "LookupError", "errorMessage": "no meeting m1"},
    }
    physical = namer.queue("event_meeting_prep_start-async-dlq")
    _send(aws_crewbot, physical, record)
    _send(aws_crewbot, physical, {**event, "id": "e2"}, ERROR_CODE="SDK_CLIENT_ERROR", ERROR_MESSAGE="throttled")
    status, out, _ = run_cli(aws_crewbot, ["dlq", "show", "event_meeting_prep_start-async-dlq"], capsys)
    assert status == 0 and "(LookupError: no meeting m1)" in out and "(SDK_CLIENT_ERROR: throttled)" in out

    clients: list[Any] = []
    real = SqsDeadLetters.__init__

    def init(self: SqsDeadLetters, crewbot: Any) -> None:
        real(self, crewbot)
        stub = Stubber(self.lambda_)
        for event_id in ("e1", "e2"):
            expected = {"FunctionName": namer.function("event_meeting_prep_start"), "InvocationType": "Event"}
            stub.add_response("invoke", {"StatusCode": 202}, {**expected, "Payload": _payload_of(event_id, event)})
        stub.activate()
        clients.append(stub)

    monkeypatch.setattr(SqsDeadLetters, "__init__", init)
    status, out, _ = run_cli(aws_crewbot, ["dlq", "redrive", "event_meeting_prep_start-async-dlq"], capsys)
    assert status == 0 and "redrove 2 messages" in out and "function event_meeting_prep_start" in out
    clients[0].assert_no_pending_responses()


def _payload_of(event_id: str, event: dict[str, Any]) -> bytes:
    return json.dumps({**event, "id": event_id}).encode()
