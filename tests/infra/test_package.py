"""`make package`: the code zip carries bot/, plugins/ and the shipped data, reproducibly; the layer
is installed for the chosen Lambda architecture (the layer build itself needs PyPI, so it is run by
`make package`, not here)."""

from __future__ import annotations

import hashlib
import marshal
import sys
import zipfile
from pathlib import Path

import pytest

from bot.deploy import package
from bot.deploy.package import (
    GOOGLE_DISCOVERY_KEEP,
    PackageError,
    build_code_zip,
    compile_bytecode,
    dependencies,
    distribution_files,
    lambda_python,
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


def _zip_of(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("python/data.bin", b"\0" * size)
    return path


def test_every_artefact_size_is_reported_zipped_and_unzipped(tmp_path: Path) -> None:
    from bot.deploy.package import size_report

    code = build_code_zip(tmp_path / "crewbot.zip")
    slim, full = _zip_of(tmp_path / "slim.zip", 2_000_000), _zip_of(tmp_path / "full.zip", 5_000_000)
    lines = size_report(code, {"the Slack function": slim, "every other function": full})
    assert len(lines) == 5
    for path in (code, slim, full):
        (line,) = [x for x in lines if x.startswith(f"{path} (")]
        assert "MB zipped" in line and "MB unzipped" in line
    assert any(x.startswith(f"{slim} (") and "2.0 MB unzipped" in x for x in lines)
    assert any(x.startswith("every other function: code + full.zip = ") for x in lines)


def test_a_function_over_lambdas_unzipped_limit_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "LAMBDA_UNZIPPED_LIMIT", 4_000_000)
    code = _zip_of(tmp_path / "code.zip", 1_000_000)
    slim, full = _zip_of(tmp_path / "slim.zip", 2_000_000), _zip_of(tmp_path / "full.zip", 5_000_000)
    with pytest.raises(PackageError, match=r"every other function: code and full\.zip take 6\.0 MB unzipped"):
        package.size_report(code, {"the Slack function": slim, "every other function": full})


def test_the_slim_layer_holds_only_the_slack_distributions(tmp_path: Path) -> None:
    from bot.deploy.package import SLACK_FUNCTION_DISTRIBUTIONS, distribution_files

    site = tmp_path / "python"
    for name, module in (("slack_bolt", "slack_bolt"), ("dulwich", "dulwich")):
        (site / module).mkdir(parents=True)
        (site / module / "__init__.py").write_text("")
        info = site / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "RECORD").write_text(f"{module}/__init__.py,,0\n{info.name}/METADATA,,0\n{info.name}/RECORD,,\n")
    assert "slack-bolt" in SLACK_FUNCTION_DISTRIBUTIONS and "dulwich" not in SLACK_FUNCTION_DISTRIBUTIONS
    files = {name for name, _ in distribution_files(site, ["slack-bolt"])}
    assert files == {"slack_bolt/__init__.py", "slack_bolt-1.0.dist-info/METADATA", "slack_bolt-1.0.dist-info/RECORD"}
    with pytest.raises(PackageError, match=r"not installed in .*: slack-sdk"):
        distribution_files(site, ["slack-bolt", "slack-sdk"])


def _pyc_flags(data: bytes) -> int:
    return int.from_bytes(data[4:8], "little")  # PEP 552: bit 0 hash-based, bit 1 check the source


def test_with_an_interpreter_the_code_zip_carries_unchecked_hash_bytecode_reproducibly(tmp_path: Path) -> None:
    tag = sys.implementation.cache_tag
    first = build_code_zip(tmp_path / "a" / "crewbot.zip", python=sys.executable)
    second = build_code_zip(tmp_path / "b" / "crewbot.zip", python=sys.executable)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        names = set(zf.namelist())
        assert f"bot/__pycache__/__init__.{tag}.pyc" in names and f"plugins/__pycache__/__init__.{tag}.pyc" in names
        pyc = zf.read(f"bot/deploy/__pycache__/package.{tag}.pyc")
    assert _pyc_flags(pyc) == 0b01  # hash-based, source never checked: valid whatever the unzipped mtimes
    code = marshal.loads(pyc[16:])
    assert code.co_filename == "/var/task/bot/deploy/package.py"
    # Only the bytecode the zip's interpreter made: none of the checkout's own __pycache__ files.
    assert not [n for n in names if n.endswith(".pyc") and f".{tag}." not in n]


def test_the_slim_layer_takes_each_modules_bytecode_with_it(tmp_path: Path) -> None:
    site = tmp_path / "python"
    (site / "slack_bolt").mkdir(parents=True)
    (site / "slack_bolt" / "__init__.py").write_text("VALUE = 1\n")
    info = site / "slack_bolt-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: slack_bolt\nVersion: 1.0\n")
    (info / "RECORD").write_text(f"slack_bolt/__init__.py,,0\n{info.name}/METADATA,,0\n{info.name}/RECORD,,\n")
    tag = compile_bytecode(site, sys.executable, "/opt/python")
    files = {name for name, _ in distribution_files(site, ["slack-bolt"], tag)}
    assert f"slack_bolt/__pycache__/__init__.{tag}.pyc" in files
    assert f"slack_bolt/__pycache__/__init__.{tag}.pyc" not in {n for n, _ in distribution_files(site, ["slack-bolt"])}


def test_lambda_python_refuses_another_version_and_the_build_says_when_it_has_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "PYTHON_VERSION", "2.7")
    with pytest.raises(PackageError, match=r"--python .* is not Python 2\.7, Lambda's runtime"):
        lambda_python(sys.executable)
    assert lambda_python() is None
    assert main(["--code-only", "--out", str(tmp_path)]) == 0
    assert "no Python 2.7 found (--python): the artefacts carry no bytecode" in capsys.readouterr().out
    assert not [n for n in zipfile.ZipFile(tmp_path / "crewbot.zip").namelist() if n.endswith(".pyc")]


def test_a_configuration_error_stops_the_build_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--code-only", "--out", str(tmp_path), "--env", "nosuch"]) == 1
    err = capsys.readouterr().err
    assert "make package: invalid configuration:" in err and "environment" in err
    assert not (tmp_path / "catalog.json").exists()
