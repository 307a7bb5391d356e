"""The crew's tools. They find the project, the phase and the acting agent in the turn itself: the
project and phase in the invocation state (``project_id``, ``phase``), the agent from Strands'
``tool_context.agent`` — inside a Swarm every node shares one invocation state, so the scope of a
write is decided by the agent actually calling, never by an argument it could choose.

A refused write or a PM-only call from another agent raises :class:`~bot.agents.tools.ToolError`, which
Strands hands back to the agent as an error tool result it can read and act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.api import ToolError, ToolInvocation, ToolRegistration, call_context, crewbot_tool, format_time
from plugins.projects.artifacts import WRITE_SCOPES, ArtifactNotFound, ArtifactScopeError, check_write_scope, clean_path
from plugins.projects.crew import PHASES, render_template, template_names
from plugins.projects.patterns import PatternError
from plugins.projects.records import LEDGER_KINDS, Project, project_records

if TYPE_CHECKING:
    from bot.api import Crewbot
    from plugins.projects.service import ProjectService

PROJECT_KEY = "project_id"
PHASE_KEY = "phase"
RUN_KEY = "run_item"


@dataclass
class CrewCall:
    """Who is calling, for which project and phase."""

    crewbot: Crewbot
    project: Project
    agent: str
    phase: str
    run_item: str

    @property
    def service(self) -> ProjectService:
        from plugins.projects.service import project_service

        return project_service(self.crewbot)


def crew_call(tool_context: ToolInvocation | None) -> CrewCall:
    call = call_context(tool_context)
    state = getattr(tool_context, "invocation_state", None) or {}
    project_id = state.get(PROJECT_KEY)
    if not project_id:
        raise ToolError("this tool works only inside project work (no project in this conversation)")
    runtime = call.runtime()
    project = project_records(runtime).projects.get(str(project_id))
    if project is None:
        raise ToolError(f"project {project_id} no longer exists")
    agent = getattr(getattr(tool_context, "agent", None), "name", None) or call.agent
    return CrewCall(
        runtime, project, str(agent), str(state.get(PHASE_KEY) or project.phase), str(state.get(RUN_KEY) or "")
    )


def _only(call: CrewCall, agent: str, what: str) -> None:
    if call.agent != agent:
        raise ToolError(
            f"only the {agent} agent may {what}; you are {call.agent}. Read the ledger, or hand off "
            f"to {agent} with what should change"
        )


# -- ledger ------------------------------------------------------------------------------------------


def project_context(call: CrewCall) -> dict[str, Any]:
    """What every agent should know: the SOW, the ledger, the customer's feedback and answers."""
    service = call.service
    project = call.project
    entries = project_records(call.crewbot).ledger.for_project(project.project_id)
    # Entries of one second are stored in id order; the customer's feedback is put back in attempt order.
    entries.sort(key=lambda e: (e.created_at or datetime.min.replace(tzinfo=UTC), int(e.data.get("attempt") or 0)))
    ledger: dict[str, list[str]] = {kind: [] for kind in LEDGER_KINDS}
    for entry in entries:
        ledger[entry.kind].append(entry.text + (f" [{entry.status}]" if entry.status else ""))
    answers = [
        f"{q['question']} → {q['answer']}"
        for q in service.items.questions(project.project_id)
        if q.get("status") == "answered"
    ]
    sow = {k: v for k, v in project.sow.items() if k not in ("text", "source", "parsed_by")}
    return {
        "project": project.name,
        "project_id": project.project_id,
        "phase": call.phase,
        "sow": sow,
        "sow_missing": [k for k, v in sow.items() if k != "title" and not v],
        "customer_feedback": service.feedback_for(project.project_id, call.phase),
        "customer_answers": answers,
        "ledger": ledger,
    }


