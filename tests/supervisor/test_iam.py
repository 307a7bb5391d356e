"""The Supervisor's functions stay within their declared IAM policies (runtime IAM audit under moto).

One orchestration runs through the AWS adapters, one "function" (runtime) per step: the Slack function
starts it (the first Supervisor turn sends the work items), the queue function runs a delegation from
the SQS batch, the task.completion function resumes the Supervisor, the sweep runs; every AWS call of
each step must be allowed by that function's declaration in the deploy catalog.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from bot.api import Event
from bot.runtime import Crewbot
from tests.infra.test_iam_runtime import REGION, Call, _check, _meeting, aws, recorder

__all__ = ["aws", "recorder"]  # the fixtures


def _sqs_event(crewbot: Crewbot) -> dict[str, Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=crewbot.namer.queue("supervisor-tasks"))["QueueUrl"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:x",
                "awsRegion": REGION,
            }
            for m in received
        ]
    }


def test_an_orchestration_stays_within_each_functions_policy(aws: Callable[[], Crewbot], recorder: list[Call]) -> None:
    from bot.entrypoints.queues import run_batch
    from plugins.supervisor.supervisor import supervisor

    slack = aws()
    _meeting(slack)
    recorder.clear()
    started = supervisor(slack).start(
        user_id="U1", text="Which meetings are upcoming?", channel_id="D1", thread_ts="1.0", conversation="T-D1-1_0"
    )
    assert started["status"] == "waiting", started
    problems = _check("bot", recorder, slack)

    worker = aws()
    event = _sqs_event(worker)
    assert json.loads(event["Records"][0]["body"])["agent"] == "meeting_coordinator"
    recorder.clear()
    response = run_batch(worker, "supervisor-tasks", event, None)
    assert response == {"batchItemFailures": []}
    problems += _check("queue_supervisor_tasks", recorder, worker)

    resume = aws()
    recorder.clear()
    supervisor(resume).on_completion(
        Event("crewbot.supervisor", "task.completion", {"orchestration_id": started["orchestration_id"], "round": 1})
    )
    assert supervisor(resume).state.get(started["orchestration_id"])["status"] == "completed"
    problems += _check("event_supervisor_task_completion", recorder, resume)

    sweep = aws()
    recorder.clear()
    supervisor(sweep).sweep()
    problems += _check("schedule_supervisor_sweep", recorder, sweep)
    assert not problems, "calls outside the functions' policies:\n" + "\n".join(problems)
