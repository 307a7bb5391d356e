"""The crew and the phases: which agents work in each phase, the Swarm's limits, and the deliverables.

The phases are data, in ``phases.yaml`` next to this module (validated when the plugin loads). Each
:class:`Deliverable` names the agent that writes it, its path (inside that agent's write scope) and
the template it starts from (``plugins/projects/templates``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CREW: tuple[str, ...] = ("pm", "sa", "infra", "dev", "data", "security", "qa")
TEMPLATE_DIR = Path(__file__).parent / "templates"
PHASES_FILE = Path(__file__).parent / "phases.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Deliverable(_Frozen):
    agent: str
    path: str
    template: str
    title: str


class SwarmLimits(_Frozen):
    """The Swarm's limits, named as Strands' ``Swarm`` takes them (timeouts in seconds)."""

    max_handoffs: int = Field(gt=0)
    max_iterations: int = Field(gt=0)
    execution_timeout: float = Field(gt=0)
    node_timeout: float = Field(gt=0)
    repetitive_handoff_detection_window: int = Field(ge=0)
    repetitive_handoff_min_unique_agents: int = Field(ge=0)


class PhaseSpec(_Frozen):
    """One phase: its Swarm (agents in hand-off order, entry point first) and limits, deliverables, gate."""

    name: str
    title: str
    agents: tuple[str, ...] = Field(min_length=1)
    swarm: SwarmLimits
    deliverables: tuple[Deliverable, ...] = ()
    gate: bool = True
    goal: str = ""

    @model_validator(mode="after")
    def _crew_members_only(self) -> PhaseSpec:
        strangers = [a for a in (*self.agents, *(d.agent for d in self.deliverables)) if a not in CREW]
        if strangers:
            raise ValueError(f"{', '.join(sorted(set(strangers)))} not in the crew ({', '.join(CREW)})")
        idle = sorted({d.agent for d in self.deliverables} - set(self.agents))
        if idle:
            raise ValueError(f"deliverables by {', '.join(idle)}, who do not work in this phase")
        return self

    def deliverables_of(self, agent: str) -> list[Deliverable]:
        return [d for d in self.deliverables if d.agent == agent]

    def next_agent(self, agent: str) -> str | None:
        """Who ``agent`` hands off to in the standard sequence (``None``: the last one finishes)."""
        index = self.agents.index(agent) if agent in self.agents else -1
        return self.agents[index + 1] if 0 <= index < len(self.agents) - 1 else None


def load_phases(path: Path = PHASES_FILE) -> dict[str, PhaseSpec]:
    """The phases in ``path``, in order (``ValueError`` naming the file, phase and field on bad input)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the project phases: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping of phase name to phase, got {type(data).__name__}")
    phases: dict[str, PhaseSpec] = {}
    for name, body in data.items():
        try:
            phases[str(name)] = PhaseSpec.model_validate({**(body or {}), "name": str(name)})
        except (ValidationError, TypeError) as exc:
            raise ValueError(f"{path}: phase {name!r}: {exc}") from None
    return phases


PHASES: dict[str, PhaseSpec] = load_phases()
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
