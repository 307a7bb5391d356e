"""Long-term memory: one contract, two adapters (SQLite FTS5 locally, Bedrock AgentCore Memory at the SDK
boundary), and the flow — a phase's facts are extracted at its end, carried into the next phase's task (and
what the crew writes), searchable with ``search_memory`` and ``/project memory``, shared across projects,
deleted with ``/project memory NAME forget``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.projects.memory import AgentCoreMemory, LongTermMemory, Memory, SqliteMemory
from plugins.projects.service import project_service
from tests.projects.agentcore_fake import MEMORY_ID, FakeAgentCore
from tests.projects.conftest import SOW_WITHOUT_TIMELINE, new_project, project_named


@pytest.fixture(params=["sqlite", "agentcore"])
def memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LongTermMemory]:
    if request.param == "sqlite":
        local = SqliteMemory(tmp_path / "memory.sqlite3")
        yield local
        local.close()
    else:
        yield AgentCoreMemory(FakeAgentCore().client, MEMORY_ID)


def remembered(project_id: str, *texts: tuple[str, str]) -> list[Memory]:
    return [Memory(project_id, project_id.title(), kind, text, "Discovery") for kind, text in texts]


def test_contract_add_remembers_each_memory_once(memory: LongTermMemory) -> None:
    first = remembered("acme", ("fact", "Timeline: go-live by 1 March"), ("decision", "Use DynamoDB for orders"))
    assert memory.add(first) == 2
    assert memory.add([*first, *remembered("acme", ("lesson", "Ask for the timeline early"))]) == 1
    assert [(m.kind, m.text) for m in memory.list("acme")] == [
        ("fact", "Timeline: go-live by 1 March"),
        ("decision", "Use DynamoDB for orders"),
        ("lesson", "Ask for the timeline early"),
    ]
    assert {m.project for m in memory.list("acme")} == {"Acme"} and memory.list("beta") == []


def test_contract_search_ranks_by_relevance_within_a_project_or_across_all(memory: LongTermMemory) -> None:
    memory.add(
        remembered(
            "acme",
            ("fact", "The customer's data must stay in the EU region"),
            ("decision", "Orders are stored in DynamoDB with point-in-time recovery"),
            ("fact", "Timeline: go-live by 1 March"),
        )
    )
    memory.add(remembered("beta", ("lesson", "Data residency in the EU region needs a legal review")))
    best = memory.search("where must the data stay? EU region", project_id="acme", limit=2)
    assert best[0].text == "The customer's data must stay in the EU region"
    assert all(m.project_id == "acme" for m in best) and len(best) <= 2
    assert best[0].score is not None
    everywhere = memory.search("data residency EU region", limit=5)
    assert {m.project_id for m in everywhere} == {"acme", "beta"}
    assert memory.search("kubernetes helm", project_id="acme") == []
    assert memory.search("   ") == []


def test_contract_forget_deletes_one_project(memory: LongTermMemory) -> None:
    memory.add(remembered("acme", *[("fact", f"Fact number {n} about payments") for n in range(5)]))
    memory.add(remembered("beta", ("fact", "Payments go through Stripe")))
    assert len(memory.list("acme")) == 5  # more than one page from AgentCore
    assert memory.forget("acme") == 5
    assert memory.list("acme") == [] and memory.search("payments", project_id="acme") == []
    assert [m.text for m in memory.search("payments")] == ["Payments go through Stripe"]


def test_the_agentcore_adapter_writes_one_namespace_per_project() -> None:
    fake = FakeAgentCore()
    memory = AgentCoreMemory(fake.client, MEMORY_ID)
    memory.add(remembered("acme", ("fact", "Timeline: go-live by 1 March")))
    [record] = fake.records.values()
    assert record["namespaces"] == ["/projects/acme/"]
    assert record["metadata"]["kind"] == {"stringValue": "fact"}
    assert fake.calls == ["ListMemoryRecords", "BatchCreateMemoryRecords"]  # known texts are not sent again


def test_memory_is_carried_from_discovery_into_architecture_and_shared(emu: Any) -> None:
    new_project(emu, sow=SOW_WITHOUT_TIMELINE)
    emu.play("""
        click Answer
        submit answer="Go-live by 1 March, in 8 weeks"
        expect Discovery is ready for review
        /project memory Acme store
        expect [fact] Timeline: Go-live by 1 March, in 8 weeks (Acme store, Discovery)
        click Approve
        submit quality=5
        expect Architecture is ready for review
        expect Carried in from long-term memory
        expect Go-live by 1 March, in 8 weeks
    """)
    project = project_named(emu)
    service = project_service(emu.crewbot)
    [run] = service.items.runs(project.project_id, "architecture")
    assert any("Go-live by 1 March" in line for line in run["memory"])
    # The SA looked it up with search_memory and wrote it into the architecture document.
    document = service.artifacts(project.project_id).read("docs/architecture/architecture.md")
    assert "From long-term memory:" in document and "Go-live by 1 March, in 8 weeks (Discovery)" in document
    # Another project of the organisation finds it too (labelled with its project).
    new_project(emu, name="Beta shop")
    found = emu.command("/project memory Beta shop go-live timeline").text
    assert "From other projects" in found and "Timeline: Go-live by 1 March, in 8 weeks (Acme store" in found
    # Deleting: approvers only, audited.
    emu.act_as("alice")
    assert "only the approvers" in emu.command("/project memory Acme store forget").text
    emu.act_as("dev")
    assert "Deleted" in emu.command("/project memory Acme store forget").text
    assert "no long-term memory yet" in emu.command("/project memory Acme store").text
    audit = emu.crewbot.records.audit.for_scope(f"project#{project.project_id}")
    assert "memory_forgotten" in [e.action for e in audit]


def test_with_a_model_the_pm_extracts_the_memories(emu: Any) -> None:
    from bot.agents.model_events import ToolCall
    from bot.agents.scripted import ScriptedModel
    from plugins.projects.memory import extract

    new_project(emu)
    project = project_named(emu)
    script = ScriptedModel(
        [
            ToolCall(
                "Extracted",
                {
                    "memories": [
                        {"kind": "decision", "text": "Orders live in DynamoDB"},
                        {"kind": "opinion", "text": "The customer likes short reports"},
                        {"kind": "lesson", "text": "  "},
                    ]
                },
            ),
            "done",
        ]
    )
    emu.crewbot.agents.models.override("nova-lite", lambda: script)
    found = extract(emu.crewbot, project, "discovery", "")
    assert [(m.kind, m.text, m.phase) for m in found] == [
        ("decision", "Orders live in DynamoDB", "Discovery"),
        ("fact", "The customer likes short reports", "Discovery"),  # an unknown kind is kept as a fact
    ]
    assert "Task ledger:" in str(script.requests[0].messages)


def test_in_aws_without_an_agentcore_memory_nothing_is_kept_on_the_lambdas_disk(tmp_path: Path) -> None:
    from bot.runtime import start
    from plugins.projects.memory import NO_MEMORY_IN_AWS, memory_of

    environ = {"CREWBOT_HOME": str(tmp_path), "CREWBOT_RUNTIME": "aws", "AWS_DEFAULT_REGION": "eu-west-1"}
    crewbot = start(environ=environ, setup_logging=False)
    memory = memory_of(crewbot)
    assert memory.unavailable == NO_MEMORY_IN_AWS
    assert memory.add([Memory("p1", "Acme", "fact", "Go-live in March")]) == 0
    assert memory.search("go-live") == [] and memory.list("p1") == []
    assert not (tmp_path / "memory").exists(), "no index in the container's home"

    configured = start(
        environ={**environ, "CREWBOT_PLUGINS__SETTINGS__PROJECTS__MEMORY__MEMORY_ID": MEMORY_ID},
        setup_logging=False,
    )
    assert isinstance(memory_of(configured), AgentCoreMemory)
