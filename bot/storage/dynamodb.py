"""The AWS adapter: tables in DynamoDB, blobs in S3.

Physical names come from the :class:`~bot.config.naming.ResourceNamer` (``crewbot-dev-meetings``),
the same rule Terraform uses. Conditional writes are DynamoDB ``ConditionExpression`` s on the
``version`` attribute, so two writers that read the same version cannot both write. DynamoDB deletes
expired items lazily (up to days later), so reads filter on the TTL attribute as the local adapter
does. :func:`table_definition` derives the key schema and indexes from a
:class:`~bot.storage.base.TableSpec`; Terraform must declare exactly the same (tests compare them).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.table import BatchWriter
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from bot.storage.base import (
    VERSION,
    BlobStore,
    ConflictError,
    Item,
    NotFoundError,
    Page,
    SortCondition,
    StorageError,
    Store,
    Table,
    TableSpec,
    check_blob_key,
)
from bot.storage.blobs import check_bucket
from bot.storage.items import (
    check_query,
    check_spec,
    check_version,
    decode_cursor,
    encode_cursor,
    is_expired,
    normalize_numbers,
    prepare_item,
    resolve_spec,
)
from bot.storage.tables import BUCKETS, all_tables

if TYPE_CHECKING:
    from bot.config.naming import ResourceNamer

Now = Callable[[], float]
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
#: How often an unconditional put re-reads and retries when another writer keeps getting in first.
_PUT_ATTEMPTS = 20


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _to_dynamo(item: Item) -> dict[str, Any]:
    """A JSON-clean item in DynamoDB's wire format (floats become ``Decimal``, which DynamoDB requires)."""
    decimals = json.loads(json.dumps(item), parse_float=Decimal)
    return {attr: _SERIALIZER.serialize(value) for attr, value in decimals.items()}


def _from_dynamo(raw: Mapping[str, Any]) -> Item:
    item = {attr: _DESERIALIZER.deserialize(value) for attr, value in raw.items()}
    return normalize_numbers(item)


def _with_version(item: Item) -> Item:
    """Items written by other tools (the console, a data import) have no version: they read as version 0."""
    item.setdefault(VERSION, 0)
    return item


def _all_of(*conditions: str) -> str:
    """Conditions joined with AND, parenthesising only those with a top-level OR.

    DynamoDB rejects parentheses that do not change precedence ("The expression has redundant
    parentheses"), and moto does not check this, so expressions are built without any.
    """
    present = [c for c in conditions if c]
    if len(present) == 1:
        return present[0]
    return " AND ".join(f"({c})" if " OR " in c else c for c in present)


