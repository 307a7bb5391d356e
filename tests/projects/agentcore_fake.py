"""Amazon Bedrock AgentCore Memory at the SDK boundary: a real boto3 ``bedrock-agentcore`` client whose calls
are answered by botocore's Stubber (moto has no AgentCore). Each response is computed from what was stored
— a small in-memory model of the service: namespace prefixes, a term-overlap score standing in for its
semantic ranking, pagination — and queued just before the call. botocore validates every request against the
published service model in its data, and the Stubber validates every response against the output shape, so
the adapter cannot send or expect anything the real API would not."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore import xform_name
from botocore.stub import Stubber

MEMORY_ID = "crewbot_projects-a1b2c3d4e5"
PAGE = 2  # small pages, so the adapter's pagination is exercised


def _terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


class FakeAgentCore:
    """One AgentCore Memory (``MEMORY_ID``) behind a stubbed client; ``calls`` lists the operations made."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "bedrock-agentcore",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.stubber = Stubber(self.client)
        self.records: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self._ids = itertools.count(1)
        self.client.meta.events.register("provide-client-params.bedrock-agentcore.*", self._answer)
        self.stubber.activate()

    def _answer(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        self.calls.append(operation)
        assert params.get("memoryId") == MEMORY_ID, params
        handler = getattr(self, f"_{operation}")
        self.stubber.add_response(xform_name(operation), handler(params), expected_params=None)

    def _in(self, namespace: str) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if any(n.startswith(namespace) for n in r["namespaces"])]

    def _BatchCreateMemoryRecords(self, params: dict[str, Any]) -> dict[str, Any]:
        done = []
        for record in params["records"]:
            record_id = f"mem-{next(self._ids):036d}"  # the model: 40 to 50 characters
            self.records[record_id] = {
                "memoryRecordId": record_id,
                "content": dict(record["content"]),
                "memoryStrategyId": "crewbot",
                "namespaces": list(record["namespaces"]),
                "createdAt": datetime.now(UTC),
                "timestamp": record["timestamp"],
                "metadata": dict(record.get("metadata") or {}),
            }
            done.append(
                {"memoryRecordId": record_id, "status": "SUCCEEDED", "requestIdentifier": record["requestIdentifier"]}
            )
        return {"successfulRecords": done, "failedRecords": []}

    def _RetrieveMemoryRecords(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = _terms(params["searchCriteria"]["searchQuery"])
        scored = []
        for record in self._in(params["namespace"]):
            overlap = len(wanted & _terms(record["content"]["text"]))
            if overlap:
                scored.append({**record, "score": overlap / max(len(wanted), 1)})
        scored.sort(key=lambda r: -r["score"])
        return {"memoryRecordSummaries": scored[: params["searchCriteria"].get("topK", 10)]}

    def _ListMemoryRecords(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self._in(params["namespace"])
        start = int(params.get("nextToken") or 0)
        page: dict[str, Any] = {"memoryRecordSummaries": found[start : start + PAGE]}
        if start + PAGE < len(found):
            page["nextToken"] = str(start + PAGE)
        return page

    def _BatchDeleteMemoryRecords(self, params: dict[str, Any]) -> dict[str, Any]:
        done = []
        for record in params["records"]:
            if self.records.pop(record["memoryRecordId"], None) is not None:
                done.append({"memoryRecordId": record["memoryRecordId"], "status": "SUCCEEDED"})
        return {"successfulRecords": done, "failedRecords": []}
