"""The crew and the phases: which agents work in each phase, the Swarm's limits, and the deliverables.

The agent subsets and limits: two-agent Swarms get ``max_handoffs=10`` and
``repetitive_handoff_min_unique_agents=2``; bigger ones 15 to 25 handoffs and 3 unique agents. Each
:class:`Deliverable` names the agent that writes it, its path (inside that agent's write scope) and
the template it starts from (``plugins/projects/templates``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CREW: tuple[str, ...] = ("pm", "sa", "infra", "dev", "data", "security", "qa")
TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Deliverable:
    agent: str
    path: str
    template: str
    title: str


@dataclass(frozen=True)
class PhaseSpec:
    """One phase: its Swarm (agents in hand-off order, entry point first) and limits, deliverables, gate."""

    name: str
    title: str
    agents: tuple[str, ...]
    max_handoffs: int
    max_iterations: int
    execution_timeout: float
    node_timeout: float
    detection_window: int
    min_unique_agents: int
    deliverables: tuple[Deliverable, ...] = field(default_factory=tuple)
    gate: bool = True
    goal: str = ""

    def deliverables_of(self, agent: str) -> list[Deliverable]:
        return [d for d in self.deliverables if d.agent == agent]

    def next_agent(self, agent: str) -> str | None:
        """Who ``agent`` hands off to in the standard sequence (``None``: the last one finishes)."""
        index = self.agents.index(agent) if agent in self.agents else -1
        return self.agents[index + 1] if 0 <= index < len(self.agents) - 1 else None


def _d(agent: str, path: str, template: str, title: str) -> Deliverable:
    return Deliverable(agent, path, template, title)


PHASES: dict[str, PhaseSpec] = {
    p.name: p
    for p in (
        PhaseSpec(
            "discovery",
            "Discovery",
            ("pm", "sa"),
            10,
            10,
            900,
            300,
            6,
            2,
            (
                _d("pm", "docs/project-plan/project-plan.md", "project_plan", "Project plan"),
                _d("pm", "docs/project-plan/requirements.md", "requirements", "Requirements"),
                _d("sa", "docs/architecture/initial-architecture.md", "architecture_doc", "Initial architecture"),
            ),
            goal="Understand the SOW, record facts and assumptions, plan the project, sketch the architecture.",
        ),
        PhaseSpec(
            "architecture",
            "Architecture",
            ("sa", "infra", "security"),
            15,
            15,
            1200,
            300,
            8,
            3,
            (
                _d("sa", "docs/architecture/architecture.md", "architecture_doc", "Architecture"),
                _d("sa", "docs/architecture/decisions/0001-architecture-approach.md", "adr", "Architecture approach"),
                _d("infra", "infra/main.tf", "terraform", "Infrastructure skeleton"),
                _d("security", "security/architecture-review.md", "security_review", "Architecture security review"),
            ),
            goal="Design the architecture, record decisions as ADRs, draft the infrastructure, review its security.",
        ),
        PhaseSpec(
            "poc",
            "Proof of concept",
            ("dev", "infra", "data", "security", "sa"),
            20,
            20,
            1800,
            300,
            8,
            3,
            (
                _d("dev", "app/poc/README.md", "work_note", "Proof of concept"),
                _d("infra", "infra/poc.tf", "terraform", "Proof-of-concept infrastructure"),
                _d("data", "data/data-model.md", "work_note", "Data model"),
                _d("security", "security/poc-review.md", "security_review", "Proof-of-concept security review"),
                _d("sa", "docs/architecture/poc-findings.md", "work_note", "Proof-of-concept findings"),
            ),
            goal="Build a thin proof of concept of the riskiest parts and record what it taught.",
        ),
        PhaseSpec(
            "production",
            "Production",
            ("dev", "infra", "data", "security", "qa"),
            25,
            25,
            2400,
            300,
            10,
            3,
            (
                _d("dev", "app/README.md", "work_note", "Application"),
                _d("infra", "infra/production.tf", "terraform", "Production infrastructure"),
                _d("data", "data/pipelines.md", "work_note", "Data pipelines"),
                _d("security", "security/production-review.md", "security_review", "Production security review"),
                _d("qa", "tests/test-plan.md", "test_plan", "Test plan"),
            ),
            goal="Build the production system, its infrastructure and pipelines; test and review it.",
        ),
        PhaseSpec(
            "handoff",
            "Handoff",
            ("pm", "sa"),
            10,
            10,
            900,
            300,
            6,
            2,
            (
                _d("pm", "docs/handoff/handoff.md", "work_note", "Handoff package"),
                _d("sa", "docs/handoff/runbook.md", "work_note", "Operations runbook"),
            ),
            goal="Package the deliverables, the runbook and the knowledge transfer for the customer.",
        ),
        PhaseSpec(
            "retrospective",
            "Retrospective",
            ("pm", "qa"),
            10,
            10,
            900,
            300,
            6,
            2,
            (
                _d("pm", "docs/retrospective/lessons.md", "retrospective", "Lessons learned"),
                _d("qa", "docs/retrospective/quality.md", "work_note", "Deliverable quality scores"),
            ),
            gate=False,
            goal="Compare outcomes with the SOW, record lessons, contribute and promote patterns.",
        ),
    )
}
PHASE_ORDER: tuple[str, ...] = tuple(PHASES)


def phase(name: str) -> PhaseSpec:
    try:
        return PHASES[name]
    except KeyError:
        raise KeyError(f"unknown phase {name!r} (phases: {', '.join(PHASE_ORDER)})") from None


# -- templates ----------------------------------------------------------------------------------------

_FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.iterdir() if p.suffix in (".md", ".tf"))


def template_text(name: str) -> str:
    for suffix in (".md", ".tf"):
        path = TEMPLATE_DIR / f"{name}{suffix}"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise KeyError(f"unknown template {name!r} (templates: {', '.join(template_names())})")


def fill_template(text: str, fields: dict[str, Any]) -> str:
    """Fill ``{{field}}`` placeholders in ``text``; lists become bullets, missing fields read "(none recorded)"."""

    def value(match: re.Match[str]) -> str:
        found = fields.get(match.group(1))
        if found is None or found == "" or found == []:
            return "(none recorded)"
        if isinstance(found, (list, tuple)):
            return "\n".join(f"- {item}" for item in found)
        return str(found)

    return _FIELD.sub(value, text)


def render_template(name: str, fields: dict[str, Any]) -> str:
    """The crew template ``name`` with its placeholders filled (:func:`fill_template`)."""
    return fill_template(template_text(name), fields)
