"""Tear a deployment down with Terraform: everything but the data (``--keep-data``), or everything (``--force``).

``--keep-data`` destroys every resource in the state except those of the ``data`` module (tables,
buckets) and the ``secrets`` module (the KMS key that encrypts them, the secrets), with one targeted
``terraform destroy``. The kept resources stay in the state, so a later ``terraform apply`` rebuilds the
rest around them. Nothing kept depends on what is destroyed (they depend only on each other), so the
targeted destroy cannot reach them.

``--force`` first applies ``protect_data=false`` (lifts deletion protection, lets buckets empty on
delete), then destroys everything.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The modules whose resources ``--keep-data`` keeps.
KEPT_MODULES = ("module.data", "module.secrets")

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def is_kept(address: str) -> bool:
    """Whether ``--keep-data`` keeps this state address (``module.data.aws_dynamodb_table.this["x"]``)."""
    return any(address == m or address.startswith(m + ".") or address.startswith(m + "[") for m in KEPT_MODULES)


_MODULE_PATH = re.compile(r"^(module\.[A-Za-z0-9_-]+(\[[^\]]*\])?\.)*")


def _is_resource(address: str) -> bool:
    # Data sources are read, not destroyed: leave them out of the targets.
    return not _MODULE_PATH.sub("", address, count=1).startswith("data.")


@dataclass
class DestroyPlan:
    """The Terraform commands a teardown runs, and what it leaves in AWS."""

    commands: list[list[str]]
    kept: list[str] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)


def plan_destroy(state: Sequence[str], *, keep_data: bool, var_args: Sequence[str] = ()) -> DestroyPlan:
    """The commands for a teardown of the resources in ``state`` (``terraform state list`` output)."""
    resources = [a for a in state if _is_resource(a)]
    if keep_data:
        kept = [a for a in resources if is_kept(a)]
        destroyed = [a for a in resources if not is_kept(a)]
        if not destroyed:
            return DestroyPlan(commands=[], kept=kept)
        targets = [f"-target={a}" for a in destroyed]
        return DestroyPlan(commands=[["destroy", "-input=false", *var_args, *targets]], kept=kept, destroyed=destroyed)
    lift = [*var_args, "-var", "protect_data=false"]
    return DestroyPlan(
        commands=[
            ["apply", "-input=false", "-auto-approve", *lift],
            ["destroy", "-input=false", "-auto-approve", *lift],
        ],
        destroyed=resources,
    )


def state_list(terraform: str, directory: Path, run: Runner | None = None) -> list[str]:
    """The addresses in the deployment's state (raises ``RuntimeError`` when Terraform fails)."""
    result = (run or _runner(terraform, directory))(["state", "list"])
    if result.returncode != 0:
        raise RuntimeError(f"terraform state list failed: {result.stderr.strip() or result.stdout.strip()}")
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def _runner(terraform: str, directory: Path) -> Runner:
    def run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([terraform, f"-chdir={directory}", *args], capture_output=True, text=True, check=False)

    return run


def execute(plan: DestroyPlan, terraform: str, directory: Path) -> int:
    """Run the plan's commands in order, Terraform's output on this terminal; the first failure stops it."""
    for args in plan.commands:
        code = subprocess.run([terraform, f"-chdir={directory}", *args], check=False).returncode
        if code != 0:
            return code
    return 0
