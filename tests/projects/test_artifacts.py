"""Scoped artifact writes: each agent writes only under its own directories; '..', absolute paths, hidden
files and symbolic links are refused — in the store, and as a tool error result the agent sees."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.agents.model_events import ToolCall
from bot.agents.scripted import ScriptedModel
from plugins.projects.artifacts import ArtifactScopeError, BlobArtifactStore, GitArtifactStore, check_write_scope
from plugins.projects.service import project_service
from tests.projects.conftest import new_project, project_named


@pytest.mark.parametrize(
    ("agent", "path", "reason"),
    [
        ("sa", "infra/main.tf", "sa may write only under docs/architecture/, docs/handoff/"),
        ("infra", "docs/architecture/x.md", "outside that scope"),
        ("sa", "../outside.md", "'..' is not allowed"),
        ("sa", "docs/architecture/../../infra/x.tf", "'..' is not allowed"),
        ("pm", "/etc/passwd", "absolute path"),
        ("pm", "docs\\project-plan\\x.md", "forward slashes"),
        ("qa", "tests/.git/config", "hidden files"),
        ("intruder", "docs/x.md", "may not write project artifacts"),
    ],
)
def test_writes_outside_scope_are_refused(tmp_path: Path, agent: str, path: str, reason: str) -> None:
    store = GitArtifactStore("p1", tmp_path / "repo")
    with pytest.raises(ArtifactScopeError, match=reason.replace("(", r"\(").replace(".", r"\.")):
        store.write(agent, path, "content")
    assert store.files() == []


def test_scoped_writes_are_commits(tmp_path: Path) -> None:
    store = GitArtifactStore("p1", tmp_path / "repo")
    store.write("sa", "docs/architecture/overview.md", "# Overview", "sa: overview")
    store.write("infra", "infra/main.tf", "terraform {}")
    assert store.files() == ["docs/architecture/overview.md", "infra/main.tf"]
    assert store.read("infra/main.tf") == "terraform {}"
    assert [(c.author, c.path) for c in store.history()] == [
        ("infra", "infra/main.tf"),
        ("sa", "docs/architecture/overview.md"),
    ]
    assert store.url("infra/main.tf").startswith("file://")
    assert check_write_scope("sa", "./docs//architecture/a.md") == "docs/architecture/a.md"


def test_a_symbolic_link_out_of_the_repository_is_not_followed(tmp_path: Path) -> None:
    store = GitArtifactStore("p1", tmp_path / "repo")
    store.write("infra", "infra/main.tf", "terraform {}")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / "repo" / "infra" / "modules")
    with pytest.raises(ArtifactScopeError, match="symbolic link"):
        store.write("infra", "infra/modules/evil.tf", "x")
    assert list(outside.iterdir()) == []


def test_the_blob_adapter_keeps_files_and_a_commit_log(crewbot_emulator_factory: Any) -> None:
    crewbot = crewbot_emulator_factory().crewbot
    store = BlobArtifactStore("p9", crewbot.store.blobs("artifacts"), crewbot.clock.now)
    store.write("dev", "app/README.md", "# App")
    with pytest.raises(ArtifactScopeError):
        store.write("dev", "infra/x.tf", "x")
    assert store.files() == ["app/README.md"] and store.read("app/README.md") == "# App"
    assert [c.author for c in store.history()] == ["dev"]


def test_the_agent_sees_the_refusal_as_its_tool_result(emu: Any) -> None:
    """A scripted PM writes into the SA's directory and with '..': both refused, the agent reads why."""
    script = ScriptedModel(
        [
            [
                ToolCall("write_artifact", {"path": "docs/architecture/sneaky.md", "content": "x"}),
                ToolCall("write_artifact", {"path": "../escape.md", "content": "x"}),
            ],
            ToolCall("write_artifact", {"path": "docs/project-plan/plan.md", "content": "# Plan"}),
            ToolCall("handoff_to_agent", {"agent_name": "sa", "message": "your turn"}),
            "pm done",
            "sa done",
        ]
    )
    emu.crewbot.agents.models.override("offline", lambda: script)
    new_project(emu)
    pm_after_writes = script.requests[1].messages[-1]["content"]
    errors = [b["toolResult"] for b in pm_after_writes if b["toolResult"]["status"] == "error"]
    texts = " ".join(c.get("text", "") for e in errors for c in e["content"])
    assert len(errors) == 2
    assert "pm may write only under docs/project-plan/" in texts and "'..' is not allowed" in texts
    # The Swarm went on: the allowed write is committed, SA ran after the hand-off, the gate is up.
    assert "Phase: discovery" in " ".join(b.get("text", "") for b in script.requests[0].messages[0]["content"])
    assert script.requests[4].tool_names.count("handoff_to_agent") == 1
    project = project_named(emu)
    assert project_service(emu.crewbot).artifacts(project.project_id).files() == [
        "docs/phases/discovery-summary.md",
        "docs/project-plan/plan.md",
    ]
    refusals = emu.crewbot.records.audit.for_scope(f"project#{project.project_id}")
    assert {e.target for e in refusals if e.action == "artifact_write_refused"} == {
        "docs/architecture/sneaky.md",
        "../escape.md",
    }
    assert "Discovery of Acme store is ready for review" in emu.fake.outputs[-1].message.text
