"""Delivery metrics: one record per phase run, the post-delivery survey, a timeline of delivered projects,
and the insights across projects (``/project insights``).

Table ``project_metrics`` (pk ``scope``, sk ``metric_id``):

* ``<project_id>`` / ``run#<phase>#<attempt>`` — a phase run: status, start, end, duration, attempt,
  whether it was the automatic retry, revisions of the phase before it, tokens and estimated cost per agent,
  tool errors per agent; once its gate is decided: the decision and the ratings;
* ``<project_id>`` / ``survey#<user>`` — an approver's answers to the survey after delivery;
* ``_timeline`` / ``<delivered at>#<project_id>`` — a delivered project's totals, in delivery order.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.api import Item, TableSpec, format_time
from plugins.projects.crew import PHASE_ORDER, PHASES
from plugins.projects.records import Project

if TYPE_CHECKING:
    from bot.api import Crewbot

METRICS = TableSpec(
    "project_metrics",
    pk="scope",
    sk="metric_id",
    description="Delivery metrics: one record per phase run, survey answers, the timeline of delivered projects.",
)
TIMELINE = "_timeline"


def _seconds(start: Any, end: Any) -> float | None:
    try:
        begin = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        finish = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (finish - begin).total_seconds())


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


class ProjectMetrics:
    """Writing and reading ``project_metrics`` for one runtime."""

    def __init__(self, crewbot: Crewbot):
        from plugins.projects.service import project_service

        self.crewbot = crewbot
        self.service = project_service(crewbot)
        self.table = crewbot.store.table(METRICS)

    # -- writing ---------------------------------------------------------------------------------

    def record_run(self, project: Project, run: dict[str, Any]) -> Item:
        """The metrics of a finished (completed or failed) phase run."""
        phase = str(run["phase"])
        agents = {}
        costs = self.service.run_costs(run)
        for agent, used in (run.get("usage") or {}).items():
            agents[agent] = {
                "input": int(used.get("input", 0)),
                "output": int(used.get("output", 0)),
                **costs[agent].as_dict(),
                "tool_errors": int(used.get("tool_errors", 0)),
            }
        revisions = sum(
            1
            for gate in self.service.items.gates(project.project_id)
            if gate.get("phase") == phase and gate.get("status") == "revised"
        )
        key = {"scope": project.project_id, "metric_id": f"run#{phase}#{int(run['attempt']):03d}"}
        previous = self.table.get(key) or {}
        item = {
            **key,
            "project": project.name,
            "phase": phase,
            "attempt": int(run["attempt"]),
            "status": run.get("status"),
            "auto_retry": bool(run.get("auto_retry")),
            "started_at": run.get("started_at"),
            "finished_at": run.get("finished_at"),
            "duration_seconds": _seconds(run.get("started_at"), run.get("finished_at")),
            "revisions_before": revisions,
            "agents": agents,
            "tokens": sum(a["tokens"] for a in agents.values()),
            "cost": round(sum(a["cost"] for a in agents.values()), 6),
            "unpriced_tokens": sum(a["unpriced_tokens"] for a in agents.values()),
            "tool_errors": sum(a["tool_errors"] for a in agents.values()),
            "decision": previous.get("decision"),
            "ratings": previous.get("ratings") or {},
        }
        if previous:
            return self.table.put(item, expected_version=previous["version"])
        return self.table.put(item)

    def record_decision(
        self, project_id: str, phase: str, attempt: Any, decision: str, ratings: dict[str, int]
    ) -> None:
        """The gate of a run was decided (``approved`` / ``revised``), with the approver's ratings."""

        def change(item: Item) -> Item:
            item.update(decision=decision, ratings=dict(ratings), decided_at=format_time(self.crewbot.clock.now()))
            return item

        key = {"scope": project_id, "metric_id": f"run#{phase}#{int(attempt or 1):03d}"}
        if self.table.get(key) is not None:
            self.table.mutate(key, change)

    def record_survey(self, project: Project, user_id: str, answers: dict[str, Any]) -> Item:
        return self.table.put(
            {
                "scope": project.project_id,
                "metric_id": f"survey#{user_id}",
                "project": project.name,
                "user": user_id,
                "answers": answers,
                "answered_at": format_time(self.crewbot.clock.now()),
            }
        )

    def finish(self, project: Project) -> Item:
        """A delivered project's totals on the timeline."""
        runs = self.runs(project.project_id)
        ratings = [float(v) for r in runs for v in (r.get("ratings") or {}).values()]
        patterns = [p for p in self.service.patterns.all() if project.project_id in (p.get("used_by") or [])]
        return self.table.put(
            {
                "scope": TIMELINE,
                "metric_id": f"{format_time(self.crewbot.clock.now())}#{project.project_id}",
                "project_id": project.project_id,
                "project": project.name,
                "runs": len(runs),
                "revisions": sum(1 for r in runs if r.get("decision") == "revised"),
                "tokens": sum(int(r.get("tokens", 0)) for r in runs),
                "cost": round(sum(float(r.get("cost", 0)) for r in runs), 6),
                "unpriced_tokens": sum(int(r.get("unpriced_tokens", 0)) for r in runs),
                "rating": _mean(ratings),
                "patterns_used": [p["pattern_id"] for p in patterns],
            }
        )

    # -- reading ---------------------------------------------------------------------------------

    def runs(self, project_id: str) -> list[Item]:
        return [i for i in self.table.query_all(project_id) if str(i["metric_id"]).startswith("run#")]

    def surveys(self, project_id: str) -> list[Item]:
        return [i for i in self.table.query_all(project_id) if str(i["metric_id"]).startswith("survey#")]

    def timeline(self) -> list[Item]:
        return self.table.query_all(TIMELINE)

    def insights(self) -> dict[str, Any]:
        """Across every project: revisions per phase, the ratings trend, cost per phase and per agent, the
        patterns reused most, survey satisfaction."""
        delivered = self.timeline()
        projects = [p.project_id for p in self.service.all()]
        runs = [r for pid in projects for r in self.runs(pid)]
        revisions: dict[str, list[int]] = defaultdict(list)
        by_project_phase: dict[tuple[str, str], int] = defaultdict(int)
        for run in runs:
            if run.get("decision") == "revised":
                by_project_phase[(str(run["scope"]), str(run["phase"]))] += 1
            elif run.get("decision"):  # phases without a gate (the Retrospective) are never revised
                by_project_phase.setdefault((str(run["scope"]), str(run["phase"])), 0)
        for (_, phase), count in by_project_phase.items():
            revisions[phase].append(count)
        phase_cost: dict[str, dict[str, float]] = {}
        agent_cost: dict[str, dict[str, float]] = {}
        for run in runs:
            slot = phase_cost.setdefault(
                str(run["phase"]), {"tokens": 0.0, "cost": 0.0, "runs": 0.0, "unpriced_tokens": 0.0}
            )
            slot["tokens"] += float(run.get("tokens", 0))
            slot["cost"] += float(run.get("cost", 0))
            slot["unpriced_tokens"] += float(run.get("unpriced_tokens", 0))
            slot["runs"] += 1
            for agent, used in (run.get("agents") or {}).items():
                mine = agent_cost.setdefault(
                    agent, {"tokens": 0.0, "cost": 0.0, "tool_errors": 0.0, "unpriced_tokens": 0.0}
                )
                mine["tokens"] += float(used.get("tokens", 0))
                mine["cost"] += float(used.get("cost", 0))
                mine["unpriced_tokens"] += float(used.get("unpriced_tokens", 0))
                mine["tool_errors"] += float(used.get("tool_errors", 0))
        surveys = [s for pid in projects for s in self.surveys(pid)]
        satisfaction = [float(s["answers"]["satisfaction"]) for s in surveys if s["answers"].get("satisfaction")]
        patterns = sorted(
            (p for p in self.service.patterns.all() if int(p.get("times_used", 0)) > 0),
            key=lambda p: (-int(p.get("times_used", 0)), str(p.get("name"))),
        )
        return {
            "projects": len(projects),
            "delivered": [
                {"project": d["project"], "rating": d.get("rating"), "tokens": d.get("tokens"), "cost": d.get("cost")}
                for d in delivered
            ],
            "revisions_per_phase": {
                phase: _mean([float(c) for c in revisions[phase]]) for phase in PHASE_ORDER if phase in revisions
            },
            "cost_per_phase": {phase: phase_cost[phase] for phase in PHASE_ORDER if phase in phase_cost},
            "cost_per_agent": dict(sorted(agent_cost.items(), key=lambda kv: -kv[1]["tokens"])),
            "patterns": [
                {
                    "name": p.get("name"),
                    "tier": p.get("tier"),
                    "times_used": int(p.get("times_used", 0)),
                    "source_project": p.get("source_project"),
                }
                for p in patterns[:5]
            ],
            "satisfaction": _mean(satisfaction),
            "surveys": len(surveys),
        }


