"""Terraform in the project repository: parse it (python-hcl2) and ``validate_terraform``.

``terraform validate`` needs the providers, which cannot be downloaded here (nor in Lambda), so the
tool checks what can be checked without them: HCL syntax (file, line, column), block structure,
resource types against the declared providers, duplicate addresses, and that every ``var.``,
``local.``, ``module.``, ``data.`` and resource reference is declared in the module (the directory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.artifacts import ArtifactNotFound, ArtifactScopeError, ArtifactStore, clean_path
from plugins.projects.tools import crew_call

TOP_LEVEL = (
    "terraform",
    "provider",
    "variable",
    "output",
    "locals",
    "module",
    "resource",
    "data",
    "moved",
    "import",
    "removed",
    "check",
)
_LABELS = {"provider": 1, "variable": 1, "output": 1, "module": 1, "resource": 2, "data": 2, "check": 1}
_TYPE = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")
_INTERPOLATION = re.compile(r"\$\{(.*?)\}", re.S)
_REFS = {
    "variable": re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)"),
    "local": re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)"),
    "module": re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)"),
    "data": re.compile(r"(?<![\w.])data\.([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)"),
    "resource": re.compile(r"(?<![\w.])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"),
}


@dataclass
class Problem:
    """One validation problem or scan finding location."""

    severity: str
    file: str
    line: int | None
    message: str

    def view(self) -> dict[str, Any]:
        return {"severity": self.severity, "file": self.file, "line": self.line, "message": self.message}


@dataclass
class Block:
    """A top-level block: its kind, labels, body (python-hcl2's dict), file and line."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: str
    line: int | None

    @property
    def address(self) -> str:
        if self.kind == "resource":
            return ".".join(self.labels)
        if self.kind == "data":
            return "data." + ".".join(self.labels)
        return f"{self.kind}.{'.'.join(self.labels)}" if self.labels else self.kind


@dataclass
class Module:
    """The parsed .tf files of one directory."""

    directory: str
    files: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]


def _block_lines(tree: Any) -> list[tuple[str, tuple[str, ...], int | None]]:
    """(kind, labels, line) of each top-level block, from the raw parse tree (python-hcl2 drops positions)."""
    found = []
    body = next((c for c in tree.children if getattr(c, "data", None) == "body"), None)
    for child in getattr(body, "children", []):
        if getattr(child, "data", None) != "block":
            continue
        parts = child.children
        kind = str(parts[0].children[0]) if getattr(parts[0], "data", None) == "identifier" else "?"
        labels = []
        for part in parts[1:]:
            if getattr(part, "data", None) == "string":
                labels.append(
                    "".join(
                        str(t)
                        for sub in part.children
                        if getattr(sub, "data", None) == "string_part"
                        for t in sub.children
                    )
                )
            elif getattr(part, "data", None) == "identifier":
                labels.append(str(part.children[0]))
            else:
                break
        found.append((kind, tuple(labels), None if child.meta.empty else child.meta.line))
    return found


def _flatten(kind: str, value: Any, depth: int) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """python-hcl2 nests labelled blocks as {label: {label: body}}; unnest ``depth`` labels."""
    if depth == 0:
        return [((), value)]
    found = []
    for label, inner in value.items():
        if label.startswith("__"):
            continue
        for labels, body in _flatten(kind, inner, depth - 1):
            found.append(((label, *labels), body))
    return found


