"""Build the Lambda artefacts Terraform deploys: ``make package`` runs ``python -m bot.deploy.package``.

* ``dist/lambda/crewbot.zip``: the code, ``bot/`` and ``plugins/``, with the shipped declarative
  folders (agents, workflows, config, manifests) under ``bot/_data/`` as in the wheel, so
  :func:`bot.resources.data_dir` finds them the same way.
* ``dist/lambda/dependencies-<arch>.zip``: a layer (``python/...``) with the project's dependencies
  for Python 3.12 on Linux x86_64 or arm64, installed by pip from manylinux wheels only, plus the
  third-party plugins named with ``--plugin`` (``make package PLUGINS="crewbot-foo"``).
* ``dist/lambda/dependencies-slack-<arch>.zip``: the slim layer Terraform attaches to the Slack function
  — only the distributions in :data:`SLACK_FUNCTION_DISTRIBUTIONS`, taken from the same pip install as
  the full layer (same versions). The full layer goes to every other function.
* ``dist/lambda/catalog.json`` and ``dist/lambda/workflows/``: the deploy catalog of what the enabled
  plugins register in the environment ``--env`` (:mod:`bot.deploy.catalog`), which Terraform reads.
* ``dist/lambda/slack-routes.json``: the Slack routing snapshot of the same registrations
  (:mod:`bot.slack.snapshot`), also zipped into ``crewbot.zip`` as ``bot/_data/slack-routes.json``, from
  which the Slack function acknowledges a cold request without starting the runtime.

Each artefact carries the bytecode of its modules, compiled by a Python 3.12 interpreter (``--python``,
else ``python3.12`` on the PATH) as unchecked-hash ``.pyc`` files: Lambda's file system is read-only,
so without them every cold start compiles each module it imports. Without such an interpreter the
artefacts are built without bytecode, and the build says so.

Zips are reproducible (sorted entries, fixed timestamps and modes): rebuilding unchanged code gives
the same hash, so ``terraform plan`` shows no change to the functions.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Crewbot

#: pip platform tag per Lambda architecture.
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
PYTHON_VERSION = "3.12"
CODE_PACKAGES = ("bot", "plugins")
#: Where Lambda unpacks a function's code and its layers' ``python/`` folders.
LAMBDA_CODE_DIR, LAMBDA_LAYER_DIR = "/var/task", "/opt/python"
DATA_FOLDERS = ("agents", "workflows", "config", "manifests")
# The Lambda runtime has no use for these, and they would only make the zip bigger.
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: google-api-python-client ships ~110 MB of discovery documents for every Google API, which would
#: push the layer past Lambda's 50 MB upload limit; Crewbot uses the Calendar API only. A plugin
#: that builds another Google client needs its document added here.
GOOGLE_DISCOVERY_KEEP = ("calendar.v3.json",)
_GOOGLE_DISCOVERY = Path("googleapiclient/discovery_cache/documents")

REPO = Path(__file__).resolve().parents[2]

#: The distributions the Slack function's paths import, and so its slim layer: every registered slash
#: command with its lazy part, the buttons and modals, DMs (an agent turn on the offline model) with shared
#: files, mentions, the home tab, SOW uploads (PDF: pypdf; DOCX: python-docx, lxml), each calendar
#: provider's OAuth callback (Google: requests for the code exchange, then the Calendar API client with
#: google-auth, which needs cryptography; Microsoft: msal) and the health check. tests/infra/
#: test_slack_layer.py runs all of them from the code artefact and these distributions alone, in
#: ``runtime: aws``, and fails naming a distribution a path imports that is missing here, or one listed
#: here that no path imports. Everything else (JSONata, git, HCL, charts, iCalendar, MCP) is only
#: in the full layer, for agent, phase, queue and other tasks.
SLACK_FUNCTION_DISTRIBUTIONS = frozenset(
    {
        "annotated-types",
        "attrs",
        "aws-lambda-powertools",
        "boto3",
        "botocore",
        "certifi",
        "cffi",
        "charset-normalizer",
        "cryptography",
        "docstring-parser",
        "google-api-core",
        "google-api-python-client",
        "google-auth",
        "google-auth-httplib2",
        "googleapis-common-protos",
        "httplib2",
        "idna",
        "jmespath",
        "jsonpath-ng",
        "jsonschema",
        "jsonschema-specifications",
        "lxml",
        "msal",
        "opentelemetry-api",
        "opentelemetry-instrumentation",
        "opentelemetry-instrumentation-threading",
        "opentelemetry-sdk",
        "opentelemetry-semantic-conventions",
        "packaging",
        "pluggy",
        "protobuf",
        "pyawscron",
        "pydantic",
        "pydantic-core",
        "pyparsing",
        "pypdf",
        "python-dateutil",
        "python-docx",
        "python-dotenv",
        "pyyaml",
        "referencing",
        "requests",
        "rpds-py",
        "s3transfer",
        "six",
        "slack-bolt",
        "slack-sdk",
        "strands-agents",
        "tenacity",
        "typing-extensions",
        "typing-inspection",
        "uritemplate",
        "urllib3",
        "watchdog",
        "wrapt",
    }
)


class PackageError(Exception):
    """The artefacts could not be built; the message says what and where."""


def _files(folder: Path, bytecode: str | None = None) -> Iterator[Path]:
    """The files under ``folder`` to ship; with ``bytecode`` (a cache tag such as ``cpython-312``), also
    the ``__pycache__`` files of that interpreter."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (_shipped(path.relative_to(folder)) or _is_bytecode(path, bytecode)):
            yield path