def _unpriced(totals: dict[str, float]) -> str:
    """What the cost figure leaves out: tokens on models without a price in ``models.prices``."""
    tokens = int(totals.get("unpriced_tokens", 0))
    return f" + {tokens:,} tokens with no price in models.prices" if tokens else ""


def insights_text(data: dict[str, Any]) -> str:
    """``/project insights`` as text."""
    lines = [f"*Project insights* — {data['projects']} project(s), {len(data['delivered'])} delivered"]
    if data["revisions_per_phase"]:
        lines.append(
            "Revisions per phase (average): "
            + " · ".join(f"{PHASES[p].title} {v:.1f}" for p, v in data["revisions_per_phase"].items())
        )
    rated = [d for d in data["delivered"] if d.get("rating") is not None]
    if rated:
        lines.append("Ratings trend: " + " → ".join(f"{d['project']} {d['rating']:.1f}" for d in rated))
    if data["cost_per_phase"]:
        lines.append(
            "Cost per phase: "
            + " · ".join(
                f"{PHASES[p].title} {int(v['tokens']):,} tokens (≈ ${v['cost']:.2f}{_unpriced(v)})"
                for p, v in data["cost_per_phase"].items()
            )
        )
    if data["cost_per_agent"]:
        lines.append(
            "Cost per agent: "
            + " · ".join(
                f"{a} {int(v['tokens']):,} (≈ ${v['cost']:.2f}{_unpriced(v)}"
                + (f", {int(v['tool_errors'])} tool errors" if v["tool_errors"] else "")
                + ")"
                for a, v in data["cost_per_agent"].items()
            )
        )
    if data["patterns"]:
        lines.append(
            "Most reused patterns: "
            + "; ".join(f"{p['name']} ({p['tier']}, used {p['times_used']} times)" for p in data["patterns"])
        )
    else:
        lines.append("Most reused patterns: none reused yet")
    if data["satisfaction"] is not None:
        lines.append(f"Survey: satisfaction {data['satisfaction']:.1f}/5 from {data['surveys']} answer(s)")
    return "\n".join(lines)


def project_metrics(crewbot: Crewbot) -> ProjectMetrics:
    """The runtime's metrics (one per runtime)."""
    return crewbot.service("projects.metrics", lambda: ProjectMetrics(crewbot))
