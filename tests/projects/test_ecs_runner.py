"""``phase_runner: ecs``: the RunProjectPhase task starts a Fargate task (moto's ECS) with
``crewbot projects run-phase``, and that command — in another process, on the same store — runs the
Swarm and answers the token, so the workflow moves on to the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.cli.main import main
from plugins.projects.launchers import LaunchError, launch_on_ecs, run_phase_command
from plugins.projects.service import project_service
from tests.projects.conftest import new_project, project_named

CONFIG = """
aws:
  region: eu-west-1
models:
  default: offline      # moto's fake AWS credentials must not make Bedrock look usable
plugins:
  settings:
    projects:
      phase_runner: ecs
      ecs:
        cluster: crew
        task_definition: crewbot-phase
        container: crewbot
        subnets: [SUBNET]
        security_groups: [GROUP]
"""


@pytest.fixture
def ecs() -> Any:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # moto 5.2 describes a Fargate task's network interface by its DNS name: the VPC needs DNS hostnames.
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="crew", Description="crew", VpcId=vpc)["GroupId"]
        client = boto3.client("ecs", region_name="eu-west-1")
        client.create_cluster(clusterName="crew")
        client.network = (subnet, group)
        client.register_task_definition(
            family="crewbot-phase",
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="1024",
            memory="2048",
            containerDefinitions=[{"name": "crewbot", "image": "crewbot:latest", "memory": 2048}],
        )
        yield client


def test_a_phase_runs_in_a_fargate_task(
    ecs: Any,
    crewbot_emulator_factory: Any,
    crewbot_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "crewbot.yaml"
    subnet, group = ecs.network
    config.write_text(CONFIG.replace("SUBNET", subnet).replace("GROUP", group), encoding="utf-8")
    emu = crewbot_emulator_factory(config_file=config)
    turn = new_project(emu)
    assert "*Discovery* started" in turn.text and "ready for review" not in turn.text
    project = project_named(emu)
    service = project_service(emu.crewbot)
    [run] = service.items.runs(project.project_id, "discovery")
    assert run["status"] == "running"
    [task] = ecs.describe_tasks(cluster="crew", tasks=[run["ecs_task"]])["tasks"]
    command = task["overrides"]["containerOverrides"][0]["command"]
    assert command == run_phase_command(project.project_id, run["item_id"], False)
    assert not any("token" in part.lower() for part in command)

    # The Fargate task: the CLI in its own runtime on the same data.
    monkeypatch.setenv("CREWBOT_HOME", str(crewbot_home))
    code = main(
        ["--config", str(config), "projects", "run-phase", "--project", project.project_id, "--run", run["item_id"]]
    )
    assert code == 0 and f"{run['item_id']}: completed" in capsys.readouterr().out
    assert service.items.runs(project.project_id, "discovery")[0]["status"] == "completed"
    [gate] = service.items.gates(project.project_id)
    assert gate["phase"] == "discovery" and gate["status"] == "pending"
    assert (
        main(
            ["--config", str(config), "projects", "run-phase", "--project", project.project_id, "--run", "run#nope#001"]
        )
        == 1
    )


def test_ecs_refusing_the_task_is_a_clear_error(ecs: Any, crewbot_emulator_factory: Any) -> None:
    class Settings:
        cluster, task_definition, container = "crew", "crewbot-phase", "crewbot"
        subnets, security_groups, assign_public_ip = ["subnet-1"], ["sg-1"], False

    class Refusing:
        def run_task(self, **kwargs: Any) -> dict[str, Any]:
            return {"tasks": [], "failures": [{"arn": "arn:cluster/crew", "reason": "MISSING"}]}

    crewbot = crewbot_emulator_factory().crewbot
    with pytest.raises(LaunchError, match="MISSING"):
        launch_on_ecs(crewbot, Settings(), "p1", "run#discovery#001", False, client=Refusing())
    with pytest.raises(LaunchError, match="not configured"):
        launch_on_ecs(crewbot, None, "p1", "run#discovery#001", False)
