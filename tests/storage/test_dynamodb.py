"""What only the AWS adapter has: table definitions for Terraform, names, missing resources."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bot.config.naming import ResourceNamer
from bot.storage.base import StorageError
from bot.storage.dynamodb import DynamoStore, create_buckets, create_tables, table_definition
from bot.storage.tables import CHAT_SESSIONS, MEETINGS, all_tables
from plugins.projects.records import TASK_LEDGER

NAMER = ResourceNamer("crewbot", "dev", "123456789012")


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


def test_table_definition_is_derived_from_the_spec() -> None:
    definition = table_definition(MEETINGS, "crewbot-dev-meetings")
    assert definition == {
        "TableName": "crewbot-dev-meetings",
        "KeySchema": [{"AttributeName": "meeting_id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_user_start",
                "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [
                    {"AttributeName": "user_id", "KeyType": "HASH"},
                    {"AttributeName": "start", "KeyType": "RANGE"},
                ],
            },
            {
                "IndexName": "by_external",
                "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "external_key", "KeyType": "HASH"}],
            },
        ],
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in ("meeting_id", "user_id", "start", "external_key")
        ],
    }
    ledger = table_definition(TASK_LEDGER, "t")
    assert ledger["KeySchema"][1] == {"AttributeName": "entry_id", "KeyType": "RANGE"}
    assert "GlobalSecondaryIndexes" not in ledger
    for spec in all_tables().values():  # every declared table has a definition DynamoDB accepts in shape
        names = {a["AttributeName"] for a in table_definition(spec, spec.name)["AttributeDefinitions"]}
        assert spec.pk in names


def test_create_tables_sets_ttl_and_is_repeatable(aws: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    names = create_tables(client, NAMER)
    assert "crewbot-dev-chat-sessions" in names and len(names) == len(all_tables())
    ttl = client.describe_time_to_live(TableName=NAMER.table(CHAT_SESSIONS.name))["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert create_tables(client, NAMER) == names  # existing tables are left alone
    described = client.describe_table(TableName="crewbot-dev-meetings")["Table"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {"by_user_start", "by_external"}


def test_items_land_in_the_named_table_with_decimals(aws: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_tables(client, NAMER, [MEETINGS])
    store = DynamoStore(NAMER, region="us-east-1")
    store.table(MEETINGS).put({"meeting_id": "m1", "score": 0.25, "nested": {"n": [1.5]}})
    raw = client.get_item(TableName="crewbot-dev-meetings", Key={"meeting_id": {"S": "m1"}})["Item"]
    assert raw["score"] == {"N": "0.25"} and raw["version"] == {"N": "1"}
    assert raw["nested"] == {"M": {"n": {"L": [{"N": "1.5"}]}}}
    store.close()


def test_missing_table_and_bucket_are_clear_errors(aws: None) -> None:
    store = DynamoStore(NAMER, region="us-east-1")
    with pytest.raises(StorageError, match=r"crewbot-dev-meetings.*does not exist"):
        store.table(MEETINGS).get({"meeting_id": "m1"})
    with pytest.raises(StorageError, match="crewbot-dev-materials-123456789012"):
        store.blobs("materials").put("a", b"x")
    create_buckets(boto3.client("s3", region_name="us-east-1"), NAMER, "us-east-1")
    store.blobs("materials").put("a", b"x")
    assert store.blobs("materials").get("a") == b"x"
    store.close()


def test_items_written_without_a_version_read_as_version_0(aws: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_tables(client, NAMER, [MEETINGS])
    client.put_item(TableName="crewbot-dev-meetings", Item={"meeting_id": {"S": "imported"}, "n": {"N": "1"}})
    store = DynamoStore(NAMER, region="us-east-1")
    table = store.table(MEETINGS)
    assert table.get({"meeting_id": "imported"}) == {"meeting_id": "imported", "n": 1, "version": 0}
    assert table.mutate({"meeting_id": "imported"}, lambda item: {**item, "n": 2})["version"] == 1
    client.put_item(TableName="crewbot-dev-meetings", Item={"meeting_id": {"S": "again"}})
    assert table.put({"meeting_id": "again", "n": 3})["version"] == 1
    client.put_item(TableName="crewbot-dev-meetings", Item={"meeting_id": {"S": "third"}})
    table.delete({"meeting_id": "third"}, expected_version=0)
    assert table.get({"meeting_id": "third"}) is None
    store.close()
