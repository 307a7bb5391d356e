"""`crewbot deploy catalog`: what it prints and writes, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.api import Deployment, hookimpl
from bot.cli.main import main
from bot.deploy import CatalogError, build_catalog
from bot.runtime import start


def test_json_is_the_catalog_terraform_reads(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CREWBOT_HOME", str(tmp_path))
    assert main(["deploy", "catalog", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"functions", "tasks", "queues", "workflows", "schedules", "event_rules", "tables", "iam"}
    assert data["functions"]["task_load_meeting"]["tables_read"] == ["meetings", "users"]
    assert data["iam"]["task_load_meeting"] == {
        "table_read": ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"]
    }
    assert data["event_rules"]["meeting-prep-start"]["function"] == "event_meeting_prep_start"


def test_output_writes_the_file_and_the_workflows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CREWBOT_HOME", str(tmp_path / "home"))
    assert main(["deploy", "catalog", "--output", str(tmp_path / "pkg")]) == 0
    data = json.loads((tmp_path / "pkg" / "catalog.json").read_text(encoding="utf-8"))
    for entry in data["workflows"].values():
        assert (tmp_path / "pkg" / entry["file"]).is_file()
    assert main(["deploy", "catalog"]) == 0
    assert "task_load_meeting" in capsys.readouterr().out


def _with(plugin: object, tmp_path: Path) -> object:
    environ = {"CREWBOT_HOME": str(tmp_path)}
    return start(env="dev", environ=environ, extra_plugins=[("extra", plugin)], setup_logging=False)


def test_a_declaration_for_nothing_registered_is_refused(tmp_path: Path) -> None:
    @hookimpl
    def register_deployment() -> list[Deployment]:
        return [Deployment("workflow_task", "NoSuchTask", tables_read=("users",))]

    crewbot = _with(SimpleNamespace(register_deployment=register_deployment), tmp_path)
    with pytest.raises(CatalogError, match="workflow_task NoSuchTask: declared for deployment but not registered"):
        build_catalog(crewbot)
    crewbot.close()  # type: ignore[attr-defined]


def test_declarations_add_up_and_the_bot_may_get_more(tmp_path: Path) -> None:
    @hookimpl
    def register_deployment() -> list[Deployment]:
        return [
            Deployment("workflow_task", "LoadMeeting", tables_read=("users",), timeout_s=45),
            Deployment("workflow_task", "SendMaterials", tables_read=("users",)),
            Deployment("http", "bot", sms=True),
        ]

    crewbot = _with(SimpleNamespace(register_deployment=register_deployment), tmp_path)
    catalog = build_catalog(crewbot)
    crewbot.close()  # type: ignore[attr-defined]
    load = catalog.functions["task_load_meeting"]
    assert load.tables_read == ("meetings", "users") and load.timeout_s == 45
    assert catalog.functions["task_send_materials"].tables_read == ("users",)
    assert catalog.functions["bot"].sms


def test_deployment_checks_its_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        Deployment("lambda", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Slack entry point"):
        Deployment("http", "web")
