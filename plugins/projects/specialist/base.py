"""What the specialist tools share: where a document goes in the caller's scope, the scoped write, the
component and connection lists of diagrams and threat models, and plain keyword scoring.

Every write goes through the project's artifact store (:func:`plugins.projects.tools._write`), so the scope
check, the commit and the audit entry on a refusal are the same as for ``write_artifact``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.api import ToolError
from plugins.projects.artifacts import WRITE_SCOPES
from plugins.projects.tools import CrewCall
from plugins.projects.tools import _write as write_scoped

__all__ = [
    "Component",
    "Connection",
    "default_path",
    "parse_components",
    "parse_connections",
    "slug",
    "terms",
    "write_scoped",
]

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what a text is about (kept short: the scoring is plain keyword overlap).
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "will",
        "with",
        "within",
        "where",
        "which",
        "who",
        "should",
        "must",
    }
)


def terms(text: str) -> list[str]:
    """Lower-case words of ``text`` without stop words, with a naive plural folding (orders → order)."""
    found = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.append(word)
    return found


def slug(text: str, fallback: str = "document") -> str:
    """A file-name friendly form of ``text`` (lower case, dashes, at most 60 characters)."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return value or fallback


def default_path(call: CrewCall, folder: str, name: str) -> str:
    """``<the caller's first directory><folder><name>``: where a tool writes when no path is given."""
    scopes = WRITE_SCOPES.get(call.agent)
    if not scopes:
        raise ToolError(f"{call.agent} has no directories in the project repository to write this into")
    return f"{scopes[0]}{folder}{name}"


@dataclass(frozen=True)
class Component:
    """A box of a diagram or an element of a threat model."""

    id: str
    name: str
    kind: str
    group: str = ""


@dataclass(frozen=True)
class Connection:
    """An arrow between two components."""

    source: str
    target: str
    label: str = ""


KINDS: tuple[str, ...] = (
    "user",
    "external",
    "edge",
    "api",
    "compute",
    "queue",
    "datastore",
    "security",
    "observability",
)
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "user": ("user", "users", "customer", "customers", "staff", "admin", "browser", "client", "actor", "people"),
    "datastore": ("database", "db", "table", "bucket", "storage", "store", "cache", "warehouse", "lake"),
    "queue": ("queue", "topic", "stream", "bus", "events"),
    "external": ("external", "third", "partner", "provider", "saas"),
}


def guess_kind(name: str) -> str:
    """The kind of a component from the AWS catalogue (by name), else from words in its name."""
    from plugins.projects.specialist.catalogue import catalogue

    service = catalogue().match_name(name)
    if service is not None:
        return str(service["kind"])
    words = set(re.findall(r"[a-z]+", name.lower()))
    for kind, hints in _KIND_WORDS.items():
        if words & set(hints):
            return kind
    return "compute"


def parse_components(components: list[Any], what: str = "components") -> list[Component]:
    """Components given as names (``"API Gateway"``) or objects (``{"name", "kind", "group"}``), checked."""
    if not isinstance(components, list) or not components:
        raise ToolError(
            f'{what} is empty: give a list of names or objects like {{"name": "Orders API", "kind": "api"}}'
        )
    if len(components) > 60:
        raise ToolError(f"{len(components)} {what} is too many for one document (at most 60); split it up")
    found: list[Component] = []
    ids: set[str] = set()
    names: set[str] = set()
    for index, raw in enumerate(components, 1):
        if isinstance(raw, str):
            name, kind, group = raw.strip(), "", ""
        elif isinstance(raw, dict):
            name = str(raw.get("name") or "").strip()
            kind = str(raw.get("kind") or raw.get("type") or "").strip().lower()
            group = str(raw.get("group") or "").strip()
        else:
            raise ToolError(f"{what} item {index} is a {type(raw).__name__}; give a name or an object with 'name'")
        if not name:
            raise ToolError(f"{what} item {index} has no name")
        if name.lower() in names:
            raise ToolError(f"{what} item {index}: {name!r} appears twice; names must be unique")
        if kind and kind not in KINDS:
            raise ToolError(f"{what} item {index} ({name}): kind {kind!r} is unknown; use one of {', '.join(KINDS)}")
        ident = slug(name, "node")[:30].strip("-").replace("-", "_")
        while ident in ids:
            ident += "_"
        ids.add(ident)
        names.add(name.lower())
        found.append(Component(ident, name[:80], kind or guess_kind(name), group[:60]))
    return found


_ARROW = re.compile(r"^\s*(.+?)\s*(?:->|-->|→)\s*(.+?)\s*(?::\s*(.*))?$")


def parse_connections(connections: list[Any], components: list[Component]) -> list[Connection]:
    """Connections as ``"Users -> API: HTTPS"`` or ``{"from", "to", "label"}``, between known components."""
    by_name = {c.name.lower(): c for c in components}
    found: list[Connection] = []
    for index, raw in enumerate(connections or [], 1):
        if isinstance(raw, str):
            match = _ARROW.match(raw)
            if not match:
                raise ToolError(f"connection {index} {raw!r} is not 'From -> To: label'")
            source, target, label = match.group(1), match.group(2), match.group(3) or ""
        elif isinstance(raw, dict):
            source = str(raw.get("from") or raw.get("source") or "")
            target = str(raw.get("to") or raw.get("target") or "")
            label = str(raw.get("label") or "")
        else:
            raise ToolError(f"connection {index} is a {type(raw).__name__}; give 'From -> To: label' or an object")
        missing = [n for n in (source, target) if n.strip().lower() not in by_name]
        if missing:
            raise ToolError(
                f"connection {index} names {', '.join(repr(m) for m in missing)}, which is not one of "
                f"the components ({', '.join(c.name for c in components)})"
            )
        found.append(
            Connection(by_name[source.strip().lower()].id, by_name[target.strip().lower()].id, label.strip()[:60])
        )
    return found
