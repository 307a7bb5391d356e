"""The README's demo scripts are the ones the test suite runs, word for word, and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
# A demo is shown as: a link to docs/<name>.crewbot, then the next ```text block.
DEMOS = re.findall(r"\]\((docs/[\w.-]+\.crewbot)\).*?```text\n(.*?)```", README, flags=re.S)


def test_readme_shows_every_demo_script() -> None:
    shown = {path for path, _ in DEMOS}
    assert shown == {str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.crewbot")}


@pytest.mark.parametrize(("path", "block"), DEMOS, ids=[path for path, _ in DEMOS])
def test_readme_demo_is_the_committed_script(path: str, block: str) -> None:
    assert block == (REPO / path).read_text(encoding="utf-8"), f"README's copy of {path} is out of date"


def test_quick_start_has_exactly_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^(make \w+)", quick_start, flags=re.M)
    assert commands == ["make dev", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^dev:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
