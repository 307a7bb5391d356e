"""``generate_diagram``: an architecture diagram as Mermaid (renders in GitHub, GitLab and most Markdown
viewers), written as a Markdown document into the caller's directories.

The document also carries the components and connections as JSON in an HTML comment, so other tools
(``threat_model``) can read the diagram back exactly instead of parsing Mermaid.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.specialist.base import (
    Component,
    Connection,
    default_path,
    parse_components,
    parse_connections,
    slug,
    write_scoped,
)
from plugins.projects.tools import crew_call

SPEC_MARKER = "crewbot-diagram:"
_SPEC = re.compile(r"<!--\s*crewbot-diagram:\s*(\{.*?\})\s*-->", re.S)
# Mermaid flowchart shapes per kind: users are circles, data stores cylinders, queues parallelograms.
_SHAPES: dict[str, tuple[str, str]] = {
    "user": ("((", "))"),
    "external": ("[/", "\\]"),
    "datastore": ("[(", ")]"),
    "queue": ("[/", "/]"),
    "security": ("{{", "}}"),
    "observability": ("{{", "}}"),
    "edge": ("([", "])"),
}


def _label(text: str) -> str:
    """Text safe inside a quoted Mermaid label (quotes and angle brackets as entities)."""
    return text.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;").replace(">", "&gt;")


def _edge_label(text: str) -> str:
    return re.sub(r"[|\"\[\]{}()<>;]", " ", text).strip()


def mermaid(components: list[Component], connections: list[Connection], direction: str = "LR") -> str:
    """The Mermaid flowchart source for ``components`` and ``connections`` (groups become subgraphs)."""
    lines = [f"flowchart {direction}"]

    def node(c: Component) -> str:
        start, end = _SHAPES.get(c.kind, ("[", "]"))
        return f'{c.id}{start}"{_label(c.name)}"{end}'

    groups: dict[str, list[Component]] = {}
    for c in components:
        groups.setdefault(c.group, []).append(c)
    for c in groups.pop("", []):
        lines.append(f"    {node(c)}")
    for number, (group, members) in enumerate(groups.items(), 1):
        lines.append(f'    subgraph g{number}["{_label(group)}"]')
        lines.extend(f"        {node(c)}" for c in members)
        lines.append("    end")
    for link in connections:
        label = _edge_label(link.label)
        arrow = f"-->|{label}|" if label else "-->"
        lines.append(f"    {link.source} {arrow} {link.target}")
    return "\n".join(lines)


def diagram_document(
    title: str,
    components: list[Component],
    connections: list[Connection],
    author: str,
    phase: str,
    direction: str = "LR",
) -> str:
    names = {c.id: c.name for c in components}
    rows = "\n".join(f"| {c.name} | {c.kind} | {c.group or '-'} |" for c in components)
    flows = "\n".join(f"| {names[x.source]} | {names[x.target]} | {x.label or '-'} |" for x in connections)
    spec = {
        "title": title,
        "components": [{"name": c.name, "kind": c.kind, "group": c.group} for c in components],
        "connections": [{"from": names[x.source], "to": names[x.target], "label": x.label} for x in connections],
    }
    chart = mermaid(components, connections, direction)
    return (
        f"# {title}\n\n*Diagram by {author} · {phase} phase*\n\n```mermaid\n{chart}\n"
        f"```\n\n## Components\n\n| component | kind | group |\n| --- | --- | --- |\n{rows}\n\n"
        f"## Connections\n\n| from | to | what |\n| --- | --- | --- |\n{flows or '| - | - | - |'}\n\n"
        f"<!-- {SPEC_MARKER} {json.dumps(spec, ensure_ascii=False)} -->\n"
    )


def read_diagram_spec(text: str, path: str) -> dict[str, Any]:
    """The components and connections a diagram document was made from."""
    match = _SPEC.search(text)
    if not match:
        raise ToolError(f"{path} was not made by generate_diagram (no component list in it); pass the components")
    return dict(json.loads(match.group(1)))


@crewbot_tool(side_effects="write")
def generate_diagram(
    title: str,
    components: list[str | dict[str, Any]],
    connections: list[str | dict[str, Any]],
    path: str = "",
    direction: str = "LR",
    tool_context: ToolInvocation | None = None,
) -> dict:
    """Draw an architecture diagram (Mermaid flowchart) and write it as a Markdown document in your directories.

    Args:
        title: The diagram's title, e.g. "Checkout architecture".
        components: Names, or objects {"name": "Orders table", "kind": "datastore", "group": "AWS eu-west-1"};
            kind is one of user, external, edge, api, compute, queue, datastore, security, observability
            (guessed from the name when left out: AWS services are recognised).
        connections: "Customers -> API Gateway: HTTPS" strings, or objects {"from", "to", "label"}.
        path: Where to write it (default: diagrams/<title>.md under your first directory).
        direction: LR (left to right) or TB (top to bottom).
    """
    call = crew_call(tool_context)
    if not title.strip():
        raise ToolError("the diagram needs a title")
    if direction not in ("LR", "TB", "RL", "BT"):
        raise ToolError(f"direction must be LR, TB, RL or BT, not {direction!r}")
    parts = parse_components(components)
    links = parse_connections(connections, parts)
    target = path or default_path(call, "diagrams/", f"{slug(title, 'diagram')}.md")
    if not target.endswith(".md"):
        raise ToolError(f"{target!r}: the diagram is a Markdown document; give a path ending in .md")
    document = diagram_document(title.strip(), parts, links, call.agent, call.phase, direction)
    written = write_scoped(call, target, document, f"{call.agent}: diagram {title.strip()} ({call.phase})")
    return {**written, "components": len(parts), "connections": len(links), "mermaid": mermaid(parts, links, direction)}
