"""`make package`: the code zip carries bot/, plugins/ and the shipped data, reproducibly; the layer
is installed for the chosen Lambda architecture (the layer build itself needs PyPI, so it is run by
`make package`, not here)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from bot.deploy.package import (
    GOOGLE_DISCOVERY_KEEP,
    PackageError,
    build_code_zip,
    dependencies,
    main,
    pip_command,
    prune_google_discovery,
)
from tests.infra.conftest import REPO


def test_code_zip_has_the_code_and_the_shipped_data(tmp_path: Path) -> None:
    out = build_code_zip(tmp_path / "crewbot.zip")
    names = set(zipfile.ZipFile(out).namelist())
    for required in (
        "bot/__init__.py",
        "bot/deploy/catalog.py",
        "plugins/__init__.py",
        "bot/_data/config/crewbot.yaml",
        "bot/_data/config/environments/prod.yaml",
    ):
        assert required in names, f"{required} missing"
    for folder in ("agents", "workflows", "manifests"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"bot/_data/{folder}/{path.relative_to(REPO / folder).as_posix()}" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("tests/", ".venv/", "infra/"))]


def test_code_zip_is_reproducible(tmp_path: Path) -> None:
    first = build_code_zip(tmp_path / "a" / "crewbot.zip").read_bytes()
    second = build_code_zip(tmp_path / "b" / "crewbot.zip").read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


def test_code_zip_refuses_a_tree_without_the_packages(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="not a Python package"):
        build_code_zip(tmp_path / "out.zip", repo=tmp_path)


@pytest.mark.parametrize(("arch", "platform"), [("x86_64", "manylinux2014_x86_64"), ("arm64", "manylinux2014_aarch64")])
def test_layer_is_installed_for_lambda_python_312(arch: str, platform: str, tmp_path: Path) -> None:
    cmd = pip_command(tmp_path, arch, ["pluggy>=1.6"], python="python3")
    assert cmd[:4] == ["python3", "-m", "pip", "install"]
    assert cmd[cmd.index("--platform") + 1] == platform
    assert cmd[cmd.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in cmd and "--no-compile" in cmd
    assert cmd[cmd.index("--target") + 1] == str(tmp_path)
    assert cmd[-1] == "pluggy>=1.6"


def test_unknown_architecture_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="unknown architecture 'ppc64'"):
        pip_command(tmp_path, "ppc64", [])


def test_layer_requirements_are_the_project_dependencies() -> None:
    deps = dependencies()
    assert any(d.startswith("slack-bolt") for d in deps) and not any(d.startswith("pytest") for d in deps)


def test_unused_google_discovery_documents_are_pruned(tmp_path: Path) -> None:
    docs = tmp_path / "googleapiclient" / "discovery_cache" / "documents"
    docs.mkdir(parents=True)
    for name in (*GOOGLE_DISCOVERY_KEEP, "drive.v3.json", "youtube.v3.json"):
        (docs / name).write_text("{}")
    prune_google_discovery(tmp_path)
    assert sorted(p.name for p in docs.iterdir()) == sorted(GOOGLE_DISCOVERY_KEEP)


def test_code_only_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--code-only", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "crewbot.zip").is_file() and "crewbot.zip" in capsys.readouterr().out


def test_records_forget_the_console_scripts(tmp_path: Path) -> None:
    from bot.deploy.package import forget_scripts

    info = tmp_path / "idna-3.20.dist-info"
    info.mkdir()
    (info / "RECORD").write_bytes(b"../../bin/idna,sha256=abc,166\r\nidna/__init__.py,sha256=def,10\r\n")
    forget_scripts(tmp_path)
    assert (info / "RECORD").read_bytes() == b"idna/__init__.py,sha256=def,10\r\n"