def parse_file(path: str, text: str) -> tuple[list[Block], list[Problem]]:
    """The top-level blocks of one .tf file, or its syntax error (with line and column)."""
    from hcl2.api import parses_to_tree, serialize, transform
    from hcl2.utils import SerializationOptions
    from lark.exceptions import UnexpectedInput

    try:
        tree = parses_to_tree(text)
        data = serialize(
            transform(tree), serialization_options=SerializationOptions(with_comments=False, strip_string_quotes=True)
        )
    except UnexpectedInput as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], [
            Problem(
                "error",
                path,
                getattr(exc, "line", None),
                f"syntax error at line {exc.line}, column {exc.column}: {first}",
            )
        ]
    except Exception as exc:  # python-hcl2 raises plain errors for some malformed input
        return [], [Problem("error", path, None, f"could not parse: {exc}")]
    positions = _block_lines(tree)
    lines: dict[tuple[str, tuple[str, ...]], list[int | None]] = {}
    for position in positions:
        lines.setdefault((position[0], position[1]), []).append(position[2])
    blocks: list[Block] = []
    problems: list[Problem] = []
    for kind, entries in data.items():
        if kind.startswith("__"):
            continue
        if kind not in TOP_LEVEL:
            line = next((p[2] for p in positions if p[0] == kind), None)
            problems.append(
                Problem(
                    "error", path, line, f"unknown top-level block {kind!r} (Terraform knows {', '.join(TOP_LEVEL)})"
                )
            )
            continue
        for entry in entries if isinstance(entries, list) else [entries]:
            for labels, body in _flatten(kind, entry, _LABELS.get(kind, 0)):
                # Same-named blocks (a duplicate) come in source order: take their lines in turn.
                queue = lines.get((kind, labels)) or [None]
                line = queue.pop(0) if len(queue) > 1 else queue[0]
                blocks.append(Block(kind, labels, body if isinstance(body, dict) else {}, path, line))
    return blocks, problems


def target_files(store: ArtifactStore, path: str) -> list[str]:
    """The .tf files ``path`` names: one file, or every .tf file under a directory."""
    cleaned = clean_path(path)
    if cleaned.endswith(".tf"):
        if not store.exists(cleaned):
            raise ArtifactNotFound(f"no file {cleaned!r} in the project repository")
        return [cleaned]
    prefix = cleaned.rstrip("/") + "/"
    files = [f for f in store.files(prefix) if f.endswith(".tf")]
    if not files:
        raise ArtifactNotFound(f"no .tf files under {prefix!r} (list_artifacts shows what is there)")
    return files


def load_modules(store: ArtifactStore, path: str) -> list[Module]:
    """Parse the modules (directories) holding the .tf files ``path`` names; a file brings its whole directory,
    since Terraform resolves references across the files of one directory."""
    directories = sorted({f.rsplit("/", 1)[0] if "/" in f else "" for f in target_files(store, path)})
    modules = []
    for directory in directories:
        module = Module(directory)
        prefix = f"{directory}/" if directory else ""
        for name in store.files(prefix):
            if name.endswith(".tf") and "/" not in name[len(prefix) :]:
                module.files.append(name)
                blocks, problems = parse_file(name, store.read(name))
                module.blocks.extend(blocks)
                module.problems.extend(problems)
        modules.append(module)
    return modules


def tool_modules(store: ArtifactStore, path: str) -> list[Module]:
    """:func:`load_modules` for a tool: a missing path, or one outside the repository, becomes a
    :class:`ToolError` the agent reads."""
    try:
        return load_modules(store, path)
    except (ArtifactNotFound, ArtifactScopeError) as exc:
        raise ToolError(str(exc)) from None