def _shipped(relative: Path) -> bool:
    return not (_SKIP_PARTS & set(relative.parts)) and relative.suffix not in _SKIP_SUFFIXES


def _is_bytecode(path: Path, tag: str | None) -> bool:
    return tag is not None and path.parent.name == "__pycache__" and path.name.endswith(f".{tag}.pyc")


def lambda_python(explicit: str | None = None) -> str | None:
    """An interpreter of Lambda's Python (:data:`PYTHON_VERSION`) to compile bytecode with: ``explicit``
    (a :class:`PackageError` if it is another version), else ``python3.12`` on the PATH or this one;
    ``None`` when there is none."""
    for candidate in [explicit] if explicit else [f"python{PYTHON_VERSION}", sys.executable]:
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if found is None:
            continue
        probe = subprocess.run(
            [found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == PYTHON_VERSION:
            return found
    if explicit:
        raise PackageError(f"--python {explicit} is not Python {PYTHON_VERSION}, Lambda's runtime")
    return None


def compile_bytecode(folder: Path, python: str, installed_at: str) -> str:
    """Compile the modules under ``folder`` with ``python`` into unchecked-hash ``.pyc`` files (valid
    whatever the timestamps after unzipping) that name their sources under ``installed_at`` (where Lambda
    unpacks them, so tracebacks are right and rebuilds are identical); return that interpreter's cache tag.
    A file that does not compile (an old test file in some distribution) is left to compile at import."""
    probe = subprocess.run(
        [python, "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True, text=True
    )
    if probe.returncode != 0 or not probe.stdout.strip():
        raise PackageError(f"cannot run {python}: {probe.stderr.strip()}")
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            *("-q", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"),
            *("-s", str(folder), "-p", installed_at, str(folder)),
        ],
        capture_output=True,
        check=False,
    )
    return probe.stdout.strip()


def _write_zip(out: Path, entries: Iterable[tuple[str, Path]]) -> Path:
    """Write ``(name in zip, file)`` pairs, sorted, with fixed timestamps and modes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, _FIXED_TIME)
            executable = path.stat().st_mode & 0o111
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


def build_code_zip(
    out: Path, repo: Path = REPO, extra: Iterable[tuple[str, Path]] = (), python: str | None = None
) -> Path:
    """Zip ``bot/``, ``plugins/`` and the shipped data folders (as ``bot/_data/<folder>``), plus the
    ``extra`` ``(name in zip, file)`` pairs; with ``python``, the packages' bytecode compiled by it."""
    entries: list[tuple[str, Path]] = list(extra)
    with tempfile.TemporaryDirectory(prefix="crewbot-code-") as tmp:
        for package in CODE_PACKAGES:
            folder = repo / package
            if not (folder / "__init__.py").is_file():
                raise PackageError(f"{folder} is not a Python package (no __init__.py)")
            # Compiled in a copy: the checkout's own __pycache__ belongs to whatever ran there.
            staged = Path(tmp) / package
            for path in _files(folder):
                target = staged / path.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        tag = compile_bytecode(Path(tmp), python, LAMBDA_CODE_DIR) if python else None
        for package in CODE_PACKAGES:
            entries += [(path.relative_to(tmp).as_posix(), path) for path in _files(Path(tmp) / package, tag)]
        for name in DATA_FOLDERS:
            folder = repo / name
            if folder.is_dir():
                entries += [(f"bot/_data/{name}/{p.relative_to(folder).as_posix()}", p) for p in _files(folder)]
        return _write_zip(out, entries)


def dependencies(pyproject: Path = REPO / "pyproject.toml") -> list[str]:
    """The runtime requirements of the project (``[project].dependencies``)."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        return list(data["project"]["dependencies"])
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise PackageError(f"cannot read [project].dependencies from {pyproject}: {exc}") from exc


def pip_command(target: Path, architecture: str, requirements: list[str], python: str = sys.executable) -> list[str]:
    """The pip command that installs ``requirements`` for Lambda (Linux, CPython 3.12) into ``target``."""
    try:
        platform = PLATFORMS[architecture]
    except KeyError:
        raise PackageError(f"unknown architecture {architecture!r}: use one of {', '.join(PLATFORMS)}") from None
    return [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        "--upgrade",
        "--target",
        str(target),
        *requirements,
    ]


def canonical_name(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyYAML`` → ``pyyaml``, ``slack_bolt`` → ``slack-bolt``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_files(site: Path, names: Iterable[str], bytecode: str | None = None) -> list[tuple[str, Path]]:
    """``(path relative to site, file)`` of every file the distributions ``names`` installed in ``site``
    (from their ``RECORD``s, dist-info included), with ``bytecode`` (a cache tag) also each module's
    ``.pyc`` of that interpreter; raises :class:`PackageError` naming any distribution not there."""
    wanted = {canonical_name(n) for n in names}
    found: set[str] = set()
    entries: list[tuple[str, Path]] = []
    root = site.resolve()
    for dist in importlib.metadata.distributions(path=[str(site)]):
        name = canonical_name(dist.metadata["Name"] or "")
        if name not in wanted or name in found:
            continue
        found.add(name)
        for file in dist.files or ():
            path = Path(str(dist.locate_file(file))).resolve()
            if not path.is_file() or not path.is_relative_to(root):
                continue  # console scripts in ../../bin, files a RECORD lists but that were removed
            relative = path.relative_to(root)
            if _shipped(relative):
                entries.append((relative.as_posix(), path))
                compiled = path.parent / "__pycache__" / f"{path.stem}.{bytecode}.pyc"
                if bytecode is not None and path.suffix == ".py" and compiled.is_file():
                    entries.append((compiled.relative_to(root).as_posix(), compiled))
    if missing := wanted - found:
        raise PackageError(f"not installed in {site}: {', '.join(sorted(missing))}")
    return entries


def unzipped_size(archive: Path) -> int:
    """The bytes ``archive`` takes once unzipped (what Lambda's 250 MB limit counts)."""
    with zipfile.ZipFile(archive) as zf:
        return sum(info.file_size for info in zf.infolist())


#: Lambda's limit on a function's code and layers together, unzipped (250 MB, in bytes).
LAMBDA_UNZIPPED_LIMIT = 262_144_000


def size_report(code: Path, layers: dict[str, Path]) -> list[str]:
    """A line per artefact with its zipped and unzipped size, then per function kind (``layers``: kind →
    its layer) the unzipped total of code and layer against Lambda's limit; raises :class:`PackageError`
    when a total is over it (the deployment would fail)."""
    lines = []
    unzipped = {path: unzipped_size(path) for path in (code, *layers.values())}
    for path, size in unzipped.items():
        lines.append(f"{path} ({path.stat().st_size / 1e6:.1f} MB zipped, {size / 1e6:.1f} MB unzipped)")
    for kind, layer in layers.items():
        total = unzipped[code] + unzipped[layer]
        limit = f"Lambda's limit: {LAMBDA_UNZIPPED_LIMIT / 1e6:.1f} MB"
        lines.append(f"{kind}: code + {layer.name} = {total / 1e6:.1f} MB unzipped ({limit})")
        if total > LAMBDA_UNZIPPED_LIMIT:
            raise PackageError(f"{kind}: code and {layer.name} take {total / 1e6:.1f} MB unzipped, over Lambda's limit")
    return lines


def build_layer_zip(
    out: Path,
    architecture: str,
    requirements: list[str] | None = None,
    slack_out: Path | None = None,
    python: str | None = None,
) -> Path:
    """Install the dependencies for ``architecture`` with pip and zip them as a layer (``python/``);
    with ``slack_out``, also the Slack function's slim layer (:data:`SLACK_FUNCTION_DISTRIBUTIONS`); with
    ``python`` (Lambda's version), their bytecode compiled by it."""
    requirements = dependencies() if requirements is None else requirements
    with tempfile.TemporaryDirectory(prefix="crewbot-layer-") as tmp:
        site = Path(tmp) / "python"
        result = subprocess.run(pip_command(site, architecture, requirements), capture_output=True, text=True)
        if result.returncode != 0:
            raise PackageError(f"pip could not install the dependencies for {architecture}:\n{result.stderr.strip()}")
        # bin/ holds console scripts, useless in a layer.
        shutil.rmtree(site / "bin", ignore_errors=True)
        prune_google_discovery(site)
        forget_scripts(site)
        tag = compile_bytecode(site, python, LAMBDA_LAYER_DIR) if python else None
        if slack_out is not None:
            slim = distribution_files(site, SLACK_FUNCTION_DISTRIBUTIONS, tag)
            _write_zip(slack_out, [(f"python/{name}", path) for name, path in slim])
        return _write_zip(out, [(f"python/{p.relative_to(site).as_posix()}", p) for p in _files(site, tag)])


def prune_google_discovery(site: Path) -> None:
    """Delete the Google discovery documents Crewbot does not use (see :data:`GOOGLE_DISCOVERY_KEEP`)."""
    documents = site / _GOOGLE_DISCOVERY
    if documents.is_dir():
        for path in documents.glob("*.json"):
            if path.name not in GOOGLE_DISCOVERY_KEEP:
                path.unlink()


def forget_scripts(site: Path) -> None:
    """Drop the deleted ``bin/`` scripts from each ``RECORD``: their hashes embed this machine's
    interpreter path, which would make every build's layer differ."""
    for record in site.glob("*.dist-info/RECORD"):
        lines = record.read_bytes().splitlines(keepends=True)  # bytes: keep the CSV's \r\n line ends
        record.write_bytes(b"".join(line for line in lines if not line.startswith(b"../../bin/")))


def _from_registrations(env: str | None, build: Callable[[Crewbot], Path]) -> Path:
    """Start the runtime of environment ``env`` in a throwaway home and ``build`` an artefact from it."""
    from bot.config import ConfigError
    from bot.runtime import start

    with tempfile.TemporaryDirectory() as home:
        try:
            crewbot = start(env=env, environ={"CREWBOT_HOME": home}, setup_logging=False)
        except ConfigError as exc:
            raise PackageError(f"invalid configuration: {'; '.join(str(p) for p in exc.problems)}") from exc
        try:
            return build(crewbot)
        finally:
            crewbot.close()


def write_catalog(out: Path, env: str | None = None) -> Path:
    """Write the deploy catalog of the enabled plugins (environment ``env``) into ``out``; return its path."""
    from bot.deploy.catalog import CatalogError, build_catalog

    def build(crewbot: Crewbot) -> Path:
        try:
            return build_catalog(crewbot).write(out)
        except CatalogError as exc:
            raise PackageError(f"the registrations cannot be deployed: {exc}") from exc

    return _from_registrations(env, build)


def write_slack_routes(out: Path, env: str | None = None) -> Path:
    """Write the Slack routing snapshot of the enabled plugins (environment ``env``) to ``out/slack-routes.json``."""
    from bot.slack.snapshot import SnapshotError, build_snapshot

    def build(crewbot: Crewbot) -> Path:
        try:
            return build_snapshot(crewbot).write(out / "slack-routes.json")
        except SnapshotError as exc:
            raise PackageError(f"the Slack routing snapshot cannot be built: {exc}") from exc

    return _from_registrations(env, build)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.deploy.package", description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64", help="Lambda architecture of the layer")
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "lambda", help="output folder")
    parser.add_argument("--code-only", action="store_true", help="build crewbot.zip only (no layer)")
    parser.add_argument("--env", help="environment whose configuration the catalog follows (default: dev)")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="REQUIREMENT",
        help="a third-party plugin distribution to install into the layer (repeatable)",
    )
    parser.add_argument(
        "--python",
        help=f"a Python {PYTHON_VERSION} interpreter to compile the bytecode with (default: python{PYTHON_VERSION})",
    )
    args = parser.parse_args(argv)
    try:
        python = lambda_python(args.python)
        if python is None:
            print(
                f"make package: no Python {PYTHON_VERSION} found (--python): the artefacts carry no bytecode, "
                "so Lambda compiles each module on every cold start"
            )
        catalog = write_catalog(args.out, args.env)
        print(f"{catalog}")
        routes = write_slack_routes(args.out, args.env)
        from bot.slack.snapshot import PACKAGED_NAME

        code = build_code_zip(args.out / "crewbot.zip", extra=[(PACKAGED_NAME, routes)], python=python)
        layers: dict[str, Path] = {}
        if not args.code_only:
            requirements = [*dependencies(), *args.plugin]
            slack = args.out / f"dependencies-slack-{args.arch}.zip"
            layer = build_layer_zip(args.out / f"dependencies-{args.arch}.zip", args.arch, requirements, slack, python)
            layers = {"the Slack function": slack, "every other function": layer}
        print("\n".join(size_report(code, layers)))
    except PackageError as exc:
        print(f"make package: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
