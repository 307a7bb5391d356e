"""``lint_code``: static checks of the crew's code artifacts. Nothing in the repository is executed.

* Python: ``compile()`` (syntax, with line and column) and, when the ``ruff`` binary is installed (it is
  in the dev extra, not a runtime dependency: a deployment without it gets the syntax check and the
  text checks, and the result says so), ``ruff check`` with its default rules on the source given on
  stdin — the file never touches the disk and ruff only parses it.
* JSON, YAML (``safe_load``), Terraform (python-hcl2): parse errors with line numbers.
* Every text file: merge-conflict markers, AWS access key ids, tabs in Python/YAML, trailing whitespace,
  lines over 120 characters, a missing final newline.

Running generated tests (a "code test" tool) is deliberately not offered: the code would run
with the bot's own privileges and credentials. QA writes test plans from the templates instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.artifacts import ArtifactNotFound, ArtifactScopeError, ArtifactStore, clean_path
from plugins.projects.tools import crew_call

MAX_FILES = 200
LINE_LIMIT = 120
_CONFLICT = re.compile(r"^(<<<<<<< |=======$|>>>>>>> )", re.M)
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
TEXT_SUFFIXES = (
    ".py",
    ".json",
    ".yaml",
    ".yml",
    ".tf",
    ".md",
    ".txt",
    ".sql",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".sh",
    ".toml",
    ".cfg",
    ".ini",
    ".html",
    ".css",
    ".mmd",
)


def ruff_binary() -> str | None:
    """The ruff executable beside this interpreter or on PATH, if installed."""
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return str(beside)
    return shutil.which("ruff")


def _issue(path: str, line: int | None, column: int | None, code: str, severity: str, message: str) -> dict:
    return {"file": path, "line": line, "column": column, "code": code, "severity": severity, "message": message}


def check_python(path: str, text: str, ruff: str | None) -> list[dict[str, Any]]:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [_issue(path, exc.lineno, exc.offset, "E999", "error", f"syntax error: {exc.msg}")]
    if ruff is None:
        return []
    # --isolated: no configuration from the bot's working directory; --stdin-filename only names the input.
    done = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--output-format",
            "json",
            "--stdin-filename",
            path.rsplit("/", 1)[-1],
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode not in (0, 1):
        return [_issue(path, None, None, "RUFF", "warning", f"ruff could not check it: {done.stderr.strip()[:300]}")]
    return [
        _issue(
            path,
            item["location"]["row"],
            item["location"]["column"],
            item.get("code") or "RUFF",
            "error" if (item.get("code") or "").startswith(("E9", "F")) else "warning",
            item["message"],
        )
        for item in json.loads(done.stdout or "[]")
    ]


def check_structured(path: str, text: str) -> list[dict[str, Any]]:
    if path.endswith(".json"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return [_issue(path, exc.lineno, exc.colno, "JSON", "error", f"invalid JSON: {exc.msg}")]
    elif path.endswith((".yaml", ".yml")):
        try:
            list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            return [
                _issue(
                    path,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    "YAML",
                    "error",
                    f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                )
            ]
    elif path.endswith(".tf"):
        from plugins.projects.specialist.terraform import parse_file

        _, problems = parse_file(path, text)
        return [_issue(path, p.line, None, "HCL", "error", p.message) for p in problems]
    return []


def check_text(path: str, text: str) -> list[dict[str, Any]]:
    issues = []
    for match in _CONFLICT.finditer(text):
        issues.append(
            _issue(path, text.count("\n", 0, match.start()) + 1, 1, "CONFLICT", "error", "merge conflict marker")
        )
    for match in _ACCESS_KEY.finditer(text):
        issues.append(
            _issue(
                path,
                text.count("\n", 0, match.start()) + 1,
                None,
                "SECRET",
                "error",
                "an AWS access key id is in the file; remove it and rotate the key",
            )
        )
    tabs_matter = path.endswith((".py", ".yaml", ".yml"))
    for number, line in enumerate(text.splitlines(), 1):
        if tabs_matter and "\t" in line[: len(line) - len(line.lstrip())]:
            issues.append(_issue(path, number, 1, "TAB", "warning", "indented with a tab"))
        if line != line.rstrip():
            issues.append(_issue(path, number, len(line.rstrip()) + 1, "W291", "warning", "trailing whitespace"))
        if len(line) > LINE_LIMIT and not path.endswith(".md"):
            issues.append(
                _issue(
                    path,
                    number,
                    LINE_LIMIT + 1,
                    "E501",
                    "warning",
                    f"line is {len(line)} characters (limit {LINE_LIMIT})",
                )
            )
    if text and not text.endswith("\n"):
        issues.append(_issue(path, text.count("\n") + 1, None, "W292", "warning", "no newline at end of file"))
    return issues


def lint_files(store: ArtifactStore, path: str) -> tuple[list[str], list[dict[str, Any]], bool]:
    """The files ``path`` names, their issues, and whether ruff ran."""
    cleaned = clean_path(path)
    if store.exists(cleaned):
        files = [cleaned]
    else:
        files = [f for f in store.files(cleaned.rstrip("/") + "/") if f.endswith(TEXT_SUFFIXES)][:MAX_FILES]
        if not files:
            raise ArtifactNotFound(f"nothing to lint at {cleaned!r}: no such file, and no text files under it")
    ruff = ruff_binary()
    issues: list[dict[str, Any]] = []
    for name in files:
        text = store.read(name)
        if name.endswith(".py"):
            issues += check_python(name, text, ruff)
        else:
            issues += check_structured(name, text)
        # Ruff already reports whitespace and line length for Python.
        issues += [
            i
            for i in check_text(name, text)
            if not (name.endswith(".py") and ruff and i["code"] in ("W291", "W292", "E501"))
        ]
    return files, issues, ruff is not None


@crewbot_tool(side_effects="read")
def lint_code(path: str = "app/", tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Lint code in the project repository without running it: Python syntax and ruff, JSON/YAML/Terraform parse
    errors, conflict markers, leaked AWS keys, whitespace and line length. Fix every error it reports.

    Args:
        path: A file, or a directory to lint every text file under (default app/).
    """
    call = crew_call(tool_context)
    store = call.service.artifacts(call.project.project_id)
    try:
        files, issues, ruff = lint_files(store, path)
    except (ArtifactNotFound, ArtifactScopeError) as exc:
        raise ToolError(str(exc)) from None
    errors = sum(1 for i in issues if i["severity"] == "error")
    return {
        "files": files,
        "clean": not issues,
        "errors": errors,
        "warnings": len(issues) - errors,
        "issues": issues[:200],
        "truncated": len(issues) > 200,
        "python_checks": "compile + ruff" if ruff else "compile only (ruff is not installed here)",
    }
