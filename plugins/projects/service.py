"""The project service of one runtime (``project_service(crewbot)``): projects, gates, questions, usage.

Everything the Slack commands, the workflow task handlers and the crew's tools need goes through here,
so the rules live in one place: who may approve, that a gate is decided once, that a decision is
audited, and how feedback reaches the next run.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.api import new_id
from plugins.projects.artifacts import ArtifactStore, artifact_store
from plugins.projects.cost import CostEstimate, recorded_models, usage_parts
from plugins.projects.crew import PHASE_ORDER, PHASES
from plugins.projects.items import PATTERNS, PROJECT_ITEMS, AlreadyDecided, ProjectItems
from plugins.projects.patterns import PatternLibrary
from plugins.projects.records import Project, project_records
from plugins.projects.sow import Sow, SowError, check_sow_text, parse_sow, parse_sow_with_agent

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

WORKFLOW = "project_phases"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


class ProjectError(ValueError):
    """A project request that cannot be done (bad name, unknown project ...); the message says why."""


class ProjectNameError(ProjectError):
    """The project name is not usable (format, or taken)."""


class NotApprover(PermissionError):
    """The user may not decide this project's gates."""


class ProjectService:
    """Projects of one Crewbot runtime."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot

    # -- parts ---------------------------------------------------------------------------------

    @cached_property
    def items(self) -> ProjectItems:
        return ProjectItems(self.crewbot.store.table(PROJECT_ITEMS), self.crewbot.clock.now)

    @cached_property
    def patterns(self) -> PatternLibrary:
        return PatternLibrary(
            self.crewbot.store.table(PATTERNS), self.crewbot.store.blobs("artifacts"), self.crewbot.clock.now
        )

    def artifacts(self, project_id: str) -> ArtifactStore:
        return artifact_store(self.crewbot, project_id)

    @property
    def settings(self) -> Any:
        from plugins.projects.settings import Settings

        return self.crewbot.settings_for(Settings)

    # -- projects ------------------------------------------------------------------------------

    def get(self, project_id: str) -> Project:
        """The project ``project_id`` (:class:`ProjectError` when there is none, or no id at all: a button or
        form that lost its project)."""
        if not project_id:
            raise ProjectError("that does not name a project")
        project = project_records(self.crewbot).projects.get(project_id)
        if project is None:
            raise ProjectError(f"no project {project_id!r}")
        return project

    def all(self) -> list[Project]:
        """Every project, newest first. The projects table has no "all" index, so each project is also
        listed under the ``_index`` partition of ``project_items``."""
        found: list[Project] = []
        for item in self.items.table.query_all("_index"):
            project = project_records(self.crewbot).projects.get(item["item_id"].split("#", 1)[1])
            if project is not None:
                found.append(project)
        return sorted(found, key=lambda p: p.created_at or self.crewbot.clock.now(), reverse=True)

    def find(self, name: str | None = None, channel_id: str | None = None) -> Project:
        """The project called ``name`` (case-insensitive), else the active project of ``channel_id``."""
        if name:
            wanted = name.strip().lower()
            found = [p for p in self.all() if p.name.lower() == wanted or p.project_id == wanted]
            if not found:
                known = ", ".join(p.name for p in self.all()) or "none yet"
                raise ProjectError(f"no project called {name!r} (projects: {known})")
            return found[0]
        if channel_id:
            in_channel = [
                p
                for p in project_records(self.crewbot).projects.by_channel(channel_id)
                if p.status not in ("cancelled",)
            ]
            if in_channel:
                return sorted(in_channel, key=lambda p: p.created_at or self.crewbot.clock.now())[-1]
        raise ProjectError(
            "which project? Give its name (`/project list` shows them), or use this in the project's channel"
        )

    def parse(self, text: str) -> tuple[Sow, str]:
        """The structured SOW and how it was parsed (``agent`` when a model is configured, else ``parser``)."""
        text = check_sow_text(text)
        resolution = self.crewbot.agents.models.resolve("default")
        if resolution.chain != ("offline",):
            try:
                model, _ = self.crewbot.agents.models.build("default")
                return parse_sow_with_agent(text, model), "agent"
            except Exception as exc:  # the deterministic parser still gives a usable project
                logger.warning("SOW parsing with the model failed (%s); using the heading parser", exc)
        return parse_sow(text), "parser"

    def create(
        self, *, name: str, sow_text: str, channel_id: str, user_id: str, source: str = "text", start: bool = True
    ) -> Project:
        """Create the project and its ledger from the SOW, then start the phase workflow."""
        name = " ".join(name.split())
        if not _NAME.match(name):
            raise ProjectNameError("the project name must be 1-64 letters, digits, spaces, dots, dashes or underscores")
        if any(p.name.lower() == name.lower() for p in self.all()):
            raise ProjectNameError(f"there is already a project called {name!r}; pick another name")
        try:
            sow, parsed_by = self.parse(sow_text)
        except SowError as exc:
            raise ProjectError(str(exc)) from None
        approvers = list(dict.fromkeys([user_id, *self.settings.approvers]))
        project = Project(
            project_id=f"p{new_id()[:10]}",
            name=name,
            channel_id=channel_id,
            phase="discovery",
            status="active",
            approvers=approvers,
            created_by=user_id,
            sow={**sow.model_dump(), "text": sow_text[:20000], "source": source, "parsed_by": parsed_by},
        )
        saved = project_records(self.crewbot).projects.save(project)
        self.items.table.create({"project_id": "_index", "item_id": f"project#{saved.project_id}", "name": saved.name})
        self.crewbot.records.audit.record(
            f"project#{saved.project_id}", user_id, "project_created", saved.name, source=source, parsed_by=parsed_by
        )
        if start:
            self.start(saved)
        return saved

    def start(self, project: Project) -> None:
        """Start the project's phase workflow (idempotent: one execution per project)."""
        from bot.api import ExecutionAlreadyExists

        try:
            self.crewbot.workflows.start(
                WORKFLOW, {"project_id": project.project_id}, name=f"project-{project.project_id}"
            )
        except ExecutionAlreadyExists:
            logger.info("the workflow of project %s is already running", project.project_id)

    # -- approvers and gates -------------------------------------------------------------------

    def may_approve(self, project: Project, user_id: str) -> bool:
        """Project approvers, Crewbot admins, and users with the ``project_approver`` role."""
        if user_id in project.approvers:
            return True
        return bool({"admin", "project_approver"} & self.crewbot.agents.roles_of(user_id))

    def check_approver(self, project: Project, user_id: str, action: str) -> None:
        if not self.may_approve(project, user_id):
            self.crewbot.records.audit.record(f"project#{project.project_id}", user_id, "gate_refused", action)
            who = ", ".join(f"<@{u}>" for u in project.approvers) or "the project's approvers"
            raise NotApprover(f"only the approvers of {project.name} ({who}) or Crewbot admins may {action}")

    def change_approvers(self, project_id: str, user_id: str, action: str, users: list[str]) -> Project:
        """Add or remove approvers (only approvers and admins may); audited. The last approver stays."""
        project = self.get(project_id)
        self.check_approver(project, user_id, "change the approvers")
        if action == "add":
            changed = list(dict.fromkeys([*project.approvers, *users]))
        else:
            changed = [u for u in project.approvers if u not in users]
            if not changed:
                raise ProjectError("a project needs at least one approver")
        updated = project_records(self.crewbot).projects.update(project_id, approvers=changed)
        self.crewbot.records.audit.record(
            f"project#{project_id}", user_id, f"approvers_{action}", project.name, users=users
        )
        return updated

    def pending_gate(self, project_id: str, gate_id: str) -> dict[str, Any]:
        gate = self.items.get(project_id, gate_id)
        if gate is None:
            raise AlreadyDecided("this approval request no longer exists")
        if gate.get("status") != "pending":
            from plugins.projects.items import _decided_text

            raise AlreadyDecided(_decided_text(gate))
        return gate

    def decide(
        self,
        project_id: str,
        gate_id: str,
        user_id: str,
        decision: str,
        *,
        ratings: dict[str, int] | None = None,
        feedback: str = "",
        comment: str = "",
    ) -> dict[str, Any]:
        """Approve (``approved``) or send back (``revised``) a gate, once; audited; then resume the workflow."""
        from bot.api import TaskTokenError

        if decision not in ("approved", "revised"):
            raise ProjectError(f"unknown decision {decision!r}")
        project = self.get(project_id)
        self.check_approver(project, user_id, "decide this gate")
        if decision == "revised" and not feedback.strip():
            raise ProjectError("say what should change: the feedback is what the crew works from")
        gate = self.items.decide_gate(
            project_id,
            gate_id,
            decision,
            user_id,
            ratings=ratings or {},
            feedback=feedback.strip(),
            comment=comment.strip(),
        )
        phase = gate["phase"]
        self.crewbot.records.audit.record(
            f"project#{project_id}",
            user_id,
            f"gate_{decision}",
            phase,
            gate_id=gate_id,
            attempt=gate.get("attempt"),
            ratings=ratings or {},
            feedback=feedback.strip(),
            comment=comment.strip(),
        )
        ledger = project_records(self.crewbot).ledger
        if decision == "revised":
            ledger.add(
                project_id,
                "decision",
                f"Customer asked to revise {PHASES[phase].title}: {feedback.strip()}",
                user_id,
                data={"type": "customer_feedback", "phase": phase, "attempt": gate.get("attempt")},
            )
        else:
            text = f"Customer approved {PHASES[phase].title} (attempt {gate.get('attempt')})"
            if ratings:
                text += " — ratings " + ", ".join(f"{k} {v}/5" for k, v in sorted(ratings.items()))
            ledger.add(
                project_id,
                "decision",
                text,
                user_id,
                data={"type": "approval", "phase": phase, "ratings": ratings or {}, "comment": comment},
            )
        self._pattern_outcomes(project_id, phase, gate.get("attempt"), success=decision == "approved")
        from plugins.projects.metrics import project_metrics

        project_metrics(self.crewbot).record_decision(project_id, phase, gate.get("attempt"), decision, ratings or {})
        output = {
            "decision": "approve" if decision == "approved" else "revise",
            "phase": phase,
            "ratings": ratings or {},
            "feedback": feedback.strip(),
            "decided_by": user_id,
        }
        try:
            self.crewbot.workflows.send_task_success(gate["token"], output)
        except TaskTokenError as exc:
            self.items.update(project_id, gate_id, status="expired")
            raise AlreadyDecided(f"this approval request is out of date ({exc})") from None
        except Exception:
            # The workflow never heard of the decision (Step Functions unreachable, say): reopen the gate so
            # pressing again works, rather than leaving a decision that nothing acts on.
            self.items.update(project_id, gate_id, status="pending")
            raise
        return gate

    def recover(self, project_id: str, item_id: str, user_id: str, decision: str) -> dict[str, Any]:
        """Retry a failed phase (it runs again as a new attempt) or stop the project; once; audited."""
        from bot.api import TaskTokenError

        if decision not in ("retry", "stop"):
            raise ProjectError(f"unknown decision {decision!r}")
        project = self.get(project_id)
        self.check_approver(project, user_id, f"{decision} this phase")
        item = self.items.decide_gate(project_id, item_id, decision, user_id)
        self.crewbot.records.audit.record(
            f"project#{project_id}",
            user_id,
            f"phase_{decision}",
            item["phase"],
            item_id=item_id,
            cause=item.get("cause", ""),
        )
        if decision == "stop":
            project_records(self.crewbot).projects.update(project_id, status="cancelled")
        try:
            self.crewbot.workflows.send_task_success(item["token"], {"decision": decision, "decided_by": user_id})
        except TaskTokenError as exc:
            self.items.update(project_id, item_id, status="expired")
            raise AlreadyDecided(f"this failure notice is out of date ({exc})") from None
        return item

    def _pattern_outcomes(self, project_id: str, phase: str, attempt: Any, success: bool) -> None:
        for run in self.items.runs(project_id, phase):
            if run.get("attempt") == attempt:
                for pattern_id in run.get("patterns_used", []):
                    self.patterns.record_outcome(pattern_id, success)

    def feedback_for(self, project_id: str, phase: str) -> list[str]:
        """Revision feedback given on earlier attempts of ``phase``, oldest first."""
        gates = [g for g in self.items.gates(project_id) if g.get("phase") == phase and g.get("status") == "revised"]
        return [str(g.get("feedback")) for g in gates if g.get("feedback")]

    # -- questions -----------------------------------------------------------------------------

    def answer(self, project_id: str, question_id: str, user_id: str, answer: str) -> dict[str, Any]:
        """Record the customer's answer and resume the interrupted Swarm (in this process)."""
        if not answer.strip():
            raise ProjectError("the answer is empty")
        question = self.items.answer_question(project_id, question_id, answer.strip(), user_id)
        self.crewbot.records.audit.record(
            f"project#{project_id}",
            user_id,
            "question_answered",
            question["phase"],
            question_id=question_id,
            agent=question.get("agent"),
        )
        project_records(self.crewbot).ledger.add(
            project_id,
            "fact",
            f"Customer answered “{question['question']}”: {answer.strip()}",
            user_id,
            data={"type": "customer_answer", "question_id": question_id},
        )
        self.resolve_question_blockers(project_id, {question_id})
        from plugins.projects import reminders

        reminders.cancel(self.crewbot, project_id, question_id)
        from plugins.projects.runner import PhaseRunner

        run = self.items.get(project_id, str(question.get("run_item", "")))
        if run is None or run.get("status") != "interrupted":
            # Asked by an earlier attempt: nothing to resume, but the answer is in the ledger for the crew.
            from plugins.projects.slack_ui import post

            post(
                self.crewbot,
                self.get(project_id).channel_id,
                f"Thanks — recorded. The crew reads it from the ledger (“{question['question'][:200]}”).",
            )
            return question
        PhaseRunner(self.crewbot).resume(project_id, question)
        return question

    def resolve_question_blockers(self, project_id: str, question_ids: set[str]) -> None:
        """The ledger's "Waiting for the customer" blockers of these questions are resolved."""
        ledger = project_records(self.crewbot).ledger
        for entry in ledger.for_project(project_id, "blocker"):
            if entry.status == "open" and entry.data.get("question_id") in question_ids:
                ledger.update(project_id, entry.entry_id, status="resolved")

    # -- visibility ----------------------------------------------------------------------------

    def usage(self, project_id: str) -> dict[str, dict[str, dict[str, int]]]:
        """Tokens per phase and agent: ``{phase: {agent: {"input": n, "output": n}}}``."""
        found: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
        for run in self.items.runs(project_id):
            for agent, used in (run.get("usage") or {}).items():
                slot = found[run["phase"]].setdefault(agent, {"input": 0, "output": 0})
                slot["input"] += int(used.get("input", 0))
                slot["output"] += int(used.get("output", 0))
        return dict(found)

    def run_costs(
        self, run: dict[str, Any], recorded: dict[tuple[str, str], set[str]] | None = None
    ) -> dict[str, CostEstimate]:
        """Each agent's :class:`~plugins.projects.cost.CostEstimate` for one phase run, priced from
        ``models.prices``. ``recorded`` (:meth:`recorded_models`) gives the model of usage
        stored without one; looked up here when not given."""
        usage = run.get("usage") or {}
        if recorded is None and any("models" not in used for used in usage.values()):
            recorded = self.recorded_models(str(run.get("project_id", "")))
        prices = self.crewbot.config.models.prices
        found: dict[str, CostEstimate] = {}
        for agent, used in usage.items():
            models = (recorded or {}).get((str(run.get("session_id", "")), agent), set())
            fallback = next(iter(models)) if len(models) == 1 else None  # several: which tokens were whose is lost
            estimate = found[agent] = CostEstimate()
            for model, tokens_in, tokens_out in usage_parts(used, fallback):
                estimate.add(prices, model, tokens_in, tokens_out)
        return found

    def recorded_models(self, project_id: str) -> dict[tuple[str, str], set[str]]:
        """The model ids the project's crew turns were recorded with, per (session, agent), from ``usage``."""
        ledger = getattr(self.crewbot.agents, "ledger", None)
        return recorded_models(ledger, self.crewbot.config.models, f"project:{project_id}")

    def cost(self, project_id: str) -> CostEstimate:
        """The project's tokens so far and their estimated cost (a :class:`CostEstimate`:
        what has no price in ``models.prices`` is counted apart and named, never priced at 0)."""
        runs = self.items.runs(project_id)
        recorded = None
        if any("models" not in used for run in runs for used in (run.get("usage") or {}).values()):
            recorded = self.recorded_models(project_id)
        total = CostEstimate()
        for run in runs:
            for estimate in self.run_costs(run, recorded or {}).values():
                total.merge(estimate)
        return total

    def deliverables(self, project_id: str) -> list[dict[str, str]]:
        store = self.artifacts(project_id)
        return [{"path": path, "url": store.url(path)} for path in store.files()]

    def phase_index(self, phase: str) -> int:
        return PHASE_ORDER.index(phase) if phase in PHASE_ORDER else -1


def project_service(crewbot: Crewbot) -> ProjectService:
    """The runtime's project service (one per runtime)."""
    return crewbot.service("projects.service", lambda: ProjectService(crewbot))
