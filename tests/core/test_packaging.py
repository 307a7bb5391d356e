"""The wheel carries everything: an installed crewbot works from any directory, without the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("crewbot-*.whl")
    return built


def test_wheel_ships_the_declarative_files_and_builtin_plugins(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "bot/_data/config/crewbot.yaml",
        "bot/_data/config/environments/prod.yaml",
        "plugins/meeting_prep/__init__.py",
        "bot/hookspecs.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    for folder in ("agents", "workflows", "manifests"):
        shipped = {n for n in names if n.startswith(f"bot/_data/{folder}/")}
        in_repo = {
            f"bot/_data/{folder}/{p.relative_to(REPO / folder)}"
            for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert in_repo <= shipped, f"not shipped: {sorted(in_repo - shipped)}"
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "crewbot = bot.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_lists_plugins_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    # -S skips .pth files, so the editable install of this checkout is not on the path: only the
    # installed wheel (first) and the dependencies from this environment's site-packages are.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]),
        "CREWBOT_HOME": str(tmp_path / "home"),
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-S", "-m", "bot.cli.main", "plugins", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert plugins["meeting_prep"]["enabled"] and not plugins["meeting_prep"]["errors"]
    check = subprocess.run(
        [sys.executable, "-S", "-c", "import bot.resources as r; print(r.data_dir('config'))"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(check.stdout.strip()).is_relative_to(target)
