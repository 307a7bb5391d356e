"""Every registered workflow becomes a state machine whose placeholders are all bound, and whose role
may do exactly what its Task resources need."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.deploy import Catalog
from tests.infra.conftest import TF, WORKFLOWS, TerraformFailed, parse, unquote

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def _definitions() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.asl.json"))


def test_every_definition_is_deployed_with_all_placeholders_bound(evaluated: dict[str, Any], catalog: Catalog) -> None:
    workflows = evaluated["catalog"]["workflows"]
    assert sorted(workflows) == sorted(catalog.workflows)
    # The shipped plugins register every shipped definition.
    assert sorted(workflows) == sorted(p.name.removesuffix(".asl.json") for p in _definitions())
    bindings = evaluated["catalog"]["workflow_bindings"]
    for path in _definitions():
        found = set(PLACEHOLDER.findall(path.read_text(encoding="utf-8")))
        name = path.name.removesuffix(".asl.json")
        assert found == set(workflows[name]["placeholders"]), f"{path.name}: Terraform sees other placeholders"
        assert found <= set(bindings), f"{path.name}: unbound placeholders {sorted(found - set(bindings))}"
        rendered = json.loads(evaluated["rendered"][name])
        assert "${" not in json.dumps(rendered), f"{path.name}: a placeholder survived templatefile"


def test_each_task_has_its_function(evaluated: dict[str, Any]) -> None:
    functions = evaluated["catalog"]["functions"]
    for task, function in evaluated["catalog"]["workflow_tasks"].items():
        assert function in functions, f"task {task} needs function {function} in the catalog"
        assert functions[function]["trigger"] == "workflow_task"
        assert functions[function]["environment"]["CREWBOT_WORKFLOW_TASK"] == task


def test_the_state_machines_module_renders_the_catalog_bindings() -> None:
    text = (TF / "modules" / "state_machines" / "main.tf").read_text(encoding="utf-8")
    assert "definition = templatefile(each.value.file, var.bindings)" in text
    (module,) = [b['"state_machines"'] for b in parse(TF / "main.tf")["module"] if '"state_machines"' in b]
    args = unquote(module)
    assert args["bindings"] == "${module.catalog.workflow_bindings}"
    assert args["workflows"] == "${module.catalog.workflows}"
    assert args["statements"] == "${module.catalog.states_statements}"


ASL = {
    "StartAt": "Load",
    "States": {
        "Load": {"Type": "Task", "Resource": "${LoadMeetingFunctionArn}", "Next": "Ask"},
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "${AskUserFunctionArn}", "Payload": {"token.$": "$$.Task.Token"}},
            "Next": "Announce",
        },
        "Announce": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [
                    {"EventBusName": "${EventBusName}", "DetailType": "PrepReady", "Source": "crewbot", "Detail": {}}
                ]
            },
            "Next": "Remind",
        },
        "Remind": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:scheduler:createSchedule",
            "Parameters": {"GroupName": "${ScheduleGroupName}", "Name.$": "$.id"},
            "End": True,
        },
    },
}
TASK_FUNCTIONS: dict[str, Any] = {
    "functions": {
        "task_load_meeting": {
            "handler": "bot.workflows.x.handler",
            "description": "Load",
            "trigger": "workflow_task",
            "tables_read": ["meetings"],
        },
        "task_ask_user": {
            "handler": "bot.workflows.x.handler",
            "description": "Ask",
            "trigger": "workflow_task",
            "task_callback": True,
        },
    }
}


@pytest.fixture
def workflows_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "meeting_prep.asl.json").write_text(json.dumps(ASL, indent=2), encoding="utf-8")
    return folder


def test_tasks_become_functions_and_the_role_covers_the_integrations(harness: Any, workflows_dir: Path) -> None:
    out = harness({}, catalog=TASK_FUNCTIONS, workflows=workflows_dir)
    catalog = out["catalog"]
    assert catalog["workflow_tasks"] == {"LoadMeeting": "task_load_meeting", "AskUser": "task_ask_user"}
    rendered = json.loads(out["rendered"]["meeting_prep"])
    arns = catalog["arns"]
    # Through each function's `live` alias, which a rollback moves.
    assert rendered["States"]["Load"]["Resource"] == arns["functions"]["task_load_meeting"] + ":live"
    assert rendered["States"]["Ask"]["Parameters"]["FunctionName"] == arns["functions"]["task_ask_user"] + ":live"
    assert rendered["States"]["Remind"]["Parameters"]["GroupName"] == catalog["names"]["schedule_group"]
    statements = {s["sid"]: s for s in catalog["states_statements"]}
    assert sorted(statements["InvokeTaskFunctions"]["resources"]) == sorted(
        [arns["functions"]["task_load_meeting"] + ":live", arns["functions"]["task_ask_user"] + ":live"]
    )
    assert statements["EventsPutEvents"] == {
        "sid": "EventsPutEvents",
        "actions": ["events:PutEvents"],
        "resources": [arns["event_bus"]],
    }
    assert statements["AwsSdkSchedulerCreateSchedule"]["resources"] == [arns["schedule_group"], arns["scheduler_role"]]
    assert all("*" not in a for s in statements.values() for a in s["actions"])


def test_a_task_without_a_function_fails_the_plan(harness: Any, workflows_dir: Path) -> None:
    only_one = {"functions": {"task_load_meeting": TASK_FUNCTIONS["functions"]["task_load_meeting"]}}
    with pytest.raises(TerraformFailed, match=r"Workflow tasks without a function.*task_ask_user"):
        harness({}, catalog=only_one, workflows=workflows_dir)


def test_an_unbound_placeholder_fails_the_plan(harness: Any, workflows_dir: Path) -> None:
    asl = json.loads(json.dumps(ASL))
    asl["States"]["Announce"]["Parameters"]["Entries"][0]["Source"] = "${EventSource}"
    (workflows_dir / "meeting_prep.asl.json").write_text(json.dumps(asl), encoding="utf-8")
    with pytest.raises(TerraformFailed, match=r"Unbound workflow placeholders.*EventSource"):
        harness({}, catalog=TASK_FUNCTIONS, workflows=workflows_dir)


def test_an_unmapped_integration_fails_the_plan(harness: Any, workflows_dir: Path) -> None:
    asl = json.loads(json.dumps(ASL))
    asl["States"]["Remind"]["Resource"] = "arn:aws:states:::aws-sdk:s3:deleteBucket"
    (workflows_dir / "meeting_prep.asl.json").write_text(json.dumps(asl), encoding="utf-8")
    with pytest.raises(TerraformFailed, match=r"no IAM mapping.*aws-sdk:s3:deleteBucket"):
        harness({}, catalog=TASK_FUNCTIONS, workflows=workflows_dir)
