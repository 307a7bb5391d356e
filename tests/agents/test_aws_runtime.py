"""`runtime: aws` under moto: sessions in S3 (Strands S3SessionManager), metadata and usage in DynamoDB,
usage metrics as EMF lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bot.agents.usage import USAGE, USAGE_TOTALS
from bot.storage.dynamodb import create_buckets, create_tables
from bot.storage.tables import AUDIT_LOG, CHAT_SESSIONS, MEETINGS, USERS

from .conftest import MakeCrewbot, add_meeting

AWS_CONFIG = """
runtime: aws
aws: {region: us-east-1, account_id: "123456789012"}
models: {default: offline}
"""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_agent_turns_in_aws(aws: None, make_crewbot: MakeCrewbot, capsys: pytest.CaptureFixture[str]) -> None:
    crewbot = make_crewbot(config=AWS_CONFIG)
    create_tables(
        boto3.client("dynamodb", region_name="us-east-1"),
        crewbot.namer,
        [CHAT_SESSIONS, MEETINGS, USERS, USAGE, USAGE_TOTALS, AUDIT_LOG],
    )
    create_buckets(boto3.client("s3", region_name="us-east-1"), crewbot.namer, "us-east-1", ["sessions"])
    add_meeting(crewbot, "U1", "m1", "Ops review", 1)

    first = crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="T1-D1-1_0", text="my meetings?")
    assert "Ops review" in first.text

    restarted = make_crewbot(config=AWS_CONFIG)  # another Lambda: only S3 and DynamoDB are shared
    recap = restarted.agents.ask(
        "meeting_coordinator", user_id="U1", conversation="T1-D1-1_0", text="what did I ask earlier?"
    )
    assert "my meetings?" in recap.text

    bucket = crewbot.namer.bucket("sessions")
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(
        k.startswith("agent-sessions/session_T1-D1-1_0/agents/agent_meeting_coordinator/messages/") for k in keys
    )
    assert restarted.records.chat_sessions.get("T1-D1-1_0").message_count == 2  # type: ignore[union-attr]
    records = restarted.agents.ledger.records(1)
    assert len(records) == 2 and {r["tools"][0] for r in records if r["tools"]} == {"get_upcoming_meetings"}

    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert metrics, "usage metrics are printed as CloudWatch EMF"
    assert metrics[0]["agent"] == "meeting_coordinator" and metrics[0]["InputTokens"] > 0
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "crewbot"