def strings(value: Any) -> list[str]:
    """Every string inside a parsed value (attributes, nested blocks, lists)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if not k.startswith("__") for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def expressions(value: Any) -> list[str]:
    """The expression parts of every string: ``${...}`` interpolations (python-hcl2 wraps bare ones too)."""
    return [m.group(1) for s in strings(value) for m in _INTERPOLATION.finditer(s)]


def providers_of(module: Module) -> set[str]:
    declared = {b.labels[0] for b in module.of("provider") if b.labels}
    for block in module.of("terraform"):
        for required in block.body.get("required_providers", []) or []:
            if isinstance(required, dict):
                declared |= {k for k in required if not k.startswith("__")}
    return declared


def check_module(module: Module) -> list[Problem]:
    """Structural checks of one parsed module (see the module docstring)."""
    problems = list(module.problems)
    seen: dict[str, Block] = {}
    for block in module.blocks:
        want = _LABELS.get(block.kind, 0)
        if len(block.labels) != want:
            problems.append(
                Problem(
                    "error",
                    block.file,
                    block.line,
                    f"{block.kind} block needs {want} label(s), has {len(block.labels)}",
                )
            )
            continue
        if block.kind in ("terraform", "locals", "moved", "import", "removed"):
            continue
        if block.address in seen:
            first = seen[block.address]
            problems.append(
                Problem(
                    "error",
                    block.file,
                    block.line,
                    f"{block.address} is declared twice (also {first.file} line {first.line})",
                )
            )
        seen[block.address] = block
    locals_ = {k for b in module.of("locals") for k in b.body if not k.startswith("__")}
    variables = {b.labels[0] for b in module.of("variable") if b.labels}
    modules = {b.labels[0] for b in module.of("module") if b.labels}
    resources = {".".join(b.labels) for b in module.of("resource") if len(b.labels) == 2}
    data = {".".join(b.labels) for b in module.of("data") if len(b.labels) == 2}
    providers = providers_of(module)
    prefixes = providers | {
        b.labels[0].split("_")[0] for b in module.blocks if b.kind in ("resource", "data") and b.labels
    }
    if not providers and (resources or data):
        problems.append(
            Problem(
                "warning",
                module.files[0] if module.files else module.directory,
                None,
                "no provider is declared (terraform { required_providers { ... } }); Terraform would "
                "guess hashicorp/<prefix> and the version is not pinned",
            )
        )
    for block in module.blocks:
        if block.kind in ("resource", "data") and len(block.labels) == 2:
            kind = block.labels[0]
            if not _TYPE.match(kind):
                problems.append(
                    Problem("error", block.file, block.line, f"{block.kind} type {kind!r} is not <provider>_<type>")
                )
            elif providers and kind.split("_")[0] not in providers:
                declared_list = ", ".join(sorted(providers))
                problems.append(
                    Problem(
                        "error",
                        block.file,
                        block.line,
                        f"{block.address}: provider {kind.split('_')[0]!r} is not declared (declared: {declared_list})",
                    )
                )
        if block.kind == "output" and "value" not in block.body:
            problems.append(Problem("error", block.file, block.line, f"{block.address} has no value"))
        if block.kind == "module" and "source" not in block.body:
            problems.append(Problem("error", block.file, block.line, f"{block.address} has no source"))
        if block.kind == "variable" and "default" not in block.body and "type" not in block.body:
            problems.append(
                Problem("warning", block.file, block.line, f"{block.address} has neither a type nor a default")
            )
        used: set[tuple[str, str]] = set()
        for expression in expressions(block.body):
            used |= {("variable", m) for m in _REFS["variable"].findall(expression)}
            used |= {("local", m) for m in _REFS["local"].findall(expression)}
            used |= {("module", m) for m in _REFS["module"].findall(expression)}
            used |= {("data", ".".join(m)) for m in _REFS["data"].findall(expression)}
            used |= {
                ("resource", ".".join(m))
                for m in _REFS["resource"].findall(expression)
                if m[0].split("_")[0] in prefixes
            }
        declared = {"variable": variables, "local": locals_, "module": modules, "data": data, "resource": resources}
        shown = {"variable": "var.", "local": "local.", "module": "module.", "data": "data.", "resource": ""}
        for kind, name in sorted(used):
            if name not in declared[kind]:
                problems.append(
                    Problem(
                        "error",
                        block.file,
                        block.line,
                        f"{block.address} refers to "
                        f"{shown[kind]}{name}, which is not declared in {module.directory or '.'}/",
                    )
                )
    referenced = {v for b in module.blocks for e in expressions(b.body) for v in _REFS["variable"].findall(e)}
    for block in module.of("variable"):
        if block.labels and block.labels[0] not in referenced:
            problems.append(Problem("warning", block.file, block.line, f"{block.address} is declared but never used"))
    return problems


@crewbot_tool(side_effects="read")
def validate_terraform(path: str = "infra/", tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Validate Terraform in the project repository without providers: HCL syntax (file, line), block structure,
    resource types against the declared providers, duplicates, and undeclared var./local./module./data./resource
    references. Run it after writing .tf files and fix every error.

    Args:
        path: A .tf file or a directory (default infra/); a file is checked together with its directory.
    """
    call = crew_call(tool_context)
    store = call.service.artifacts(call.project.project_id)
    modules = tool_modules(store, path)
    problems = [p for m in modules for p in check_module(m)]
    errors = [p for p in problems if p.severity == "error"]
    return {
        "valid": not errors,
        "files": [f for m in modules for f in m.files],
        "resources": sum(len(m.of("resource")) for m in modules),
        "errors": len(errors),
        "warnings": len(problems) - len(errors),
        "problems": [p.view() for p in problems],
        "note": "Checked without providers: argument names and values are not validated against provider "
        "schemas (terraform validate does that where providers can be installed).",
    }
