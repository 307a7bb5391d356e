"""How the offline crew (:mod:`plugins.projects.offline_crew`) uses the specialist tools, deterministically, so
the offline demo shows them at work. Each function returns the next tool calls for an agent in a phase,
from what it has called and read so far in its node:

* **SA, Architecture** — ``knowledge_base_search`` for the requirements, ``aws_service_lookup`` for the
  requirements and constraints (one service per category, best first), ``generate_diagram`` of the
  request path, and the phase's ADR through ``write_adr`` (numbered, with the chosen services' limits as
  consequences).
* **Security** — ``scan_iac`` over ``infra/`` with a report, and in Architecture a ``threat_model`` from
  the SA's diagram; both summarised in the security review.
* **Data, POC** — ``design_schema`` of the entities the SOW talks about.
* **QA, Production** — ``lint_code`` over ``app/`` and ``validate_terraform`` before the test plan.
* **After writing** — Infra runs ``validate_terraform`` and ``scan_iac``; Dev runs ``lint_code``.
"""

from __future__ import annotations

import re
from typing import Any

from bot.api import ToolCall
from plugins.projects.crew import Deliverable, PhaseSpec

DIAGRAM_PATH = "docs/architecture/diagrams/architecture.md"
MAX_SERVICES = 7
# Business nouns a SOW commonly names, and a starting model for each (the Data agent's first cut).
ENTITY_STARTERS: dict[str, tuple[str, list[str]]] = {
    "customer": (
        "customers",
        ["id uuid pk", "email email unique required", "name string required", "created_at timestamp required"],
    ),
    "product": (
        "products",
        [
            "id uuid pk",
            "sku string unique required",
            "name string required",
            "price decimal required",
            "description text",
        ],
    ),
    "order": (
        "orders",
        [
            "id uuid pk",
            "customer_id uuid required ref customers",
            "status string required",
            "total decimal required",
            "placed_at timestamp required",
        ],
    ),
    "payment": (
        "payments",
        [
            "id uuid pk",
            "order_id uuid required ref orders",
            "amount decimal required",
            "provider_reference string unique",
            "status string required",
        ],
    ),
    "staff": ("staff_members", ["id uuid pk", "email email unique required", "role string required"]),
    "invoice": (
        "invoices",
        [
            "id uuid pk",
            "order_id uuid required ref orders",
            "number string unique required",
            "issued_at timestamp required",
        ],
    ),
    "booking": (
        "bookings",
        [
            "id uuid pk",
            "customer_id uuid required ref customers",
            "starts_at timestamp required",
            "status string required",
        ],
    ),
    "ticket": (
        "tickets",
        ["id uuid pk", "customer_id uuid ref customers", "subject string required", "status string required"],
    ),
}


def _sow_text(ledger: dict[str, Any], *keys: str) -> str:
    sow = ledger.get("sow") or {}
    return ". ".join(str(item) for key in keys for item in (sow.get(key) or []))


def before_writes(
    agent: str, spec: PhaseSpec, ledger: dict[str, Any], names: list[str], tools: set[str], results: dict[str, Any]
) -> list[ToolCall]:
    """Tool calls an agent makes before writing its deliverables."""
    if agent == "sa" and spec.name == "architecture":
        return _sa_architecture(ledger, names, tools, results)
    if agent == "security":
        if "list_artifacts" in tools and "list_artifacts" not in names:
            return [ToolCall("list_artifacts", {"prefix": ""})]
        files = (
            (results.get("list_artifacts") or {}).get("files", [])
            if isinstance(results.get("list_artifacts"), dict)
            else []
        )
        calls = []
        if (
            "scan_iac" in tools
            and "scan_iac" not in names
            and any(f.startswith("infra/") and f.endswith(".tf") for f in files)
        ):
            calls.append(ToolCall("scan_iac", {"path": "infra/", "report_path": f"security/iac-scan-{spec.name}.md"}))
        if (
            spec.name == "architecture"
            and "threat_model" in tools
            and "threat_model" not in names
            and DIAGRAM_PATH in files
        ):
            calls.append(ToolCall("threat_model", {"diagram_path": DIAGRAM_PATH, "path": "security/threat-model.md"}))
        return calls
    if agent == "data" and spec.name == "poc" and "design_schema" in tools and "design_schema" not in names:
        return [ToolCall("design_schema", {"entities": entities_from_sow(ledger), "name": "data-model"})]
    if agent == "qa" and spec.name == "production":
        calls = [
            ToolCall(name, {"path": path})
            for name, path in (("lint_code", "app/"), ("validate_terraform", "infra/"))
            if name in tools and name not in names
        ]
        return calls
    return []


