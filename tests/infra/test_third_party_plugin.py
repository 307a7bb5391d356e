"""A plugin installed beside Crewbot deploys with no Crewbot file edited: its workflow, task, schedule and
table are in the deploy catalog, and Terraform turns them into a state machine, functions with exactly the
declared access, a schedule and a table (the full plan with a mocked provider is in test_terraform_plan.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.deploy import Catalog, function_actions
from tests.infra.conftest import ACCOUNT, run_harness


@pytest.fixture(scope="module")
def evaluated_with_plugin(tmp_path_factory: pytest.TempPathFactory, standup_catalog: tuple[Catalog, Path]) -> Any:
    variables = {"environment": "dev", "region": "eu-west-1", "account_id": ACCOUNT}
    return run_harness(tmp_path_factory.mktemp("tf-standup"), {**variables, "catalog_file": str(standup_catalog[1])})


def test_the_plugin_s_registrations_are_in_the_catalog(standup_catalog: tuple[Catalog, Path], catalog: Catalog) -> None:
    with_plugin, file = standup_catalog
    task = with_plugin.functions["task_collect_standup"]
    assert (task.trigger, task.handler) == ("workflow_task", "bot.entrypoints.workflows.handler")
    assert task.tables_write == ("standups",) and not task.secrets and not task.bedrock
    schedule = with_plugin.functions["schedule_standup_reminder"]
    assert schedule.environment == {"CREWBOT_SCHEDULE": "standup-reminder"}
    assert schedule.state_machines_start == ("standup",)
    assert with_plugin.schedules["standup-reminder"]["expression"] == "cron(0 9 ? * MON-FRI *)"
    assert with_plugin.workflows["standup"].tasks == ("CollectStandup",)
    assert with_plugin.tables["standups"].pk == "team"
    # The Slack entry point may reach the plugin's data and start its workflow like any other.
    assert "standups" in with_plugin.functions["bot"].tables_write
    assert "standup" in with_plugin.functions["bot"].state_machines_start
    # Nothing else changed, and nothing of it is left once the plugin is gone.
    extra = set(with_plugin.functions) - set(catalog.functions)
    assert extra == {"task_collect_standup", "schedule_standup_reminder"}
    assert "standups" not in catalog.tables and "standup" not in catalog.workflows
    written = json.loads(file.read_text(encoding="utf-8"))
    assert (file.parent / written["workflows"]["standup"]["file"]).is_file()
    assert written["iam"]["task_collect_standup"] == {
        kind: list(actions) for kind, actions in function_actions(task).items()
    }


def test_terraform_deploys_them_with_least_privilege(evaluated_with_plugin: Any) -> None:
    out = evaluated_with_plugin["catalog"]
    arns = out["arns"]
    task = out["functions"]["task_collect_standup"]
    assert task["environment"]["CREWBOT_WORKFLOW_TASK"] == "CollectStandup"
    statements = {s["sid"]: s["resources"] for s in task["statements"]}
    table = arns["tables"]["standups"]
    assert statements == {"TableRead": [table, f"{table}/index/*"], "TableWrite": [table]}
    assert out["names"]["tables"]["standups"] == "crewbot-dev-standups"
    assert out["tables"]["standups"]["attributes"] == ["team", "day"]
    rendered = json.loads(evaluated_with_plugin["rendered"]["standup"])
    assert rendered["States"]["CollectStandup"]["Resource"] == arns["functions"]["task_collect_standup"] + ":live"
    schedule = out["functions"]["schedule_standup_reminder"]
    starts = {s["sid"]: s["resources"] for s in schedule["statements"]}["StateMachineStart"]
    assert arns["state_machines"]["standup"] in starts
    assert evaluated_with_plugin["declared"]["schedules"]["standup-reminder"]["function"] == "schedule_standup_reminder"
