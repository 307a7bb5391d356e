"""The Fargate phase runner (``phase_runner = "ecs"``, modules/phase_runner): the task is declared the same
on both sides, its role and the launchers' rights are exactly what the code needs, the launchers'
environment is the projects plugin's real ``ecs`` setting, and the image runs the command the launcher
overrides it with.

Docker cannot run here: the image build itself (``make image``) is not exercised, only its recipe.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_config
from bot.config.naming import ResourceNamer
from bot.deploy import ACCESS_ACTIONS, Catalog, TaskSpec, function_actions
from plugins.projects.launchers import run_phase_command
from plugins.projects.settings import EcsRunner, Settings
from tests.infra.conftest import ACCOUNT, REPO, TF, TerraformFailed, run_harness
from tests.infra.test_functions_and_iam import _policy_kinds

DOCKERFILE = REPO / "infra" / "docker" / "phase-runner" / "Dockerfile"
VPC = {"subnet_ids": ["subnet-aaa", "subnet-bbb"], "security_group_ids": ["sg-111"]}
BASE = {"environment": "dev", "region": "eu-west-1", "account_id": ACCOUNT}
#: The functions that start phase runs: the Slack entry point (a customer's answer) and the phase task.
LAUNCHERS = ("bot", "task_run_project_phase")


@pytest.fixture(scope="module")
def ecs(tmp_path_factory: pytest.TempPathFactory, catalog_file: Path) -> dict[str, Any]:
    """The real declarations with the Fargate runner on, in a VPC."""
    variables = {**BASE, "catalog_file": str(catalog_file), "phase_runner": "ecs", "vpc": VPC}
    return run_harness(tmp_path_factory.mktemp("tf-ecs"), variables)


# -- declarations ----------------------------------------------------------------------------------


def test_terraform_declares_exactly_the_catalog_tasks(evaluated: dict[str, Any], catalog: Catalog) -> None:
    keep = set(TaskSpec("x", "d", ("crewbot",)).as_terraform())
    declared = {name: {k: v for k, v in t.items() if k in keep} for name, t in evaluated["catalog"]["tasks"].items()}
    expected = {name: spec.as_terraform() for name, spec in catalog.tasks.items()}
    assert declared == expected, "container tasks differ between the catalog and Terraform"


def test_the_phase_task_replaces_the_inline_phase_run(catalog: Catalog) -> None:
    # The task does what task_run_project_phase does inline: the same data access, no more.
    inline, task = catalog.functions["task_run_project_phase"], catalog.tasks["phase_runner"]
    assert function_actions(task) == function_actions(inline)
    for field in (
        "tables_read",
        "tables_write",
        "buckets_read",
        "buckets_write",
        "secrets",
        "bedrock",
        "task_callback",
    ):
        assert getattr(task, field) == getattr(inline, field), field
    launchers = tuple(sorted(name for name, spec in catalog.functions.items() if "phase_runner" in spec.run_tasks))
    assert launchers == LAUNCHERS


def test_task_specs_reject_what_a_task_cannot_do() -> None:
    with pytest.raises(ValueError, match="must run crewbot"):
        TaskSpec("t", "d", ("python", "-m", "x"))
    with pytest.raises(ValueError, match="invoke_self"):
        TaskSpec("t", "d", ("crewbot",), invoke_self=True)


def test_with_the_lambda_runner_nothing_may_start_a_task(evaluated: dict[str, Any]) -> None:
    assert evaluated["catalog"]["tasks"]["phase_runner"]["deployed"] is False
    for name, function in evaluated["catalog"]["functions"].items():
        assert "TaskRun" not in {s["sid"] for s in function["statements"]}, name
        assert not any(k.startswith("CREWBOT_PLUGINS__SETTINGS__PROJECTS") for k in function["environment"]), name


# -- IAM -------------------------------------------------------------------------------------------


def test_every_policy_is_its_declaration_with_the_runner_on(ecs: dict[str, Any], catalog: Catalog) -> None:
    out = ecs["catalog"]
    principals = [
        (n, f, function_actions(catalog.functions[n], tasks_deployed=True)) for n, f in out["functions"].items()
    ]
    principals += [(f"task {n}", t, function_actions(catalog.tasks[n])) for n, t in out["tasks"].items()]
    for name, principal, expected in principals:
        granted = _policy_kinds(principal["statements"])
        for kind in principal["key_kinds"]:
            granted[kind] = ACCESS_ACTIONS[kind]
        assert granted == expected, f"{name}: policy {granted} != declared {expected}"


def test_launchers_may_run_only_the_phase_task_and_pass_only_its_roles(ecs: dict[str, Any]) -> None:
    arns = ecs["catalog"]["arns"]
    prefix = f"arn:aws:ecs:eu-west-1:{ACCOUNT}"
    assert arns["task_definitions"]["phase_runner"] == f"{prefix}:task-definition/crewbot-dev-phase-runner:*"
    for name in LAUNCHERS:
        statements = {s["sid"]: s for s in ecs["catalog"]["functions"][name]["statements"]}
        run, tag, pass_role = statements["TaskRun"], statements["TaskRunTag"], statements["TaskRunPassRole"]
        assert (run["actions"], run["resources"]) == (["ecs:RunTask"], [arns["task_definitions"]["phase_runner"]])
        assert run["conditions"] == [
            {"test": "ArnEquals", "variable": "ecs:cluster", "values": [f"{prefix}:cluster/crewbot-dev-phase-runner"]}
        ]
        assert tag["actions"] == ["ecs:TagResource"]
        assert tag["resources"] == [f"{prefix}:task/crewbot-dev-phase-runner/*"]
        assert tag["conditions"] == [{"test": "StringEquals", "variable": "ecs:CreateAction", "values": ["RunTask"]}]
        assert pass_role["actions"] == ["iam:PassRole"]
        assert pass_role["resources"] == [
            f"arn:aws:iam::{ACCOUNT}:role/crewbot-dev-phase-runner-task",
            f"arn:aws:iam::{ACCOUNT}:role/crewbot-dev-phase-runner-exec",
        ]
        assert pass_role["conditions"] == [
            {"test": "StringEquals", "variable": "iam:PassedToService", "values": ["ecs-tasks.amazonaws.com"]}
        ]
    others = set(ecs["catalog"]["functions"]) - set(LAUNCHERS)
    for name in others:
        assert not any(s["sid"].startswith("TaskRun") for s in ecs["catalog"]["functions"][name]["statements"]), name


def test_task_names_follow_the_naming_rule(ecs: dict[str, Any]) -> None:
    namer = ResourceNamer("crewbot", "dev", ACCOUNT)
    names = ecs["catalog"]["names"]
    assert names["tasks"]["phase_runner"] == namer.name("phase_runner")
    assert names["task_roles"]["phase_runner"] == namer.name("phase_runner_task")
    assert names["execution_roles"]["phase_runner"] == namer.name("phase_runner_exec")
    task = ecs["catalog"]["tasks"]["phase_runner"]
    assert task["task_role_arn"].endswith(f":role/{namer.name('phase_runner_task')}")
    assert task["log_group"] == f"/ecs/{namer.name('phase_runner')}"


def test_a_typo_in_run_tasks_fails_the_plan(harness: Any, catalog: Catalog) -> None:
    shipped = catalog.as_json()
    bad = {key: shipped[key] for key in ("functions", "tasks")}
    bad["functions"]["task_run_project_phase"]["run_tasks"] = ["phase_runer"]
    with pytest.raises(TerraformFailed, match="task_run_project_phase: task phase_runer"):
        harness({}, catalog=bad)


# -- configuration -----------------------------------------------------------------------------------


def _projects_settings(environ: dict[str, str]) -> Settings:
    config = load_config(environ=environ).config
    return Settings.model_validate(config.plugins.settings.get("projects", {}))


@pytest.mark.parametrize("name", LAUNCHERS)
def test_launchers_are_configured_to_start_the_deployed_task(name: str, ecs: dict[str, Any]) -> None:
    # The launchers' configuration comes from their environment: it must be the projects plugin's real
    # settings (validated by its model) and name what Terraform creates.
    settings = _projects_settings(ecs["catalog"]["functions"][name]["environment"])
    task = ecs["catalog"]["tasks"]["phase_runner"]
    assert settings.phase_runner == "ecs" and settings.ecs is not None
    assert settings.ecs.cluster == settings.ecs.task_definition == task["name"]
    assert settings.ecs.container == task["container"] == EcsRunner.model_fields["container"].default
    assert (settings.ecs.subnets, settings.ecs.security_groups) == (VPC["subnet_ids"], VPC["security_group_ids"])
    assert settings.ecs.assign_public_ip is False


def test_the_runner_has_its_own_network_when_configured(harness: Any) -> None:
    out = harness(
        {
            "phase_runner": "ecs",
            "phase_runner_task": {
                "subnet_ids": ["subnet-public"],
                "security_group_ids": ["sg-public"],
                "assign_public_ip": True,
            },
        }
    )
    settings = _projects_settings(out["catalog"]["functions"]["task_run_project_phase"]["environment"])
    assert settings.ecs is not None and settings.ecs.subnets == ["subnet-public"] and settings.ecs.assign_public_ip
    assert out["catalog"]["tasks"]["phase_runner"]["network"]["security_group_ids"] == ["sg-public"]


def test_the_task_environment_loads_as_configuration(ecs: dict[str, Any]) -> None:
    environ = ecs["catalog"]["tasks"]["phase_runner"]["environment"]
    config = load_config(environ=environ).config
    assert config.runtime == "aws" and config.aws.account_id == ACCOUNT
    # The task runs the Swarm itself: it never starts another task.
    assert _projects_settings(environ).phase_runner == "inline"
    module = (TF / "modules" / "phase_runner" / "main.tf").read_text(encoding="utf-8")
    assert "readonlyRootFilesystem = true" in module and 'containerPath = "/tmp"' in module
    assert environ["CREWBOT_HOME"].startswith("/tmp/"), "CREWBOT_HOME must be on the task's writable /tmp volume"


# -- the image -------------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _exec_form(args: str) -> list[str]:
    import json

    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), f"not exec form: {args}"
    return value


def test_the_image_runs_the_command_the_launcher_overrides_it_with(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, catalog: Catalog
) -> None:
    instructions = _instructions()
    entrypoint = [_exec_form(a) for k, a in instructions if k == "ENTRYPOINT"]
    (cmd,) = [_exec_form(a) for k, a in instructions if k == "CMD"]
    # ECS replaces CMD with the override and keeps ENTRYPOINT: the launcher's argv names the program itself.
    argv = (entrypoint[-1] if entrypoint else []) + run_phase_command("p1", "run-0001", resume=True)
    assert argv[:3] == ["crewbot", "projects", "run-phase"], f"the container would run {argv}"
    assert cmd == list(catalog.tasks["phase_runner"].command), "Dockerfile CMD != the task definition's command"
    # And the crewbot CLI understands that argv as `projects run-phase` (the plugin's command).
    monkeypatch.setenv("CREWBOT_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    from bot.cli.main import build_parser
    from plugins.projects.cli import run_phase

    args = build_parser().parse_args(argv[1:])
    assert args.func is run_phase and (args.project, args.run, args.resume) == ("p1", "run-0001", True)


def test_the_image_installs_the_wheel_as_a_non_root_user() -> None:
    instructions = _instructions()
    assert instructions[0] == ("FROM", "python:3.12-slim")
    assert any(k == "COPY" and a.startswith("crewbot-*.whl ") for k, a in instructions)
    assert any(k == "RUN" and "pip install /tmp/wheels/crewbot-*.whl" in a for k, a in instructions)
    (user,) = [a for k, a in instructions if k == "USER"]
    assert user.split(":")[0] not in ("0", "root"), "the runner must not run as root"


def test_make_image_builds_the_wheel_and_the_image_for_the_architecture() -> None:
    for arch, platform in (("arm64", "linux/arm64"), ("x86_64", "linux/amd64")):
        dry = subprocess.run(
            ["make", "-n", "image", f"ARCH={arch}", "TAG=t1", "IMAGE=repo/runner"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        commands = [shlex.split(c) for c in dry.replace("\\\n", " ").splitlines() if c.strip()]
        wheel = next(c for c in commands if "wheel" in c)
        assert wheel[-3:] == ["--wheel-dir", "dist/image", "."], wheel
        build = next(c for c in commands if c[:2] == ["docker", "build"])
        assert build[build.index("--platform") + 1] == platform
        assert Path(build[build.index("-f") + 1]) == DOCKERFILE.relative_to(REPO)
        assert build[build.index("-t") + 1] == "repo/runner:t1" and build[-1] == "dist/image"


def test_examples_run_phases_inline_in_dev_and_on_fargate_in_prod() -> None:
    from tests.infra.conftest import parse, unquote

    dev = unquote(parse(TF / "examples" / "dev.tfvars"))
    prod = unquote(parse(TF / "examples" / "prod.tfvars"))
    assert dev["phase_runner"] == "lambda"
    assert prod["phase_runner"] == "ecs" and prod["phase_runner_task"]["image_tag"]
    # The runner's network: its own, or the VPC feature's.
    network = prod["phase_runner_task"].get("subnet_ids") or prod["vpc"]["subnet_ids"]
    assert network, "prod runs phases on Fargate but gives the tasks no subnets"