def after_writes(agent: str, spec: PhaseSpec, names: list[str], tools: set[str]) -> list[ToolCall]:
    """Checks an agent runs over what it has just written."""
    paths = [d.path for d in spec.deliverables_of(agent)]
    if agent == "infra" and any(p.endswith(".tf") for p in paths):
        return [
            ToolCall(name, {"path": "infra/"})
            for name in ("validate_terraform", "scan_iac")
            if name in tools and name not in names
        ]
    if agent == "dev" and paths and "lint_code" in tools and "lint_code" not in names:
        return [ToolCall("lint_code", {"path": "app/"})]
    return []


def _sa_architecture(
    ledger: dict[str, Any], names: list[str], tools: set[str], results: dict[str, Any]
) -> list[ToolCall]:
    requirements = _sow_text(ledger, "requirements", "objectives")
    if "knowledge_base_search" in tools and "knowledge_base_search" not in names and requirements:
        return [ToolCall("knowledge_base_search", {"query": requirements, "limit": 3})]
    if "aws_service_lookup" in tools and "aws_service_lookup" not in names:
        need = _sow_text(ledger, "requirements", "constraints") or str(ledger.get("project") or "web application")
        return [ToolCall("aws_service_lookup", {"need": need, "limit": 10})]
    services = chosen_services(results)
    if services and "generate_diagram" in tools and "generate_diagram" not in names:
        components, connections = request_path(services)
        return [
            ToolCall(
                "generate_diagram",
                {"title": "Architecture", "components": components, "connections": connections, "path": DIAGRAM_PATH},
            )
        ]
    return []