@crewbot_tool(side_effects="read")
def read_task_ledger(tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Read the project's status and task ledger: the SOW, facts, assumptions, decisions, blockers, deliverables,
    the customer's feedback on this phase and their answers to questions.

    Returns:
        The project, phase, structured SOW, ledger entries by kind, customer feedback and answers.
    """
    return project_context(crew_call(tool_context))


@crewbot_tool(side_effects="write")
def update_task_ledger(
    kind: str, text: str, status: str | None = None, tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Add an entry to the project's task ledger (PM only).

    Args:
        kind: One of fact, assumption, decision, blocker, deliverable.
        text: The entry.
        status: Optional status, e.g. open or resolved for a blocker.
    """
    call = crew_call(tool_context)
    _only(call, "pm", "write the task ledger")
    if kind not in LEDGER_KINDS:
        raise ToolError(f"kind must be one of {', '.join(LEDGER_KINDS)}, not {kind!r}")
    if not text.strip():
        raise ToolError("the entry text is empty")
    entry = project_records(
        call.crewbot
    ).ledger.add(
        call.project.project_id,
        kind,  # type: ignore[arg-type]
        text.strip()[:2000],
        "pm",
        status=status,
        data={"phase": call.phase},
    )
    return {"status": "recorded", "entry_id": entry.entry_id, "kind": kind}


# -- artifacts ---------------------------------------------------------------------------------------


@crewbot_tool(side_effects="read")
def list_artifacts(prefix: str = "", tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """List the files in the project's artifact repository.

    Args:
        prefix: Only paths starting with this (e.g. docs/architecture/).
    """
    call = crew_call(tool_context)
    files = call.service.artifacts(call.project.project_id).files(prefix)
    return {"count": len(files), "files": files, "your_write_scope": list(WRITE_SCOPES.get(call.agent, ()))}


@crewbot_tool(side_effects="read")
def read_artifact(path: str, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Read a file from the project's artifact repository (any agent may read any file).

    Args:
        path: The file's path, e.g. docs/architecture/architecture.md.
    """
    call = crew_call(tool_context)
    try:
        content = call.service.artifacts(call.project.project_id).read(path)
    except (ArtifactScopeError, ArtifactNotFound) as exc:
        raise ToolError(str(exc)) from None
    return {"path": clean_path(path), "content": content[:20000], "truncated": len(content) > 20000}


def _write(call: CrewCall, path: str, content: str, message: str) -> dict[str, Any]:
    store = call.service.artifacts(call.project.project_id)
    try:
        commit = store.write(call.agent, path, content, message)
    except ArtifactScopeError as exc:
        call.crewbot.records.audit.record(
            f"project#{call.project.project_id}", call.agent, "artifact_write_refused", path, reason=str(exc)
        )
        raise ToolError(f"write refused: {exc}") from None
    return {"status": "written", "path": commit.path, "commit": commit.sha[:12], "url": store.url(commit.path)}


@crewbot_tool(side_effects="write")
def write_artifact(path: str, content: str, message: str = "", tool_context: ToolInvocation | None = None) -> dict:
    """Write a file in the project's artifact repository, inside your own directories only (one commit).

    Args:
        path: Relative path inside your write scope (list_artifacts shows your scope).
        content: The whole file content.
        message: Commit message.
    """
    return _write(crew_call(tool_context), path, content, message)


def template_fields(call: CrewCall, title: str, notes: str) -> dict[str, Any]:
    context = project_context(call)
    sow = context["sow"]
    feedback = context["customer_feedback"]
    requirements = sow.get("requirements") or []
    store = call.service.artifacts(call.project.project_id)
    run = call.service.items.get(call.project.project_id, call.run_item) if call.run_item else None
    gates = [
        f"{PHASES[g['phase']].title} attempt {g.get('attempt')}: {g.get('status')}"
        + (f" — {g.get('feedback')}" if g.get("feedback") else "")
        for g in call.service.items.gates(call.project.project_id)
        if g.get("phase") in PHASES
    ]
    return {
        "project": call.project.name,
        "slug": call.project.name.lower().replace(" ", "-"),
        "phase": call.phase,
        "agent": call.agent,
        "date": call.crewbot.clock.now().strftime("%Y-%m-%d"),
        "title": title,
        "attempt": run.get("attempt") if run else 1,
        "notes": notes,
        "objectives": sow.get("objectives"),
        "requirements": requirements,
        "constraints": sow.get("constraints"),
        "deliverables": sow.get("deliverables"),
        "acceptance_criteria": sow.get("acceptance_criteria"),
        "timeline": sow.get("timeline"),
        "feedback": feedback,
        "answers": context["customer_answers"],
        "decisions": context["ledger"]["decision"],
        "blockers": context["ledger"]["blocker"],
        "artifacts": store.files(),
        "gates": gates,
        "patterns": [
            f"{p['name']} ({p['tier']}, {p['pattern_id']})"
            for p in call.service.patterns.all()
            if p.get("source_project") == call.project.project_id
        ],
        "requirements_comment": "\n".join(f"#   - {r}" for r in requirements) or "#   (none recorded)",
        "feedback_comment": "\n".join(f"#   - {f}" for f in feedback) or "#   (none)",
    }


@crewbot_tool(side_effects="write")
def write_from_template(
    template: str, path: str, title: str = "", notes: str = "", tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Write an artifact from a template (ADR, architecture doc, test plan, security review, project plan ...),
    filled with the project's SOW, ledger and customer feedback, inside your own directories only.

    Args:
        template: adr, architecture_doc, project_plan, requirements, security_review, test_plan, phase_summary,
            work_note, terraform or retrospective.
        path: Relative path inside your write scope.
        title: The document's title.
        notes: Your content for the document's main section.
    """
    call = crew_call(tool_context)
    try:
        check_write_scope(call.agent, path)
        content = render_template(template, template_fields(call, title or template.replace("_", " "), notes))
    except KeyError as exc:
        raise ToolError(f"{exc.args[0]} (templates: {', '.join(template_names())})") from None
    except ArtifactScopeError as exc:
        call.crewbot.records.audit.record(
            f"project#{call.project.project_id}", call.agent, "artifact_write_refused", path, reason=str(exc)
        )
        raise ToolError(f"write refused: {exc}") from None
    return _write(call, path, content, f"{call.agent}: {title or template} ({call.phase})")


# -- the customer ------------------------------------------------------------------------------------


@crewbot_tool(side_effects="external")
def ask_customer(question: str, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Ask the customer a question and wait for the answer (the phase pauses until they reply in Slack).

    Args:
        question: One clear question the customer can answer in a few sentences.
    """
    crew_call(tool_context)  # only in project work
    if not question.strip():
        raise ToolError("the question is empty")
    interrupt = getattr(tool_context, "interrupt", None)
    if interrupt is None:
        raise ToolError("questions to the customer need a Strands tool context")
    answer = interrupt("ask_customer", reason={"question": question.strip()[:1000]})
    return {"question": question.strip(), "answer": answer}


# -- long-term memory --------------------------------------------------------------------------------


@crewbot_tool(side_effects="read")
def search_memory(
    query: str, scope: str = "all", limit: int = 5, tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Search long-term memory: facts, decisions and lessons kept from earlier phases of this project and from
    the organisation's other projects, most relevant first.

    Args:
        query: What you want to know, in a few words (e.g. "data residency", "timeline").
        scope: "project" for this project only, "all" for every project of the organisation.
        limit: How many memories to return (1 to 20).
    """
    from plugins.projects.memory import memory_of

    call = crew_call(tool_context)
    if scope not in ("project", "all"):
        raise ToolError("scope is project or all")
    if not query.strip():
        raise ToolError("say what to look for")
    found = memory_of(call.crewbot).search(
        query,
        project_id=call.project.project_id if scope == "project" else None,
        limit=max(1, min(int(limit), 20)),
    )
    return {
        "memories": [
            {
                "kind": m.kind,
                "text": m.text,
                "project": m.project,
                "phase": m.phase,
                "this_project": m.project_id == call.project.project_id,
            }
            for m in found
        ]
    }


# -- lessons and patterns ----------------------------------------------------------------------------


@crewbot_tool(side_effects="write")
def record_lesson(text: str, category: str = "general", tool_context: ToolInvocation | None = None) -> dict:
    """Record a lesson learned on this project (PM only), for later projects.

    Args:
        text: The lesson.
        category: e.g. scope, architecture, delivery, communication.
    """
    call = crew_call(tool_context)
    _only(call, "pm", "record lessons")
    item = call.service.items.add_lesson(call.project.project_id, text.strip()[:2000], category, call.agent)
    return {"status": "recorded", "lesson": item["item_id"]}


@crewbot_tool(side_effects="read")
def search_patterns(
    query: str = "", category: str | None = None, tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Search the pattern library: reusable artifacts from earlier projects (proven ones first).

    Args:
        query: Words to look for in names, descriptions and tags.
        category: Only this category (e.g. architecture, infra, security).
    """
    call = crew_call(tool_context)
    found = call.service.patterns.search(query, category)
    return {"count": len(found), "patterns": found}


@crewbot_tool(side_effects="write")
def use_pattern(pattern_id: str, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Use a pattern: copy it into your directories of this project's repository and count the use.

    Args:
        pattern_id: The pattern's id (from search_patterns).
    """
    call = crew_call(tool_context)
    scopes = WRITE_SCOPES.get(call.agent)
    if not scopes:
        raise ToolError(f"{call.agent} has no directories to copy a pattern into")
    try:
        item, content = call.service.patterns.use(pattern_id, call.project.project_id)
    except PatternError as exc:
        raise ToolError(str(exc)) from None
    name = item["file"].rsplit("/", 1)[-1]
    written = _write(call, f"{scopes[0]}patterns/{pattern_id}-{name}", content, f"{call.agent}: use {pattern_id}")
    if call.run_item:
        run = call.service.items.get(call.project.project_id, call.run_item)
        if run is not None:
            used = list(dict.fromkeys([*run.get("patterns_used", []), pattern_id]))
            call.service.items.update(call.project.project_id, call.run_item, patterns_used=used)
    return {**written, "pattern": call.service.patterns.view(item)}


@crewbot_tool(side_effects="write")
def contribute_pattern(
    artifact_path: str,
    name: str,
    category: str,
    tags: str = "",
    description: str = "",
    tool_context: ToolInvocation | None = None,
) -> dict[str, Any]:
    """Contribute one of this project's artifacts to the pattern library as a candidate pattern.

    Args:
        artifact_path: The artifact's path in this project's repository.
        name: A short name for the pattern.
        category: e.g. architecture, infra, security, data, delivery.
        tags: Comma-separated tags.
        description: When to use it.
    """
    call = crew_call(tool_context)
    try:
        content = call.service.artifacts(call.project.project_id).read(artifact_path)
        item = call.service.patterns.contribute(
            name=name,
            category=category,
            tags=tags.split(","),
            description=description,
            file_name=artifact_path,
            content=content,
            project_id=call.project.project_id,
            author=call.agent,
        )
    except (ArtifactNotFound, ArtifactScopeError, PatternError) as exc:
        raise ToolError(str(exc)) from None
    return {"status": "contributed", "pattern": call.service.patterns.view(item)}


@crewbot_tool(side_effects="write")
def promote_pattern(pattern_id: str, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Promote a candidate pattern to proven (QA only): needs 3+ uses and a success rate above 80%.

    Args:
        pattern_id: The pattern's id.
    """
    call = crew_call(tool_context)
    _only(call, "qa", "promote patterns")
    try:
        item = call.service.patterns.promote(pattern_id)
    except PatternError as exc:
        raise ToolError(str(exc)) from None
    call.crewbot.records.audit.record(
        "patterns",
        call.agent,
        "pattern_promoted",
        pattern_id,
        project_id=call.project.project_id,
        at=format_time(call.crewbot.clock.now()),
    )
    return {"status": "promoted", "pattern": call.service.patterns.view(item)}


TOOLS: tuple[ToolRegistration, ...] = (
    read_task_ledger,
    update_task_ledger,
    list_artifacts,
    read_artifact,
    write_artifact,
    write_from_template,
    ask_customer,
    record_lesson,
    search_patterns,
    use_pattern,
    contribute_pattern,
    promote_pattern,
    search_memory,
)
