"""``threat_model``: a STRIDE threat model from the system's components and connections (or from a diagram
made by ``generate_diagram``), written as a Markdown document in the caller's directories.

STRIDE per element (Microsoft's SDL mapping): external entities and users can be **S**poofed and can
**R**epudiate; processes (edge, API, compute) face all six; data stores face **T**ampering, **R**epudiation,
**I**nformation disclosure and **D**enial of service; data flows face T, I and D. An element reachable
from a user or external system, and a flow crossing from one into the system, is *exposed*: its
threats are rated high. Mitigations are the category's standard controls plus the AWS service's
security baseline from the catalogue when the element is a known service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.artifacts import ArtifactNotFound, ArtifactScopeError
from plugins.projects.specialist.base import (
    Component,
    Connection,
    default_path,
    parse_components,
    parse_connections,
    slug,
    write_scoped,
)
from plugins.projects.specialist.catalogue import catalogue
from plugins.projects.specialist.diagrams import read_diagram_spec
from plugins.projects.tools import crew_call

CATEGORIES: dict[str, str] = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}
_ELEMENT = {
    "user": "external",
    "external": "external",
    "datastore": "store",
    "edge": "process",
    "api": "process",
    "compute": "process",
    "queue": "store",
    "security": "process",
    "observability": "store",
}
_APPLIES = {"external": "SR", "process": "STRIDE", "store": "TRID", "flow": "TID"}
_THREAT = {
    ("external", "S"): "Someone impersonates {name} (stolen credentials, forged requests).",
    ("external", "R"): "{name} denies having made a request or change.",
    ("process", "S"): "A caller spoofs its identity to {name}.",
    ("process", "T"): "Input to {name} is manipulated (injection, parameter tampering, replay).",
    ("process", "R"): "Actions through {name} cannot be traced to who did them.",
    ("process", "I"): "{name} leaks data in responses, errors or logs.",
    ("process", "D"): "{name} is overwhelmed or made to fail (floods, expensive requests, exhausted quotas).",
    ("process", "E"): "A flaw or over-broad role lets a caller of {name} do more than allowed.",
    ("store", "T"): "Data in {name} is altered or deleted without authorisation.",
    ("store", "R"): "Changes to {name} cannot be attributed (no data-access audit).",
    ("store", "I"): "Data in {name} is read by someone who should not (public access, leaked keys, backups).",
    ("store", "D"): "{name} becomes unavailable or its capacity is exhausted; data is lost.",
    ("flow", "T"): "Data on {name} is modified in transit.",
    ("flow", "I"): "Data on {name} is intercepted in transit.",
    ("flow", "D"): "{name} is interrupted or flooded.",
}
_MITIGATION = {
    "S": "Strong authentication (Cognito/OIDC or IAM SigV4), MFA for staff, short-lived tokens.",
    "T": "Validate and sanitise input, sign or checksum messages, least-privilege write access, versioning.",
    "R": "Audit logging with the caller's identity (CloudTrail, access logs), tamper-evident log storage.",
    "I": "Encrypt at rest (KMS) and in transit (TLS 1.2+), least-privilege reads, no secrets or PII in logs.",
    "D": "Throttling and quotas, WAF rate rules, autoscaling, backups and tested restores, multi-AZ.",
    "E": "Least-privilege roles per component, authorisation checks on every action, patched dependencies.",
}


@dataclass(frozen=True)
class Threat:
    id: str
    element: str
    element_type: str
    category: str
    threat: str
    risk: str
    mitigation: str


def model(components: list[Component], connections: list[Connection]) -> list[Threat]:
    """The STRIDE threats of every element and flow (deterministic order: components, then flows)."""
    by_id = {c.id: c for c in components}
    outside = {c.id for c in components if _ELEMENT.get(c.kind) == "external"}
    exposed = {x.target for x in connections if x.source in outside} | outside
    threats: list[Threat] = []

    def add(element: str, element_type: str, letter: str, risk: str, extra: str = "") -> None:
        text = _THREAT[(element_type, letter)].format(name=element)
        mitigation = _MITIGATION[letter] + (f" {extra}" if extra else "")
        threats.append(
            Threat(f"T{len(threats) + 1:03d}", element, element_type, CATEGORIES[letter], text, risk, mitigation)
        )

    for component in components:
        element_type = _ELEMENT.get(component.kind, "process")
        service = catalogue().match_name(component.name)
        extra = f"Service baseline: {service['security']}" if service else ""
        for letter in _APPLIES[element_type]:
            high = (component.id in exposed and letter in "STDE") or (element_type == "store" and letter == "I")
            add(component.name, element_type, letter, "high" if high else "medium", extra)
    for link in connections:
        crossing = (link.source in outside) != (link.target in outside)
        name = f"{by_id[link.source].name} → {by_id[link.target].name}" + (f" ({link.label})" if link.label else "")
        for letter in _APPLIES["flow"]:
            add(
                name,
                "flow",
                letter,
                "high" if crossing else "medium",
                "Crosses the trust boundary: authenticate and encrypt it." if crossing else "",
            )
    return threats


def document(
    title: str,
    components: list[Component],
    connections: list[Connection],
    threats: list[Threat],
    author: str,
    phase: str,
    source: str,
) -> str:
    outside = [c.name for c in components if _ELEMENT.get(c.kind) == "external"]
    lines = [
        f"# Threat model: {title}",
        "",
        f"*Method:* STRIDE per element · *By:* {author} · *Phase:* {phase}"
        + (f" · *From:* {source}" if source else ""),
        "",
        "## Scope",
        "",
        f"{len(components)} elements, {len(connections)} data flows. Outside the trust boundary: "
        + (", ".join(outside) or "nothing declared (add users and external systems)")
        + ".",
        "",
        "## Threats",
        "",
        "| id | element | type | STRIDE | threat | risk | mitigation |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {t.id} | {t.element} | {t.element_type} | {t.category} | {t.threat} | {t.risk} | {t.mitigation} |"
        for t in threats
    ]
    high = sum(1 for t in threats if t.risk == "high")
    lines += [
        "",
        "## Summary",
        "",
        f"{len(threats)} threats, {high} rated high. Review each mitigation against the "
        "design and record accepted risks in the security review.",
    ]
    return "\n".join(lines) + "\n"


@crewbot_tool(side_effects="write")
def threat_model(
    title: str = "System",
    components: list[str | dict[str, Any]] | None = None,
    connections: list[str | dict[str, Any]] | None = None,
    diagram_path: str = "",
    path: str = "",
    tool_context: ToolInvocation | None = None,
) -> dict[str, Any]:
    """Build a STRIDE threat model (threats per element and data flow, risk, mitigation) and write it as a document
    in your directories. Give the components and connections, or the path of a diagram made by generate_diagram.

    Args:
        title: What is modelled, e.g. "Checkout".
        components: Names or objects {"name", "kind"} (kinds as in generate_diagram; users and external systems
            are outside the trust boundary).
        connections: "From -> To: label" strings or {"from", "to", "label"} objects.
        diagram_path: Read components and connections from this diagram document instead.
        path: Where to write the threat model (default: threat-model-<title>.md under your first directory).
    """
    call = crew_call(tool_context)
    source = ""
    if diagram_path:
        if components:
            raise ToolError("give either components or diagram_path, not both")
        try:
            spec = read_diagram_spec(call.service.artifacts(call.project.project_id).read(diagram_path), diagram_path)
        except (ArtifactNotFound, ArtifactScopeError) as exc:
            raise ToolError(str(exc)) from None
        components, connections, source = spec["components"], spec["connections"], diagram_path
        title = title if title != "System" else str(spec.get("title") or title)
    parts = parse_components(list(components or []))
    links = parse_connections(list(connections or []), parts)
    threats = model(parts, links)
    target = path or default_path(call, "", f"threat-model-{slug(title, 'system')}.md")
    text = document(title, parts, links, threats, call.agent, call.phase, source)
    written = write_scoped(call, target, text, f"{call.agent}: threat model {title} ({call.phase})")
    return {
        **written,
        "threats": len(threats),
        "high": sum(1 for t in threats if t.risk == "high"),
        "by_category": {name: sum(1 for t in threats if t.category == name) for name in CATEGORIES.values()},
    }