def chosen_services(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The lookup's best service per category (at most MAX_SERVICES): an architect picks one of each kind."""
    found = results.get("aws_service_lookup")
    chosen: dict[str, dict[str, Any]] = {}
    for service in found.get("services", []) if isinstance(found, dict) else []:
        chosen.setdefault(service["category"], service)
    return list(chosen.values())[:MAX_SERVICES]


def request_path(services: list[dict[str, Any]]) -> tuple[list[dict[str, str]], list[str]]:
    """Components and connections: users → edge/API tiers in turn → the compute tier → everything behind it
    (queues, third parties, data stores); identity, security and operations services sit beside the path."""
    from plugins.projects.specialist.catalogue import catalogue

    tiers: dict[int, list[str]] = {}
    external: set[str] = set()
    components = [{"name": "Customers", "kind": "user"}]
    by_id = {s["id"]: s for s in catalogue().services}
    for service in services:
        entry = by_id.get(service["id"], {})
        tier = int(entry.get("tier", 3))
        group = "Security and operations" if tier == 0 else "AWS"
        if entry.get("kind") == "external":
            group = "Third parties"
            external.add(service["name"])
        components.append({"name": service["name"], "kind": str(entry.get("kind", "compute")), "group": group})
        if tier:
            tiers.setdefault(tier, []).append(service["name"])
    order = sorted(tiers)
    connections: list[str] = []
    if order:
        connections += [f"Customers -> {name}: HTTPS" for name in tiers[order[0]]]
    for index, tier in enumerate(order[:-1]):
        behind = order[index + 1 :]
        # Up to the compute tier, each tier calls the next; compute (or the last tier before what lies behind
        # it, when there is no compute) calls everything behind it. External services call nobody.
        targets = tiers[behind[0]] if tier < 3 and behind[0] <= 3 else [n for t in behind for n in tiers[t]]
        sources = [n for n in tiers[tier] if n not in external]
        connections += [f"{source} -> {target}" for source in sources for target in targets]
        if not (tier < 3 and behind[0] <= 3):
            break
    return components, connections


def entities_from_sow(ledger: dict[str, Any]) -> list[dict[str, Any]]:
    """The entities the SOW's text names (plural-insensitive), with references only to entities present."""
    words = set(re.findall(r"[a-z]+", _sow_text(ledger, "objectives", "requirements", "deliverables").lower()))
    words |= {w[:-1] for w in words if w.endswith("s")}
    picked = [ENTITY_STARTERS[noun] for noun in ENTITY_STARTERS if noun in words]
    if not picked:
        picked = [("records", ["id uuid pk", "name string required", "created_at timestamp required"])]
    names = {table for table, _ in picked}
    entities = []
    for table, fields in picked:
        kept = [f for f in fields if " ref " not in f or f.rsplit(" ", 1)[-1] in names]
        entities.append({"name": table, "fields": kept})
    return entities


def adr_call(
    deliverable: Deliverable, ledger: dict[str, Any], feedback: list[str], results: dict[str, Any]
) -> ToolCall:
    """The phase's ADR through ``write_adr``: the services chosen, and their limits as consequences."""
    services = chosen_services(results)
    context = (
        f"Requirements: {_sow_text(ledger, 'requirements') or 'see the SOW'}. Constraints: "
        f"{_sow_text(ledger, 'constraints') or 'none recorded'}."
    )
    if services:
        decision = "Build on " + "; ".join(f"{s['name']} ({s['use_for']})" for s in services) + "."
        consequences = " ".join(f"{s['name']}: {s['limits'][0]}." for s in services if s.get("limits"))
        consequences += f" Diagram: {DIAGRAM_PATH}."
    else:
        decision = "Follow the architecture document's approach; services are chosen in the document."
        consequences = "Revisit when the requirements change."
    for item in feedback:
        decision += f" Revised to address the customer's feedback: {item}"
    return ToolCall(
        "write_adr",
        {
            "title": deliverable.title,
            "context": context,
            "decision": decision,
            "consequences": consequences,
            "status": "proposed",
        },
    )


def notes(agent: str, results: dict[str, Any]) -> list[str]:
    """Lines for the agent's documents from what its specialist tools found."""
    lines = []
    services = chosen_services(results)
    if agent == "sa" and services:
        lines.append(
            "Services (aws_service_lookup): " + ", ".join(s["name"] for s in services) + f". Diagram: {DIAGRAM_PATH}."
        )
    found = results.get("knowledge_base_search")
    if isinstance(found, dict) and found.get("results"):
        lines.append(
            "Related material (knowledge_base_search): "
            + ", ".join(f"{r['where']} ({r['heading'] or 'top'})" for r in found["results"])
        )
    lines += [
        summary
        for summary in (
            _summary(name, results.get(name))
            for name in ("scan_iac", "threat_model", "design_schema", "lint_code", "validate_terraform")
        )
        if summary
    ]
    return lines


def _summary(name: str, result: Any) -> str:
    if not isinstance(result, dict):
        return ""
    if name == "scan_iac":
        counts = ", ".join(f"{n} {s}" for s, n in (result.get("counts") or {}).items()) or "no findings"
        report = (result.get("report") or {}).get("path")
        return (
            f"IaC scan of {len(result.get('files', []))} file(s), {result.get('resources', 0)} resource(s): "
            f"{counts}" + (f" (report: {report})" if report else "") + "."
        )
    if name == "threat_model":
        return (
            f"Threat model (STRIDE): {result.get('threats')} threats, {result.get('high')} high ({result.get('path')})."
        )
    if name == "design_schema":
        return (
            f"Schema: {', '.join(result.get('entities', []))} ({result.get('ddl_path')}, "
            f"{result.get('json_schema_path')})."
        )
    if name == "lint_code":
        return (
            f"Lint of {len(result.get('files', []))} file(s): {result.get('errors', 0)} error(s), "
            f"{result.get('warnings', 0)} warning(s) ({result.get('python_checks')})."
        )
    if name == "validate_terraform":
        return (
            f"Terraform validation: {'valid' if result.get('valid') else 'INVALID'}, {result.get('errors', 0)} "
            f"error(s), {result.get('warnings', 0)} warning(s)."
        )
    return ""


def check_summaries(results: dict[str, Any]) -> list[str]:
    """One line per check run in this node, for the agent's closing message."""
    return [
        line
        for line in (_summary(name, results.get(name)) for name in ("validate_terraform", "scan_iac", "lint_code"))
        if line
    ]
