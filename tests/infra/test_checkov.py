"""checkov passes on infra/terraform, and every check it skips is skipped with a reason that the
README lists too.

checkov's pinned dependencies conflict with the test dependencies, so it lives in a virtualenv of
its own under ``.crewbot-tools/checkov-venv`` (gitignored), created on the first run. If it cannot
be installed the test fails: this check must not silently disappear.
"""

from __future__ import annotations

import json
import re
import subprocess
import venv
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import REPO, TF

CHECKOV_VERSION = "3.3.30"
VENV = REPO / ".crewbot-tools" / "checkov-venv"


def _checkov() -> Path:
    exe = VENV / "bin" / "checkov"
    python = VENV / "bin" / "python"
    if exe.is_file():
        probe = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == CHECKOV_VERSION:
            return exe
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"checkov=={CHECKOV_VERSION}"],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0 or not exe.is_file():
        pytest.fail(f"could not install checkov {CHECKOV_VERSION} into {VENV}:\n{install.stderr[-3000:]}")
    return exe


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    exe = _checkov()
    result = subprocess.run(
        [str(exe), "-d", str(TF), "--framework", "terraform", "--output", "json", "--skip-download", "--compact"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"checkov produced no JSON (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    reports = parsed if isinstance(parsed, list) else [parsed]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return terraform  # type: ignore[no-any-return]


def test_checkov_passes(report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov failures:\n" + "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 100, "checkov checked suspiciously little"


def test_every_skipped_check_has_a_reason_listed_in_the_readme(report: dict[str, Any]) -> None:
    skipped = report["results"].get("skipped_checks", [])
    no_reason = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if len(str(c["check_result"].get("suppress_comment", "")).strip()) < 15
    ]
    assert no_reason == [], f"skipped without a reason: {no_reason}"
    readme = (TF / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\|\s*`?(CKV2?_AWS_\d+)`?\s*\|", readme))
    ids = {c["check_id"] for c in skipped}
    assert ids <= listed, f"skipped checks missing from the README's table: {sorted(ids - listed)}"
    assert listed <= ids, f"README lists checks that are no longer skipped: {sorted(listed - ids)}"


def test_skips_are_inline_next_to_the_resource() -> None:
    # A skip list in a config file would hide the reason from the reader of the resource.
    assert not list(TF.rglob(".checkov.y*ml")), "use #checkov:skip=<id>:<reason> in the resource instead"
