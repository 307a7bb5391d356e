"""One-off schedules (reminders) carry a retry policy and the scheduler's dead-letter queue, which
`crewbot dlq` lists and shows (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from bot.events.scheduler import RETRY_POLICY, SCHEDULER_DLQ
from bot.runtime import Crewbot
from tests.ops.conftest import ACCOUNT, REGION, run_cli


def test_every_one_off_schedule_dead_letters_into_the_scheduler_dlq(aws_crewbot: Crewbot) -> None:
    namer = aws_crewbot.namer
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule_group(Name=namer.prefix)
    when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{namer.prefix}-scheduler-dlq"

    aws_crewbot.scheduler.once("prep-m1", when, "crewbot.meeting-prep", "MeetingReminderDue", {"meeting": "m1"})
    target = client.get_schedule(Name="prep-m1", GroupName=namer.prefix)["Target"]
    assert target["DeadLetterConfig"] == {"Arn": dlq_arn}
    assert target["RetryPolicy"] == RETRY_POLICY
    assert json.loads(target["Input"]) == {"meeting": "m1"}

    # Scheduling the same name again replaces the schedule: the replacement keeps both.
    later = when + timedelta(hours=2)
    aws_crewbot.scheduler.once("prep-m1", later, "crewbot.meeting-prep", "MeetingReminderDue", {"meeting": "m1"})
    replaced = client.get_schedule(Name="prep-m1", GroupName=namer.prefix)
    assert replaced["ScheduleExpression"] == "at(2026-03-02T11:30:00)"
    assert replaced["Target"]["DeadLetterConfig"] == {"Arn": dlq_arn}
    assert replaced["Target"]["RetryPolicy"] == RETRY_POLICY


def test_the_scheduler_dlq_is_listed_and_shown_but_not_redriven(
    aws_crewbot: Crewbot, capsys: pytest.CaptureFixture[str]
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=aws_crewbot.namer.queue(SCHEDULER_DLQ))["QueueUrl"]
    # What the Scheduler sends: the target's input, and why and from which schedule as attributes.
    attributes = {
        "ERROR_CODE": "AccessDeniedException",
        "ERROR_MESSAGE": "not authorized to perform events:PutEvents",
        "SCHEDULE_ARN": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{aws_crewbot.namer.prefix}/prep-m1",
    }
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"meeting": "m1"}),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )

    status, out, _ = run_cli(aws_crewbot, ["dlq", "list"], capsys)
    line = next(line for line in out.splitlines() if line.startswith(SCHEDULER_DLQ))
    assert status == 0 and line.split()[1] == "1" and line.endswith("from one-off schedules")

    status, out, _ = run_cli(aws_crewbot, ["dlq", "show", SCHEDULER_DLQ], capsys)
    assert status == 0 and "AccessDeniedException: not authorized to perform events:PutEvents" in out
    assert '"meeting": "m1"' in out

    status, _, err = run_cli(aws_crewbot, ["dlq", "redrive", SCHEDULER_DLQ], capsys)
    assert status == 1 and "without their source and type" in err
    kept = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert kept["ApproximateNumberOfMessages"] == "1"
