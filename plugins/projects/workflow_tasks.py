"""The task handlers of ``workflows/project_phases.asl.json``.

* ``RunProjectPhase`` (``.waitForTaskToken``): starts the phase's Swarm; the run answers the token.
* ``ReviewProjectPhase``: the PM review — checks the phase's deliverables against the plan, records them
  in the ledger, asks the PM agent for a short assessment when a model is configured, writes the phase
  summary (``docs/phases/<phase>-summary.md``) and returns what the gate shows.
* ``RequestPhaseApproval`` (``.waitForTaskToken``): stores the gate and posts it with Approve / Revise.
* ``FinishProject``: marks the project completed and posts the totals.
* ``ProjectPhaseFailed`` (``.waitForTaskToken``): tells the channel a phase failed, pauses the project
  and waits for an approver's Retry (the phase runs again) or Stop.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.api import TaskContext, TaskFailure, WorkflowTask
from plugins.projects.crew import PHASES, render_template
from plugins.projects.records import project_records
from plugins.projects.service import project_service
from plugins.projects.slack_ui import failure_blocks, gate_blocks, post, update

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)


def _project_and_phase(crewbot: Crewbot, payload: Any) -> tuple[Any, str]:
    if not isinstance(payload, dict) or not payload.get("project_id") or payload.get("phase", "x") not in PHASES:
        raise TaskFailure("Project.BadInput", f"expected project_id and a known phase, got {payload!r}"[:500])
    project = project_records(crewbot).projects.get(str(payload["project_id"]))
    if project is None:
        raise TaskFailure("Project.NotFound", f"no project {payload['project_id']}")
    return project, str(payload.get("phase", ""))


def run_phase(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    from plugins.projects.runner import PhaseRunner

    project, phase = _project_and_phase(crewbot, payload)
    token = payload.get("taskToken") or ctx.task_token
    if not token:
        raise TaskFailure("Project.NoToken", "RunProjectPhase must be a .waitForTaskToken task")
    run = PhaseRunner(crewbot).start(project.project_id, phase, str(token))
    return {"run": run["item_id"]}


def review_phase(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    """The PM review: expected deliverables present? Record them; write the phase summary."""
    crewbot: Crewbot = ctx.crewbot
    project, phase = _project_and_phase(crewbot, payload)
    service = project_service(crewbot)
    spec = PHASES[phase]
    store = service.artifacts(project.project_id)
    runs = service.items.runs(project.project_id, phase)
    run = runs[-1] if runs else {}
    ledger = project_records(crewbot).ledger
    recorded = {e.text for e in ledger.for_project(project.project_id, "deliverable")}
    deliverables = []
    for d in spec.deliverables:
        present = store.exists(d.path)
        deliverables.append(
            {"path": d.path, "title": d.title, "agent": d.agent, "url": store.url(d.path), "present": present}
        )
        text = f"{spec.title}: {d.title} — {d.path}"
        if present and text not in recorded:
            ledger.add(project.project_id, "deliverable", text, "pm", data={"phase": phase, "path": d.path})
    missing = [d["path"] for d in deliverables if not d["present"]]
    blockers = [e.text for e in ledger.for_project(project.project_id, "blocker") if e.status == "open"]
    usage = (run.get("usage") or {}) if run else {}
    tokens = sum(int(u.get("input", 0)) + int(u.get("output", 0)) for u in usage.values())
    authors = [str(agent) for agent in dict.fromkeys(run.get("node_history", []))]
    summary = (
        f"{len(deliverables) - len(missing)} of {len(deliverables)} deliverables written by "
        f"{', '.join(authors) or 'the crew'}"
    )
    if missing:
        summary += "; missing: " + ", ".join(str(m) for m in missing)
    feedback = service.feedback_for(project.project_id, phase)
    if feedback:
        summary += f"; revised for: {feedback[-1]}"
    assessment = pm_assessment(crewbot, project, phase, [str(d["path"]) for d in deliverables if d["present"]])
    notes = f"{summary}\n\n{assessment}" if assessment else summary
    decisions = [e.text for e in ledger.for_project(project.project_id, "decision")]
    summary_path = f"docs/phases/{phase}-summary.md"
    content = render_template(
        "phase_summary",
        {
            "title": f"{spec.title} — phase summary",
            "project": project.name,
            "phase": phase,
            "attempt": run.get("attempt", 1),
            "date": crewbot.clock.now().strftime("%Y-%m-%d"),
            "artifacts": [f"{d['path']} ({d['agent']})" + ("" if d["present"] else " — MISSING") for d in deliverables],
            "decisions": decisions[-10:],
            "blockers": blockers,
            "feedback": feedback,
            "notes": notes,
        },
    )
    store.write("pm", summary_path, content, f"pm: {spec.title} review (attempt {run.get('attempt', 1)})")
    deliverables.append(
        {"path": summary_path, "title": "Phase summary", "agent": "pm", "url": store.url(summary_path), "present": True}
    )
    if assessment:
        summary = f"{summary}. PM: {assessment}"[:1500]
    from plugins.projects.memory import remember_phase

    remembered = remember_phase(crewbot, project, phase)
    if run:
        service.items.update(project.project_id, run["item_id"], remembered=remembered)
    return {
        "phase": phase,
        "attempt": run.get("attempt", 1),
        "summary": summary,
        "deliverables": deliverables,
        "missing": missing,
        "open_blockers": blockers,
        "tokens": tokens,
    }


REVIEW_PROMPT = (
    "Review the {title} phase of {project}. Read the task ledger and these deliverables: {paths}. "
    "In at most three sentences: do they answer the SOW and the customer's feedback, and what is "
    "missing or risky? Do not write files."
)


def pm_assessment(crewbot: Crewbot, project: Any, phase: str, paths: list[str]) -> str:
    """The PM agent's short assessment when a model is configured ("" on the offline model: the checks above
    are the review then). Read-only tools; one turn, no session."""
    from bot.api import CALL_KEY, BudgetState, CallContext, CrewbotHooks
    from plugins.projects.tools import PHASE_KEY, PROJECT_KEY

    agents = crewbot.agents
    spec = agents.registry.get("pm")
    if agents.models.resolve(spec.model).chain == ("offline",):
        return ""
    from strands import Agent

    from bot.api import conversation_manager

    call = CallContext(
        user_id=f"project:{project.project_id}",
        session_id=f"project-{project.project_id}-review",
        agent="pm",
        roles=frozenset({"user", "project_crew"}),
        crewbot=crewbot,
    )
    model, resolution = agents.models.build(spec.model)
    hooks = CrewbotHooks(
        call,
        agents.registry.tools,
        agents.ledger,
        BudgetState("ok", None),
        resolution.short,
        audit=crewbot.records.audit.record,
    )
    tools = [agents.registry.tools[t].strands_tool() for t in ("read_task_ledger", "read_artifact")]
    agent = Agent(
        model=model,
        tools=tools,
        system_prompt=spec.system_prompt,
        name="pm",
        callback_handler=None,
        conversation_manager=conversation_manager(spec.conversation),
        hooks=[hooks],
    )
    prompt = REVIEW_PROMPT.format(title=PHASES[phase].title, project=project.name, paths=", ".join(paths))
    try:
        result = agent(
            prompt,
            invocation_state={CALL_KEY: call, PROJECT_KEY: project.project_id, PHASE_KEY: phase},
            limits={"turns": spec.budget.max_cycles},
        )
    except Exception as exc:  # the deterministic review still stands
        logger.warning("PM review of %s (%s) failed: %s", project.project_id, phase, exc)
        return ""
    return str(result).strip()[:1200]


def request_approval(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    project, phase = _project_and_phase(crewbot, payload)
    token = payload.get("taskToken") or ctx.task_token
    if not token:
        raise TaskFailure("Project.NoToken", "RequestPhaseApproval must be a .waitForTaskToken task")
    service = project_service(crewbot)
    review = payload.get("review") if isinstance(payload.get("review"), dict) else {}
    # An older gate of this phase still open (a restarted execution) is out of date now.
    for old in service.items.gates(project.project_id):
        if old.get("status") == "pending":
            service.items.update(project.project_id, old["item_id"], status="expired")
            update(
                crewbot,
                old.get("channel"),
                old.get("ts"),
                "Out of date",
                [
                    {
                        "type": "context",
                        "elements": [{"type": "mrkdwn", "text": "This approval request is out of date."}],
                    }
                ],
            )
    runs = service.items.runs(project.project_id, phase)
    if runs and runs[-1].get("memory"):
        review = {**review, "memory": list(runs[-1]["memory"])}  # what the phase was given from memory
    if runs and runs[-1].get("patterns_used"):
        names = []
        for pattern_id in runs[-1]["patterns_used"]:
            try:
                names.append(str(service.patterns.get(pattern_id).get("name")))
            except Exception:  # a deleted pattern: show its id
                names.append(str(pattern_id))
        review = {**review, "patterns": names}
    gate = service.items.new_gate(project.project_id, phase, int(review.get("attempt") or 1), str(token), review)
    project_records(crewbot).projects.update(project.project_id, status="awaiting_approval", phase=phase)
    ts = post(
        crewbot,
        project.channel_id,
        f"{PHASES[phase].title} of {project.name} is ready for review",
        gate_blocks(project, gate, review),
    )
    service.items.update(project.project_id, gate["item_id"], channel=project.channel_id, ts=ts)
    return {"gate": gate["item_id"]}


def finish_project(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    project, _ = _project_and_phase(crewbot, {**payload, "phase": "retrospective"})
    service = project_service(crewbot)
    cost = service.cost(project.project_id)
    tokens = cost.tokens
    lessons = service.items.lessons(project.project_id)
    project_records(crewbot).projects.update(project.project_id, status="completed", phase="retrospective")
    crewbot.records.audit.record(
        f"project#{project.project_id}", "crew", "project_completed", project.name, tokens=tokens
    )
    from plugins.projects.metrics import project_metrics
    from plugins.projects.slack_ui import survey_blocks

    project_metrics(crewbot).finish(project)
    text = (
        f"🏁 *{project.name}* is delivered. {len(lessons)} lesson(s) recorded; "
        f"{cost.summary()} used. `/project deliverables {project.name}` lists everything."
        + "".join(f"\n⚠️ {warning}" for warning in cost.warnings())
    )
    post(crewbot, project.channel_id, text, survey_blocks(project, text))
    for approver in project.approvers:
        # Each approver is asked once more, in their DM with Crewbot.
        post(crewbot, approver, f"How did *{project.name}* go? One minute, three questions.", survey_blocks(project))
    return {"project_id": project.project_id, "tokens": tokens, "lessons": len(lessons)}


def phase_failed(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    crewbot: Crewbot = ctx.crewbot
    project, phase = _project_and_phase(crewbot, payload)
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    cause = str(error.get("Cause") or error.get("Error") or "unknown error")[:500]
    if error.get("Error") == "States.Timeout" and not error.get("Cause"):
        cause = "nobody decided (or the phase did not report) within the time limit"
    token = payload.get("taskToken") or ctx.task_token
    if not token:
        raise TaskFailure("Project.NoToken", "ProjectPhaseFailed must be a .waitForTaskToken task")
    service = project_service(crewbot)
    project_records(crewbot).projects.update(project.project_id, status="paused")
    project_records(crewbot).ledger.add(
        project.project_id,
        "blocker",
        f"{PHASES[phase].title} failed: {cause}",
        "pm",
        status="open",
        data={"type": "phase_failed", "phase": phase},
    )
    runs = service.items.runs(project.project_id, phase)
    retried = bool(runs and runs[-1].get("auto_retry") and runs[-1].get("status") == "failed")
    item = service.items.new_recovery(project.project_id, phase, str(token), cause)
    service.items.update(project.project_id, item["item_id"], auto_retried=retried)
    text = f"⚠️ *{PHASES[phase].title}* of {project.name} failed: {cause}."
    if retried:
        text += " It was already retried automatically once and failed again."
    text += " The project is paused."
    ts = post(crewbot, project.channel_id, text, failure_blocks(project, item, text))
    service.items.update(project.project_id, item["item_id"], channel=project.channel_id, ts=ts)
    return {"project_id": project.project_id, "phase": phase, "recovery": item["item_id"]}


def workflow_tasks() -> list[WorkflowTask]:
    """The task registrations; each handler finds the runtime in its ``TaskContext``."""

    return [
        WorkflowTask("RunProjectPhase", run_phase, "Run a project phase's Swarm; answers its token when done"),
        WorkflowTask("ReviewProjectPhase", review_phase, "PM review of a phase's deliverables"),
        WorkflowTask(
            "RequestPhaseApproval", request_approval, "Post the Approve / Revise gate in Slack", waits_for_person=True
        ),
        WorkflowTask("FinishProject", finish_project, "Close a delivered project"),
        WorkflowTask(
            "ProjectPhaseFailed", phase_failed, "Report a failed phase; wait for Retry or Stop", waits_for_person=True
        ),
    ]