class DynamoTable(Table):
    """One DynamoDB table (``physical_name``) holding the items of ``spec``."""

    def __init__(self, client: Any, spec: TableSpec, physical_name: str, now: Now = time.time):
        self.spec = check_spec(spec)
        self.physical_name = physical_name
        self._client = client
        self._now = now

    # -- plumbing -----------------------------------------------------------------------------------

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call the DynamoDB API, turning its errors into storage errors that name the table."""
        try:
            return getattr(self._client, operation)(TableName=self.physical_name, **kwargs)
        except ClientError as exc:
            code = _code(exc)
            if code == "ConditionalCheckFailedException":
                raise
            if code == "ResourceNotFoundException":
                raise StorageError(
                    f"DynamoDB table {self.physical_name!r} (logical {self.spec.name!r}) does not exist: "
                    "create it with Terraform (or bot.storage.dynamodb.create_tables for experiments)"
                ) from exc
            if code == "ValidationException":
                raise ValueError(f"{self.spec.name}: DynamoDB rejected the request: {exc}") from exc
            raise StorageError(f"{self.spec.name}: DynamoDB {operation} failed: {exc}") from exc

    def _key(self, key: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(key, Mapping):
            raise ValueError(f"{self.spec.name}: a key must be a mapping, got {type(key).__name__}")
        return {attr: {"S": value} for attr, value in self.spec.key_of(key).items()}

    def _names(self, **names: str | None) -> dict[str, str]:
        return {f"#{alias}": attr for alias, attr in names.items() if attr is not None}

    def _not_expired(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        """A condition "the stored item has no TTL or it is in the future" (empty when no TTL)."""
        if self.spec.ttl is None:
            return "", {}, {}
        return (
            "attribute_not_exists(#ttl) OR #ttl > :now",
            {"#ttl": self.spec.ttl},
            {":now": _SERIALIZER.serialize(Decimal(str(self._now())))},
        )

    def _at_version(self, expected: int, live: bool) -> tuple[str, dict[str, str], dict[str, Any]]:
        """A condition "the stored item has version ``expected``" (and, with ``live``, has not expired).

        Version 0 is an item written without a version (by another tool): it exists and has none.
        """
        if expected == 0:
            condition, names, values = "attribute_exists(#pk) AND attribute_not_exists(#v)", {"#pk": self.spec.pk}, {}
        else:
            condition, names, values = "#v = :expected", {}, {":expected": {"N": str(int(expected))}}
        names["#v"] = VERSION
        if live:
            ttl_condition, ttl_names, ttl_values = self._not_expired()
            condition = _all_of(condition, ttl_condition)
            names.update(ttl_names)
            values.update(ttl_values)
        return condition, names, values

    def _raw_get(self, key: Mapping[str, Any]) -> Item | None:
        response = self._call("get_item", Key=self._key(key), ConsistentRead=True)
        return _with_version(_from_dynamo(response["Item"])) if "Item" in response else None

    def _conditional_put(
        self, clean: Item, version: int, condition: str, names: dict[str, str], values: dict[str, Any], conflict: str
    ) -> Item:
        stored = dict(clean)
        stored[VERSION] = version
        kwargs: dict[str, Any] = {
            "Item": _to_dynamo(stored),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._call("put_item", **kwargs)
        except ClientError:
            raise ConflictError(conflict) from None
        return normalize_numbers(stored)

    # -- the Table contract ---------------------------------------------------------------------------

    def get(self, key: Mapping[str, str]) -> Item | None:
        item = self._raw_get(key)
        return None if item is None or is_expired(self.spec, item, self._now()) else item

    def create(self, item: Mapping[str, Any]) -> Item:
        clean = prepare_item(self.spec, item)
        condition, names, values = "attribute_not_exists(#pk)", {"#pk": self.spec.pk}, {}
        if self.spec.ttl is not None:
            # An expired item is absent, so a create may replace it (how idempotency claims are retried).
            condition += " OR #ttl <= :now"
            names["#ttl"] = self.spec.ttl
            values[":now"] = _SERIALIZER.serialize(Decimal(str(self._now())))
        return self._conditional_put(
            clean,
            1,
            condition,
            names,
            values,
            f"{self.spec.name}: an item with key {self.spec.key_of(clean)} exists already",
        )

    def put(self, item: Mapping[str, Any], *, expected_version: int | None = None) -> Item:
        check_version(self.spec, expected_version)
        clean = prepare_item(self.spec, item)
        key = self.spec.key_of(clean)
        if expected_version is not None:
            condition, names, values = self._at_version(int(expected_version), live=True)
            return self._conditional_put(
                clean,
                int(expected_version) + 1,
                condition,
                names,
                values,
                f"{self.spec.name}: {key} changed since version {expected_version} was read (or does not exist)",
            )
        # Unconditional: the new version is one more than the stored one. Read it, then write only if it
        # is still that version; a concurrent writer makes us re-read, so versions never repeat.
        for _ in range(_PUT_ATTEMPTS):
            current = self._raw_get(key)
            try:
                if current is None:
                    return self._conditional_put(
                        clean, 1, "attribute_not_exists(#pk)", {"#pk": self.spec.pk}, {}, "raced"
                    )
                live_version = 0 if is_expired(self.spec, current, self._now()) else int(current[VERSION])
                condition, names, values = self._at_version(int(current[VERSION]), live=False)
                return self._conditional_put(clean, live_version + 1, condition, names, values, "raced")
            except ConflictError:
                continue
        raise ConflictError(f"{self.spec.name}: {key} kept changing; gave up after {_PUT_ATTEMPTS} attempts")

    def add(
        self, key: Mapping[str, str], amounts: Mapping[str, int], *, defaults: Mapping[str, Any] | None = None
    ) -> Item:
        # One UpdateItem: ADD is atomic, so concurrent turns never lose a count and nothing is read first.
        clean_key = self.spec.key_of(key)
        names: dict[str, str] = {"#v": VERSION}
        values: dict[str, Any] = {":one": {"N": "1"}}
        adds = ["#v :one"]
        for i, (attr, amount) in enumerate(amounts.items()):
            names[f"#a{i}"] = attr
            values[f":a{i}"] = {"N": str(int(amount))}
            adds.append(f"#a{i} :a{i}")
        sets = []
        for i, (attr, value) in enumerate((defaults or {}).items()):
            if attr in amounts or attr in clean_key:
                continue
            names[f"#d{i}"] = attr
            values[f":d{i}"] = _to_dynamo({attr: value})[attr]
            sets.append(f"#d{i} = if_not_exists(#d{i}, :d{i})")
        expression = "ADD " + ", ".join(adds) + (" SET " + ", ".join(sets) if sets else "")
        response = self._call(
            "update_item",
            Key=self._key(clean_key),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return _with_version(_from_dynamo(response["Attributes"]))

    def delete(self, key: Mapping[str, str], *, expected_version: int | None = None) -> None:
        check_version(self.spec, expected_version)
        if expected_version is None:
            self._call("delete_item", Key=self._key(key))
            return
        condition, names, values = self._at_version(int(expected_version), live=True)
        kwargs: dict[str, Any] = {"ConditionExpression": condition, "ExpressionAttributeNames": names}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._call("delete_item", Key=self._key(key), **kwargs)
        except ClientError:
            raise ConflictError(
                f"{self.spec.name}: delete of {dict(key)} expected version {expected_version}, "
                "but the item changed or does not exist"
            ) from None

    def put_many(self, items: Iterable[Mapping[str, Any]]) -> None:
        latest: dict[tuple[str, ...], Item] = {}
        for item in items:  # validate all before writing any; a repeated key keeps its last item
            clean = prepare_item(self.spec, item)
            latest[tuple(self.spec.key_of(clean).values())] = clean
        versions = self._versions([self.spec.key_of(clean) for clean in latest.values()])
        # BatchWriter sends 25 items a request and resends what DynamoDB reports as unprocessed.
        with BatchWriter(self.physical_name, self._client) as writer:
            for key, clean in latest.items():
                stored = dict(clean)
                stored[VERSION] = versions.get(key, 0) + 1
                writer.put_item(Item=_to_dynamo(stored))

    def _versions(self, keys: list[Item]) -> dict[tuple[str, ...], int]:
        """Live versions of ``keys`` (BatchGetItem, 100 keys a request)."""
        found: dict[tuple[str, ...], int] = {}
        projection = ", ".join(["#v", "#pk"] + (["#sk"] if self.spec.sk else []) + (["#ttl"] if self.spec.ttl else []))
        names = self._names(v=VERSION, pk=self.spec.pk, sk=self.spec.sk, ttl=self.spec.ttl)
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {
                self.physical_name: {
                    "Keys": [self._key(k) for k in keys[start : start + 100]],
                    "ConsistentRead": True,
                    "ProjectionExpression": projection,
                    "ExpressionAttributeNames": names,
                }
            }
            attempt = 0
            while request:
                try:
                    response = self._client.batch_get_item(RequestItems=request)
                except ClientError as exc:
                    raise StorageError(f"{self.spec.name}: DynamoDB batch_get_item failed: {exc}") from exc
                for raw in response.get("Responses", {}).get(self.physical_name, []):
                    item = _with_version(_from_dynamo(raw))
                    if not is_expired(self.spec, item, self._now()):
                        found[tuple(self.spec.key_of(item).values())] = int(item[VERSION])
                request = response.get("UnprocessedKeys") or {}
                if request:  # throttled: back off before asking for the rest
                    time.sleep(min(0.05 * 2**attempt, 2.0))
                    attempt += 1
        return found

    def query(
        self,
        pk_value: str,
        *,
        index: str | None = None,
        sort: SortCondition | None = None,
        limit: int | None = None,
        descending: bool = False,
        cursor: str | None = None,
    ) -> Page:
        pk_attr, sk_attr = check_query(self.spec, pk_value, index, sort, limit)
        names = {"#p": pk_attr}
        values: dict[str, Any] = {":p": {"S": pk_value}}
        condition = "#p = :p"
        if sort is not None:
            names["#s"] = sk_attr or ""
            values[":s"] = {"S": sort.value}
            if sort.op == "begins_with":
                condition += " AND begins_with(#s, :s)"
            elif sort.op == "between":
                condition += " AND #s BETWEEN :s AND :u"
                values[":u"] = {"S": sort.upper or ""}
            else:
                ops = {"eq": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
                condition += f" AND #s {ops[sort.op]} :s"
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ScanIndexForward": not descending}
        live, ttl_names, ttl_values = self._not_expired()
        if live:
            kwargs["FilterExpression"] = live
            names.update(ttl_names)
            values.update(ttl_values)
        kwargs["ExpressionAttributeNames"] = names
        kwargs["ExpressionAttributeValues"] = values
        if index is not None:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = True  # only the table itself offers consistent reads
        start = self._start_key(cursor) if cursor else None
        items: list[Item] = []
        # DynamoDB applies Limit before the TTL filter; keep asking for what is still missing so a page
        # holds ``limit`` live items whenever that many exist.
        while True:
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            if limit is not None:
                kwargs["Limit"] = limit - len(items)
            response = self._call("query", **kwargs)
            items.extend(_with_version(_from_dynamo(raw)) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if start is None or (limit is not None and len(items) >= limit):
                break
        return Page(items, encode_cursor({"after": start}) if start else None)

    def _start_key(self, cursor: str) -> dict[str, Any]:
        after = decode_cursor(self.spec, cursor).get("after")
        if not isinstance(after, dict) or not all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in after.values()
        ):
            raise ValueError(f"{self.spec.name}: query cursor {cursor!r} does not belong to this query")
        return after


class S3BlobStore(BlobStore):
    """One S3 bucket (``physical_name``) holding logical bucket ``name``."""

    def __init__(self, client: Any, name: str, physical_name: str):
        self._client = client
        self.name = name
        self.physical_name = physical_name

    def _fail(self, action: str, key: str, exc: ClientError) -> StorageError:
        return StorageError(f"S3 {action} of {self.physical_name}/{key} failed: {_code(exc) or exc}")

    def put(
        self,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"blob {self.name}/{key}: data must be bytes, got {type(data).__name__}")
        try:
            self._client.put_object(
                Bucket=self.physical_name,
                Key=check_blob_key(key),
                Body=bytes(data),
                ContentType=content_type,
                Metadata=dict(metadata or {}),
            )
        except ClientError as exc:
            raise self._fail("put", key, exc) from exc

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.physical_name, Key=check_blob_key(key))
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                raise NotFoundError(f"blob {self.name}/{key} does not exist") from None
            raise self._fail("get", key, exc) from exc
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.physical_name, Key=check_blob_key(key))
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._fail("head", key, exc) from exc
        return True

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.physical_name, Key=check_blob_key(key))
        except ClientError as exc:
            raise self._fail("delete", key, exc) from exc

    def list(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.physical_name, Prefix=prefix
            ):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        except ClientError as exc:
            raise self._fail("list", prefix + "*", exc) from exc
        return sorted(keys)

    def url(self, key: str, expires_in: int = 86400) -> str:
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.physical_name, "Key": check_blob_key(key)}, ExpiresIn=expires_in
        )


class DynamoStore(Store):
    """Tables in DynamoDB and blobs in S3, named by ``namer`` (the ``runtime: aws`` store).

    boto3 clients are thread-safe, so one client of each serves every table and thread. Endpoints
    follow boto3's own configuration (``AWS_ENDPOINT_URL`` for a local DynamoDB/S3, for example).
    """

    def __init__(
        self,
        namer: ResourceNamer,
        region: str | None = None,
        now: Now = time.time,
        session: boto3.session.Session | None = None,
    ):
        self.namer = namer
        self._session = session or boto3.session.Session(region_name=region)
        self._region = region
        self._now = now
        self._lock = threading.Lock()
        self._dynamodb: Any = None
        self._s3: Any = None
        self._tables: dict[str, DynamoTable] = {}
        self._blobs: dict[str, S3BlobStore] = {}

    @property
    def dynamodb(self) -> Any:
        """The DynamoDB client (created on first use)."""
        with self._lock:
            if self._dynamodb is None:
                self._dynamodb = self._session.client("dynamodb", region_name=self._region)
            return self._dynamodb

    @property
    def s3(self) -> Any:
        """The S3 client (created on first use)."""
        with self._lock:
            if self._s3 is None:
                # SigV4 presigned URLs: required for KMS-encrypted objects, and valid in every region.
                self._s3 = self._session.client("s3", region_name=self._region, config=Config(signature_version="s3v4"))
            return self._s3

    def table(self, spec: TableSpec | str) -> DynamoTable:
        spec = resolve_spec(spec)
        client = self.dynamodb
        with self._lock:
            table = self._tables.get(spec.name)
            if table is None or table.spec != spec:
                table = self._tables[spec.name] = DynamoTable(client, spec, self.namer.table(spec.name), self._now)
            return table

    def blobs(self, bucket: str) -> BlobStore:
        check_bucket(bucket)
        client = self.s3
        with self._lock:
            if bucket not in self._blobs:
                self._blobs[bucket] = S3BlobStore(client, bucket, self.namer.bucket(bucket))
            return self._blobs[bucket]

    def close(self) -> None:
        with self._lock:
            for client in (self._dynamodb, self._s3):
                if client is not None:
                    client.close()
            self._dynamodb = self._s3 = None
            self._tables.clear()
            self._blobs.clear()


def table_definition(spec: TableSpec, physical_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments for ``spec``: string keys, GSIs projecting all attributes, on-demand.

    This is the shape Terraform's ``aws_dynamodb_table`` must declare (``hash_key``/``range_key``,
    one ``attribute`` per key attribute, one ``global_secondary_index`` per index, ``ttl``).
    """
    spec = check_spec(spec)
    attributes: list[str] = []

    def key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": pk, "KeyType": "HASH"}]
        if sk is not None:
            schema.append({"AttributeName": sk, "KeyType": "RANGE"})
        for attr in (pk, sk):
            if attr is not None and attr not in attributes:
                attributes.append(attr)
        return schema

    definition: dict[str, Any] = {
        "TableName": physical_name,
        "KeySchema": key_schema(spec.pk, spec.sk),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.pk, index.sk),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    definition["AttributeDefinitions"] = [{"AttributeName": attr, "AttributeType": "S"} for attr in attributes]
    return definition


def create_tables(client: Any, namer: ResourceNamer, specs: Iterable[TableSpec] | None = None) -> list[str]:
    """Create the tables (default: every declared one) with their indexes and TTL; returns their names.

    For tests under moto and experiments against a scratch account or DynamoDB Local: production
    tables come from Terraform. Existing tables are left as they are.
    """
    names = []
    for spec in all_tables().values() if specs is None else specs:
        definition = table_definition(spec, namer.table(spec.name))
        name = definition["TableName"]
        try:
            client.create_table(**definition)
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        ttl = client.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        if spec.ttl is not None and ttl.get("AttributeName") != spec.ttl:
            # DynamoDB refuses to "enable" a TTL that is already on, so only change what differs.
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl}
            )
        names.append(name)
    return names


def create_buckets(client: Any, namer: ResourceNamer, region: str, buckets: Iterable[str] = BUCKETS) -> list[str]:
    """Create the blob buckets (tests under moto and experiments; production buckets come from Terraform)."""
    names = []
    for bucket in buckets:
        name = namer.bucket(check_bucket(bucket))
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**kwargs)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        names.append(name)
    return names
