"""Running a phase: a Strands Swarm of the phase's crew agents, its interrupts, its usage, its result.

The workflow's ``RunProjectPhase`` task is a ``.waitForTaskToken`` task: the handler hands the token
to :meth:`PhaseRunner.start`, which runs the Swarm (inline, or in a background thread with
``phase_runner: thread``) and answers the token when the Swarm is done — ``send_task_success`` with the
run's outcome, or ``send_task_failure`` (``Project.PhaseFailed``) when the Swarm failed or hit a limit.

When an agent asks the customer (``ask_customer`` raises a Strands interrupt), the Swarm stops with
status ``INTERRUPTED``; its state — which node, its messages, the pending interrupt — is persisted by
the Swarm's session manager (the agents inside have none, as Strands requires). The question is
stored and posted with an Answer button; :meth:`PhaseRunner.resume` rebuilds the same Swarm on the same
session (in whatever process the answer arrives, e.g. after a restart) and resumes it with the
answer, and the token is answered when it finishes.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from bot.api import CALL_KEY, BudgetState, CallContext, CrewbotHooks, OfflineModel, priced_model_id
from plugins.projects.crew import PHASES, PhaseSpec
from plugins.projects.offline_crew import CrewOfflineModel
from plugins.projects.records import Project, project_records
from plugins.projects.service import project_service
from plugins.projects.slack_ui import post, question_blocks, update
from plugins.projects.tools import PHASE_KEY, PROJECT_KEY, RUN_KEY

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

CREW_ROLES = frozenset({"user", "project_crew"})


class UsageHooks(CrewbotHooks):
    """Crewbot's usage/budget/audit hooks for one crew agent, also summing its tokens for the run, per model id
    (what its spec resolved to: the id ``models.prices`` prices, and the per-turn metrics' ``model``)."""

    def __init__(self, *args: Any, totals: dict[str, dict[str, Any]], model_id: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.totals = totals
        self.usage.model_id = model_id

    def after_invocation(self, event: Any) -> None:
        super().after_invocation(event)
        if self.budget_stop:
            self.audit("agent_budget_stopped", self.call.agent, budget="tokens_per_phase", limit=self.budget.remaining)
        slot = self.totals.setdefault(self.call.agent, {"input": 0, "output": 0, "tool_errors": 0})
        slot["input"] += self.usage.input_tokens
        slot["output"] += self.usage.output_tokens
        slot["tool_errors"] = slot.get("tool_errors", 0) + self.usage.tool_errors
        part = slot.setdefault("models", {}).setdefault(self.usage.model_id, {"input": 0, "output": 0})
        part["input"] += self.usage.input_tokens
        part["output"] += self.usage.output_tokens


def phase_budget(agent: str, tokens: int | None, spec: PhaseSpec) -> BudgetState:
    """A crew agent's budget for one attempt of a phase (``budget.tokens_per_phase``; ``None``: none). Each
    Swarm node is one agent for the whole attempt, so its accumulated usage is what the attempt has spent."""
    stop = (
        f"⛔ {agent} stopped: it used its budget of {tokens:,} tokens for one attempt of {spec.title} "
        f"(`budget.tokens_per_phase` in agents/projects/{agent}.yaml). Revise the phase to run it again, or "
        "ask an admin to raise the budget."
        if tokens
        else ""
    )
    return BudgetState("ok", tokens, stop_message=stop)


def memory_query(project: Project, spec: PhaseSpec) -> str:
    """What a phase looks for in long-term memory: its goal and deliverables, and the SOW's objectives."""
    sow = project.sow
    parts = [spec.title, spec.goal, *(d.title for d in spec.deliverables), *(sow.get("objectives") or [])[:5]]
    return " ".join(str(p) for p in parts)


def phase_task(
    project: Project,
    spec: PhaseSpec,
    attempt: int,
    feedback: list[str],
    memory: list[str] | None = None,
    patterns: list[str] | None = None,
) -> str:
    """The Swarm's task text: the phase, its goal and deliverables, the SOW, and any customer feedback."""
    sow = project.sow
    lines = [
        f"Phase: {spec.name} — {spec.title}, attempt {attempt}, of the project “{project.name}”.",
        f"Goal: {spec.goal}",
        f"Crew in hand-off order: {' → '.join(spec.agents)}.",
        "Deliverables: " + "; ".join(f"{d.path} ({d.agent}, template {d.template})" for d in spec.deliverables),
    ]
    for section in ("objectives", "requirements", "acceptance_criteria", "timeline"):
        values = sow.get(section) or []
        if values:
            lines.append(f"SOW {section.replace('_', ' ')}: " + "; ".join(str(v) for v in values[:10]))
    if spec.name == "discovery" and not sow.get("objectives") and not sow.get("requirements"):
        lines.append(
            "Nothing was extracted from the SOW (no objectives, no requirements): before planning anything, ask the "
            "customer (ask_customer) what the project must achieve and its main requirements."
        )
    if patterns:
        lines.append("Patterns from earlier projects you may reuse (search_patterns, then use_pattern):")
        lines.extend(f"- {item}" for item in patterns)
    if memory:
        lines.append("Long-term memory (earlier phases and projects; search_memory finds more) — use what applies:")
        lines.extend(f"- {item}" for item in memory)
    if feedback:
        lines.append("Customer feedback on the previous attempt — address every point:")
        lines.extend(f"- {item}" for item in feedback)
    return "\n".join(lines)


class PhaseRunner:
    """Runs and resumes the Swarm of a project phase."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot
        self.service = project_service(crewbot)

    # -- entry points ----------------------------------------------------------------------------

    def start(self, project_id: str, phase: str, token: str) -> dict[str, Any]:
        """Start a new attempt of ``phase`` (its number follows the earlier ones); answers ``token`` when done."""
        spec = PHASES[phase]
        project = self.service.get(project_id)
        feedback = self.service.feedback_for(project_id, phase)
        run = self.service.items.new_run(project_id, phase, token, feedback)
        self._supersede_questions(project, phase, run["item_id"])
        from plugins.projects.memory import recall

        recalled = [m.line() for m in recall(self.crewbot, project, memory_query(project, spec))]
        if recalled:
            run = self.service.items.update(project_id, run["item_id"], memory=recalled)
        project_records(self.crewbot).projects.update(project_id, phase=phase, status="active")
        again = f" again (attempt {run['attempt']}) with your feedback" if feedback else ""
        post(self.crewbot, project.channel_id, f"▶️ *{spec.title}* started{again}: {' → '.join(spec.agents)}.")
        self._launch(project_id, run["item_id"], resume=False)
        return run

    def resume(self, project_id: str, question: dict[str, Any]) -> None:
        """Resume the Swarm a question interrupted, once every question of that interruption is answered."""
        project = self.service.get(project_id)
        run = self.service.items.get(project_id, question["run_item"])
        if run is None or run.get("status") != "interrupted":
            logger.warning("run %s of project %s is not waiting for an answer", question["run_item"], project_id)
            return
        pending = [
            q
            for q in self.service.items.questions(project_id)
            if q.get("run_item") == run["item_id"] and q.get("status") == "open"
        ]
        if pending:
            post(self.crewbot, project.channel_id, f"Thanks — {len(pending)} more question(s) need an answer first.")
            return
        claimed: list[bool] = []

        def claim(item: dict[str, Any]) -> dict[str, Any] | None:
            # Two answers arriving together must resume the Swarm once: only one moves it on.
            if item.get("status") != "interrupted":
                return None
            claimed.append(True)
            return {**item, "status": "running"}

        self.service.items.table.mutate({"project_id": project_id, "item_id": run["item_id"]}, claim)
        if not claimed:
            return
        post(self.crewbot, project.channel_id, f"▶️ Resuming *{PHASES[run['phase']].title}* with your answer.")
        self._launch(project_id, run["item_id"], resume=True)

    def execute_run(self, project_id: str, run_item: str, resume: bool = False) -> str:
        """Run (or resume) the Swarm of a stored run here and now; returns the run's status afterwards.

        What the launchers call: in this process (``inline`` / ``thread``) or in a Fargate task
        (``crewbot projects run-phase``), which finds everything it needs in the store.
        """
        project = self.service.get(project_id)
        run = self.service.items.get(project_id, run_item)
        if run is None:
            raise LookupError(f"project {project_id} has no run {run_item!r}")
        spec = PHASES[run["phase"]]
        if resume:
            answered = [
                q
                for q in self.service.items.questions(project_id)
                if q.get("run_item") == run_item and q.get("status") == "answered" and not q.get("used")
            ]
            task: Any = [
                {"interruptResponse": {"interruptId": q["interrupt_id"], "response": q["answer"]}} for q in answered
            ]
            for q in answered:
                self.service.items.update(project_id, q["item_id"], used=True)
        else:
            task = phase_task(
                project,
                spec,
                run["attempt"],
                list(run.get("feedback") or []),
                list(run.get("memory") or []),
                self._offered_patterns(project, spec),
            )
        self._execute(project, spec, run, task)
        final = self.service.items.get(project_id, run_item) or {}
        return str(final.get("status", "unknown"))

    # -- running -------------------------------------------------------------------------------

    def _launch(self, project_id: str, run_item: str, resume: bool) -> None:
        mode = self.service.settings.phase_runner
        if mode == "ecs":
            from plugins.projects.launchers import launch_on_ecs

            task_arn = launch_on_ecs(self.crewbot, self.service.settings.ecs, project_id, run_item, resume)
            self.service.items.update(project_id, run_item, ecs_task=task_arn)
        elif mode == "thread":
            threading.Thread(
                target=self._run_logged,
                args=(project_id, run_item, resume),
                daemon=True,
                name=f"phase-{project_id}-{run_item}",
            ).start()
        else:
            self.execute_run(project_id, run_item, resume)

    def _run_logged(self, project_id: str, run_item: str, resume: bool) -> None:
        try:
            self.execute_run(project_id, run_item, resume)
        except Exception:  # a background thread has nobody to raise to
            logger.exception("phase run %s of project %s failed", run_item, project_id)

    def build_swarm(
        self, project: Project, spec: PhaseSpec, run: dict[str, Any], totals: dict[str, dict[str, Any]]
    ) -> Any:
        """The phase's Swarm: its agents (no session managers of their own) and the run's session manager."""
        from strands import Agent
        from strands.multiagent import Swarm

        from bot.api import conversation_manager, session_manager

        agents = self.crewbot.agents
        registry = agents.registry
        nodes = []
        for name in spec.agents:
            agent_spec = registry.get(name)
            model, resolution = agents.models.build(agent_spec.model)
            if isinstance(model, OfflineModel) and not isinstance(model, CrewOfflineModel):
                model = CrewOfflineModel(name, resolution.reason or "the offline profile was chosen")
            call = CallContext(
                user_id=f"project:{project.project_id}",
                session_id=run["session_id"],
                agent=name,
                roles=CREW_ROLES,
                channel_id=project.channel_id or "",
                crewbot=self.crewbot,
            )
            hooks = UsageHooks(
                call,
                registry.tools,
                agents.ledger,
                phase_budget(name, agent_spec.budget.tokens_per_phase, spec),
                resolution.short,
                audit=self.crewbot.records.audit.record,
                totals=totals,
                model_id=priced_model_id(self.crewbot.config.models, resolution.short),
            )
            nodes.append(
                Agent(
                    model=model,
                    tools=[registry.tools[t].strands_tool() for t in agent_spec.tools],
                    system_prompt=agent_spec.system_prompt,
                    agent_id=name,
                    name=name,
                    description=agent_spec.description,
                    callback_handler=None,
                    conversation_manager=conversation_manager(agent_spec.conversation),
                    hooks=[hooks],
                    retry_strategy=agents.models.retry_strategy(resolution),
                )
            )
        return Swarm(
            nodes,
            entry_point=nodes[0],
            **spec.swarm.model_dump(),
            session_manager=session_manager(self.crewbot, run["session_id"]),
            id=f"phase-{spec.name}",
        )

    def _execute(self, project: Project, spec: PhaseSpec, run: dict[str, Any], task: Any) -> None:
        from strands.multiagent.base import Status

        totals: dict[str, dict[str, Any]] = {}
        state = {
            CALL_KEY: CallContext(
                user_id=f"project:{project.project_id}",
                session_id=run["session_id"],
                agent="crew",
                roles=CREW_ROLES,
                channel_id=project.channel_id or "",
                crewbot=self.crewbot,
            ),
            PROJECT_KEY: project.project_id,
            PHASE_KEY: spec.name,
            RUN_KEY: run["item_id"],
        }
        try:
            swarm = self.build_swarm(project, spec, run, totals)
            result = swarm(task, invocation_state=state)
        except Exception as exc:
            logger.exception("phase %s of project %s failed", spec.name, project.project_id)
            self._record_usage(project.project_id, run["item_id"], totals)
            self._fail(project, spec, run, f"{type(exc).__name__}: {exc}")
            return
        history = [getattr(node, "node_id", str(node)) for node in result.node_history]
        self._record_usage(project.project_id, run["item_id"], totals, history=history)
        if result.status == Status.INTERRUPTED:
            self._ask(project, spec, run, swarm, result)
        elif result.status == Status.COMPLETED:
            self._complete(project, spec, run, result, history)
        else:
            reason = f"the Swarm stopped with status {result.status.value} after {' → '.join(history) or 'no agent'}"
            self._fail(project, spec, run, reason)

    def _record_usage(
        self, project_id: str, run_item: str, totals: dict[str, dict[str, Any]], history: list[str] | None = None
    ) -> None:
        def merge(item: dict[str, Any]) -> dict[str, Any]:
            usage = dict(item.get("usage") or {})
            for agent, used in totals.items():
                slot = dict(usage.get(agent) or {"input": 0, "output": 0})
                slot["input"] = int(slot.get("input", 0)) + used["input"]
                slot["output"] = int(slot.get("output", 0)) + used["output"]
                slot["tool_errors"] = int(slot.get("tool_errors", 0)) + int(used.get("tool_errors", 0))
                models = {m: dict(p) for m, p in (slot.get("models") or {}).items()}
                for model, part in (used.get("models") or {}).items():
                    mine = models.setdefault(model, {"input": 0, "output": 0})
                    mine["input"] = int(mine.get("input", 0)) + part["input"]
                    mine["output"] = int(mine.get("output", 0)) + part["output"]
                if models:
                    slot["models"] = models
                usage[agent] = slot
            item["usage"] = usage
            if history:
                item["node_history"] = [*item.get("node_history", []), *history]
            return item

        self.service.items.table.mutate({"project_id": project_id, "item_id": run_item}, merge)

    def _ask(self, project: Project, spec: PhaseSpec, run: dict[str, Any], swarm: Any, result: Any) -> None:
        current = swarm.state.current_node
        agent = getattr(current, "node_id", "pm")
        self.service.items.update(project.project_id, run["item_id"], status="interrupted")
        for interrupt in result.interrupts:
            reason = interrupt.reason if isinstance(interrupt.reason, dict) else {"question": str(interrupt.reason)}
            question = self.service.items.new_question(
                project.project_id,
                run["item_id"],
                spec.name,
                agent,
                interrupt.id,
                str(reason.get("question") or interrupt.name),
            )
            project_records(self.crewbot).ledger.add(
                project.project_id,
                "blocker",
                f"Waiting for the customer: {question['question']}",
                agent,
                status="open",
                data={"question_id": question["item_id"]},
            )
            ts = post(
                self.crewbot,
                project.channel_id,
                f"{agent} asks: {question['question']}",
                question_blocks(project, question),
            )
            self.service.items.update(project.project_id, question["item_id"], channel=project.channel_id, ts=ts)
            if self.service.settings.reminders.enabled:
                from plugins.projects import reminders

                reminders.schedule_first(self.crewbot, question)

    def _complete(
        self, project: Project, spec: PhaseSpec, run: dict[str, Any], result: Any, history: list[str]
    ) -> None:
        self._resolve_blockers(project.project_id, run["item_id"], spec.name)
        finished = self.service.items.update(
            project.project_id, run["item_id"], status="completed", finished_at=self.service.items.stamp()
        )
        self._metrics(project, finished)
        tokens = int(result.accumulated_usage.get("totalTokens", 0))
        output = {
            "phase": spec.name,
            "attempt": run["attempt"],
            "status": "completed",
            "agents": list(dict.fromkeys(history)),
            "tokens": tokens,
        }
        self.crewbot.workflows.send_task_success(run["token"], output)

    def _offered_patterns(self, project: Project, spec: PhaseSpec) -> list[str]:
        """For the Architecture phase: the architecture patterns other projects put in the library."""
        if spec.name != "architecture":
            return []
        found = self.service.patterns.search("architecture", category="architecture", limit=5)
        return [
            f"{p['pattern_id']}: {p['name']} ({p['tier']}, used {p['times_used']} times) — {p.get('description') or ''}"
            for p in found
            if p.get("source_project") != project.project_id
        ]

    def _metrics(self, project: Project, run: dict[str, Any]) -> None:
        from plugins.projects.metrics import project_metrics

        try:
            project_metrics(self.crewbot).record_run(project, run)
        except Exception:  # metrics never stop a phase
            logger.exception("could not record the metrics of run %s of %s", run.get("item_id"), project.project_id)

    def _supersede_questions(self, project: Project, phase: str, run_item: str) -> None:
        """A new attempt of ``phase`` starts over: the questions earlier attempts left open are closed (their
        blockers resolved, their buttons removed); the new attempt asks again what it still needs to know."""
        for question in self.service.items.open_questions(project.project_id):
            if question.get("phase") != phase or question.get("run_item") == run_item:
                continue
            closed = self.service.items.close_question(project.project_id, question["item_id"], "superseded")
            if closed is None:
                continue
            self.service.resolve_question_blockers(project.project_id, {question["item_id"]})
            from plugins.projects import reminders

            reminders.cancel(self.crewbot, project.project_id, question["item_id"])
            note = (
                f"❓ {question['question']}\n_Asked in an earlier attempt of {PHASES[phase].title}; the phase started "
                "again, and the crew asks again if it still needs to know._"
            )
            update(
                self.crewbot,
                question.get("channel"),
                question.get("ts"),
                note,
                [{"type": "section", "text": {"type": "mrkdwn", "text": note[:2900]}}],
            )

    def _resolve_blockers(self, project_id: str, run_item: str, phase: str) -> None:
        """The phase's questions that are no longer open (answered in this or an earlier attempt, or superseded),
        and earlier failures of this phase, are no longer blockers."""
        questions = {
            q["item_id"]
            for q in self.service.items.questions(project_id)
            if q.get("status") != "open" and (q.get("run_item") == run_item or q.get("phase") == phase)
        }
        for entry in project_records(self.crewbot).ledger.for_project(project_id, "blocker"):
            failed_before = entry.data.get("type") == "phase_failed" and entry.data.get("phase") == phase
            if entry.status == "open" and (entry.data.get("question_id") in questions or failed_before):
                project_records(self.crewbot).ledger.update(project_id, entry.entry_id, status="resolved")

    def _fail(self, project: Project, spec: PhaseSpec, run: dict[str, Any], reason: str) -> None:
        """A failed run is retried once automatically, as a new attempt on the same task token (a passing model
        or network error then costs nobody a click); a failed retry fails the task: the Retry / Stop card."""
        failed = self.service.items.update(
            project.project_id,
            run["item_id"],
            status="failed",
            error=reason[:1000],
            finished_at=self.service.items.stamp(),
        )
        self._metrics(project, failed)
        if not run.get("auto_retry"):
            retry = self.service.items.new_run(
                project.project_id, spec.name, run["token"], list(run.get("feedback") or [])
            )
            retry = self.service.items.update(
                project.project_id,
                retry["item_id"],
                auto_retry=True,
                retry_of=run["item_id"],
                memory=list(run.get("memory") or []),
            )
            post(
                self.crewbot,
                project.channel_id,
                f"🔁 *{spec.title}* failed ({reason[:300]}); retrying it automatically once "
                f"(attempt {retry['attempt']}).",
            )
            self._launch(project.project_id, retry["item_id"], resume=False)
            return
        self.crewbot.workflows.send_task_failure(run["token"], "Project.PhaseFailed", reason[:1000])
