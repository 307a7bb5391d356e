"""Helpers for the core tests: throwaway plugins installed through real entry-point metadata."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], Path]:
    """Install a plugin module as a distribution with a ``crewbot`` entry point.

    Writes the module and a ``*.dist-info`` folder (what pip writes) on a ``sys.path`` entry, so
    ``importlib.metadata.entry_points`` discovers it exactly as it would an installed package.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def install(name: str, source: str, version: str = "1.2.3") -> Path:
        module = f"crewbot_test_{name}"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        dist = site / f"{module}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n")
        (dist / "entry_points.txt").write_text(f"[crewbot]\n{name} = {module}\n")
        sys.modules.pop(module, None)
        return site

    return install
