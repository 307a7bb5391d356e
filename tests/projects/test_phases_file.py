"""The project phases are data (plugins/projects/phases.yaml): the shipped file loads, and a broken one says
what is wrong and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.projects.crew import CREW, PHASES, PHASES_FILE, load_phases

GOOD = """
discovery:
  title: Discovery
  agents: [pm, sa]
  swarm: {max_handoffs: 10, max_iterations: 10, execution_timeout: 900, node_timeout: 300,
          repetitive_handoff_detection_window: 6, repetitive_handoff_min_unique_agents: 2}
  deliverables:
    - {agent: pm, path: docs/plan.md, template: project_plan, title: Plan}
"""


def test_the_shipped_phases_load_in_order_and_use_only_the_crew() -> None:
    assert (
        list(load_phases(PHASES_FILE))
        == list(PHASES)
        == [
            "discovery",
            "architecture",
            "poc",
            "production",
            "handoff",
            "retrospective",
        ]
    )
    assert [p.name for p in PHASES.values() if not p.gate] == ["retrospective"]
    assert {a for p in PHASES.values() for a in p.agents} == set(CREW)


def test_a_good_file_loads(tmp_path: Path) -> None:
    (tmp_path / "phases.yaml").write_text(GOOD)
    spec = load_phases(tmp_path / "phases.yaml")["discovery"]
    assert spec.agents == ("pm", "sa") and spec.swarm.node_timeout == 300 and spec.gate
    assert spec.next_agent("pm") == "sa" and spec.next_agent("sa") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("agents: [pm, sa]", "agents: [pm, cfo]"), "cfo not in the crew"),
        (("{agent: pm,", "{agent: qa,"), "deliverables by qa, who do not work in this phase"),
        (("max_handoffs: 10", "max_handoffs: 0"), "max_handoffs"),
        (("title: Discovery", "title: Discovery\n  owner: me"), "owner"),
        (("  swarm:", "  swarm: [\n"), "cannot read"),
    ],
)
def test_a_broken_file_names_the_file_the_phase_and_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "phases.yaml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ValueError) as caught:
        load_phases(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
    if "cannot read" not in message:
        assert "phase 'discovery'" in str(caught.value)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "phases.yaml").write_text("")
    with pytest.raises(ValueError, match="expected a mapping of phase name to phase"):
        load_phases(tmp_path / "phases.yaml")
