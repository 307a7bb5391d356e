"""Slack for project delivery: ``/project``, the new-project modal, gate buttons and modals, questions.

Every decision goes through :class:`plugins.projects.service.ProjectService`, which checks the approver,
decides the gate once (a second press, or a press on an old gate, answers "already decided") and
writes the audit log.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from bot.api import tell_user
from plugins.projects.crew import PHASE_ORDER, PHASES
from plugins.projects.items import AlreadyDecided
from plugins.projects.records import project_records
from plugins.projects.service import NotApprover, ProjectError, project_service
from plugins.projects.slack_ui import (
    RATINGS,
    answer_view,
    channel_problem,
    decided_blocks,
    feedback_view,
    new_project_view,
    post,
    progress_view,
    question_blocks,
    ratings_view,
    survey_view,
    tell_in_dm,
    update,
)
from plugins.projects.sow import MAX_SOW_BYTES, SowError, read_sow_file

logger = logging.getLogger(__name__)

SUBCOMMANDS = {
    "new": "start a project from a Statement of Work (opens a form: paste the SOW or share a file)",
    "list": "every project, its phase and status",
    "status [name]": "phase, pending approvals, questions, blockers and cost so far",
    "deliverables [name]": "the project's files, with links",
    "approvers [name] [add|remove @user ...]": "who may approve gates and answer the crew (approvers change it)",
    "answer [name]": "the crew's open questions, each with an Answer button",
    "memory [name] [query | forget]": "what the crew remembers of a project (searched across projects with a query)",
    "chat [name] [all | mentions]": "whether every message in the project's channel goes to its PM, or only mentions",
    "insights": "across projects: revisions per phase, ratings trend (with a chart), cost, reused patterns",
}
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(\|[^>]*)?>$")


def project_command(respond: Any, command: dict[str, Any], client: Any, crewbot: Any) -> None:
    """Dispatch ``/project <subcommand>``."""
    words = (command.get("text") or "").split()
    sub = words[0].lower() if words else "help"
    name = " ".join(words[1:]) or None
    service = project_service(crewbot)
    try:
        if sub == "new":
            client.views_open(trigger_id=command["trigger_id"], view=new_project_view(command["channel_id"]))
        elif sub == "list":
            respond(list_text(service))
        elif sub == "status":
            respond(status_text(service, service.find(name, command.get("channel_id"))))
        elif sub in ("deliverables", "files"):
            respond(deliverables_text(service, service.find(name, command.get("channel_id"))))
        elif sub == "approvers":
            respond(approvers(service, words[1:], command))
        elif sub == "chat":
            respond(chat_text(service, words[1:], command))
        elif sub == "insights":
            respond(insights(service, client, command))
        elif sub == "memory":
            respond(memory_text(service, words[1:], command))
        elif sub == "answer":
            text, blocks = open_questions(service, service.find(name, command.get("channel_id")))
            respond(text=text, blocks=blocks)
        else:
            lines = [f"• `/project {sub}` — {text}" for sub, text in SUBCOMMANDS.items()]
            prefix = "" if sub == "help" else f"I don't know `/project {sub}`.\n"
            respond(prefix + "*Project delivery*\n" + "\n".join(lines))
    except ProjectError as exc:
        respond(f"Sorry, {exc}")


# -- texts ---------------------------------------------------------------------------------------------


def list_text(service: Any) -> str:
    projects = service.all()
    if not projects:
        return "No projects yet. `/project new` starts one from a Statement of Work."
    lines = [
        f"• *{p.name}* — {PHASES[p.phase].title if p.phase in PHASES else p.phase} · "
        f"{p.status.replace('_', ' ')} · <#{p.channel_id}>"
        for p in projects
    ]
    return "*Projects*\n" + "\n".join(lines)


def status_text(service: Any, project: Any) -> str:
    pid = project.project_id
    position = service.phase_index(project.phase) + 1
    lines = [
        f"*{project.name}* — phase *{PHASES[project.phase].title}* ({position} of {len(PHASE_ORDER)}) · "
        f"{project.status.replace('_', ' ')}"
    ]
    pending = [g for g in service.items.gates(pid) if g.get("status") == "pending"]
    lines.append(
        "Pending approvals: "
        + (", ".join(f"{PHASES[g['phase']].title} (attempt {g.get('attempt')})" for g in pending) or "none")
    )
    questions = [q for q in service.items.questions(pid) if q.get("status") == "open"]
    if questions:
        lines.append("Questions waiting for you: " + "; ".join(f"{q['agent']}: {q['question']}" for q in questions))
    ledger = project_records(service.crewbot).ledger
    blockers = [e.text for e in ledger.for_project(pid, "blocker") if e.status != "resolved"]
    lines.append("Blockers: " + ("; ".join(blockers) if blockers else "none"))
    cost = service.cost(pid)
    lines.append(f"Cost so far: {cost.summary()}")
    lines.extend(f"  ⚠️ {warning}" for warning in cost.warnings())
    for phase, agents in service.usage(pid).items():
        parts = " · ".join(f"{agent} {u['input'] + u['output']:,}" for agent, u in agents.items())
        runs = len(service.items.runs(pid, phase))
        lines.append(f"  • {PHASES[phase].title} ({runs} run{'s' if runs != 1 else ''}): {parts}")
    decided = [g for g in service.items.gates(pid) if g.get("status") in ("approved", "revised")]
    for gate in decided[-3:]:
        ratings = ", ".join(f"{k} {v}" for k, v in (gate.get("ratings") or {}).items())
        lines.append(
            f"  ✓ {PHASES[gate['phase']].title} attempt {gate.get('attempt')} {gate['status']} by "
            f"<@{gate.get('decided_by')}>" + (f" ({ratings})" if ratings else "")
        )
    return "\n".join(lines)


def open_questions(service: Any, project: Any) -> tuple[str, list[dict[str, Any]]]:
    """``/project answer``: the project's open questions, each with its Answer button (read from the store, so
    this works whatever happened to the original messages, e.g. after a restart)."""
    questions = service.items.open_questions(project.project_id)
    if not questions:
        return f"*{project.name}* has no open questions.", []
    text = f"*{project.name}* — {len(questions)} open question(s)"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    for question in questions[:20]:
        blocks.extend(question_blocks(project, question))
    return text, blocks


def split_name(service: Any, words: list[str], channel_id: str | None) -> tuple[Any, list[str]]:
    """The project named by the longest leading words (names have spaces), and the words after it; without a
    name, the project of the channel and all the words."""
    names = {p.name.lower(): p for p in service.all()}
    for end in range(len(words), 0, -1):
        found = names.get(" ".join(words[:end]).lower())
        if found is not None:
            return found, words[end:]
    return service.find(None, channel_id), words


def chat_text(service: Any, words: list[str], command: dict[str, Any]) -> str:
    """``/project chat [name] [all | mentions]``: show or set whether the PM answers every message in the channel."""
    from plugins.projects.chat import CHAT_MODES, channel_project, chat_mode

    project, rest = split_name(service, words, command.get("channel_id"))
    if not rest:
        mode = chat_mode(service.crewbot, project)
        said = "every message" if mode == "all" else "mentions of Crewbot"
        return (
            f"In <#{project.channel_id}>, *{project.name}*'s PM answers {said} "
            f"(`/project chat {project.name} all|mentions`)."
        )
    mode = rest[0].lower()
    if mode not in CHAT_MODES or len(rest) > 1:
        raise ProjectError("say `all` (every message in the channel goes to the PM) or `mentions`")
    try:
        service.check_approver(project, command["user_id"], "change how the PM answers in the channel")
    except NotApprover as exc:
        raise ProjectError(str(exc)) from None
    if mode == "all" and channel_project(service.crewbot, project.channel_id) is None:
        raise ProjectError(f"<#{project.channel_id}> has other active projects; give the project a channel of its own")
    service.items.table.put({"project_id": project.project_id, "item_id": "settings#chat", "mode": mode})
    service.crewbot.records.audit.record(f"project#{project.project_id}", command["user_id"], "chat_mode", mode)
    if mode == "all":
        return (
            f"From now on every message in <#{project.channel_id}> goes to *{project.name}*'s PM "
            "(it answers in the thread)."
        )
    return f"*{project.name}*'s PM answers only mentions of Crewbot in <#{project.channel_id}> now."


def memory_text(service: Any, words: list[str], command: dict[str, Any]) -> str:
    """``/project memory [name] [query | forget]``."""
    from plugins.projects.memory import memory_of

    project, rest = split_name(service, words, command.get("channel_id"))
    memory = memory_of(service.crewbot)
    if memory.unavailable:
        return f"Nothing is remembered for *{project.name}*: {memory.unavailable}."
    if [w.lower() for w in rest] == ["forget"]:
        try:
            service.check_approver(project, command["user_id"], "delete the project's memory")
        except NotApprover as exc:
            raise ProjectError(str(exc)) from None
        deleted = memory.forget(project.project_id)
        service.crewbot.records.audit.record(
            f"project#{project.project_id}", command["user_id"], "memory_forgotten", project.name, deleted=deleted
        )
        return f"Deleted {deleted} memories of *{project.name}*. Later projects no longer recall them."
    query = " ".join(rest).strip()
    if query:
        own = memory.search(query, project_id=project.project_id, limit=8)
        others = [m for m in memory.search(query, limit=8) if m.project_id != project.project_id][:5]
        if not own and not others:
            return f"Nothing in memory matches “{query}”."
        lines = [f"*Memory of {project.name}* matching “{query}”"]
        lines += [f"• {m.line()}" for m in own] or ["• (nothing of this project)"]
        if others:
            lines.append("*From other projects*")
            lines += [f"• {m.line()}" for m in others]
        return "\n".join(lines)
    kept = memory.list(project.project_id)
    if not kept:
        return f"*{project.name}* has no long-term memory yet: each phase adds its facts, decisions and lessons."
    lines = [f"*Memory of {project.name}* — {len(kept)} record(s)"]
    lines += [f"• {m.line()}" for m in kept[-30:]]
    if len(kept) > 30:
        lines.append(f"… and {len(kept) - 30} older ones; add words to search them")
    return "\n".join(lines)


def deliverables_text(service: Any, project: Any) -> str:
    files = service.deliverables(project.project_id)
    if not files:
        return f"*{project.name}* has no deliverables yet."
    return f"*Deliverables of {project.name}*\n" + "\n".join(f"• <{f['url']}|{f['path']}>" for f in files)


def approvers(service: Any, words: list[str], command: dict[str, Any]) -> str:
    """``/project approvers [name] [add|remove @user ...]``: show or change a project's approvers."""
    verb_at = next((i for i, w in enumerate(words) if w.lower() in ("add", "remove")), len(words))
    project = service.find(" ".join(words[:verb_at]) or None, command.get("channel_id"))
    if verb_at < len(words):
        users = []
        for word in words[verb_at + 1 :]:
            match = _MENTION.match(word)
            if match is None:
                raise ProjectError(f"{word!r} is not a user: mention people, like @alice")
            users.append(match.group(1))
        if not users:
            raise ProjectError("mention whom to add or remove, like `add @alice`")
        try:
            project = service.change_approvers(project.project_id, command["user_id"], words[verb_at].lower(), users)
        except NotApprover as exc:
            raise ProjectError(str(exc)) from None
    listed = ", ".join(f"<@{u}>" for u in project.approvers) or "nobody"
    return f"Approvers of *{project.name}*: {listed} (and Crewbot admins)."


# -- new project ---------------------------------------------------------------------------------------


def _value(values: dict[str, Any], block: str) -> dict[str, Any]:
    return next(iter((values.get(block) or {}).values()), {}) or {}


def _download(client: Any, file: dict[str, Any]) -> tuple[str, bytes]:
    """The file's name and bytes, fetched with the bot token (what Slack requires for private files)."""
    if not file.get("url_private_download") and file.get("id"):
        file = client.files_info(file=file["id"])["file"]
    name = str(file.get("name") or file.get("title") or "the file")
    size = int(file.get("size") or 0)
    if size > MAX_SOW_BYTES:
        raise SowError(
            f"{name} is {size / 1_048_576:.1f} MB; the limit is {MAX_SOW_BYTES / 1_048_576:.0f} MB. "
            "Share a shorter SOW or paste its text"
        )
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url:
        raise SowError(f"Slack gave no download link for {name}")
    # The bot token goes with the request: only ever to Slack's file host (or the API host the client uses).
    host = urllib.parse.urlparse(url).netloc
    if host not in ("files.slack.com", urllib.parse.urlparse(client.base_url).netloc):
        raise SowError(f"{name} is not a Slack file ({host}); share it in Slack or paste its text")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # the URL is Slack's own file link
            data = response.read(MAX_SOW_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise SowError(f"could not download {name} from Slack ({exc})") from None
    return name, data


def _new_project_form(view: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]], str]:
    values = view["state"]["values"]
    name = (_value(values, "name").get("value") or "").strip()
    text = _value(values, "sow_text").get("value") or ""
    files = _value(values, "sow_file").get("files") or []
    channel = _value(values, "channel").get("selected_conversation") or view.get("private_metadata") or ""
    return name, text, files, channel


def submit_new_project(ack: Any, view: dict[str, Any]) -> None:
    """Check the form (no I/O: Slack wants the answer within 3 seconds) and show that the SOW is being
    read; :func:`create_new_project` does the rest after the acknowledgement."""
    name, text, files, channel = _new_project_form(view)
    errors = {}
    if not name:
        errors["name"] = "Give the project a name"
    if not files and not text.strip():
        errors["sow_text"] = "Paste the Statement of Work, or share it as a file"
    if not channel:
        errors["channel"] = "Choose the project's channel"
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=progress_view(f"⏳ Reading your SOW for *{name}*…"))


def create_new_project(body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Any) -> None:
    """After the acknowledgement: check the channel (joining a public one), read the SOW, create and
    start the project. Every outcome is shown in the modal, and failures also in a DM."""
    from slack_sdk.errors import SlackApiError

    user = body["user"]["id"]
    name, text, files, channel = _new_project_form(view)

    def show(message: str, *, failed: bool) -> None:
        try:
            client.views_update(view_id=view["id"], view=progress_view(message, done=True))
        except SlackApiError as exc:  # the modal was closed: the user still hears about a failure
            logger.info("new-project modal gone (%s)", exc.response.get("error"))
            if failed:
                tell_in_dm(client, user, message)

    problem = channel_problem(client, channel, crewbot.config.slack.app_name)
    if problem:
        show(f"⚠️ *{name}* was not started: {problem}", failed=True)
        return
    source = "text"
    try:
        if files:
            file_name, data = _download(client, files[0])
            text, source = read_sow_file(file_name, data), f"file {file_name}"
        service = project_service(crewbot)
        project = service.create(name=name, sow_text=text, channel_id=channel, user_id=user, source=source, start=False)
    except (SowError, ProjectError) as exc:
        show(f"⚠️ *{name}* was not started: {exc}.", failed=True)
        return
    sow = project.sow
    counts = ", ".join(
        f"{len(sow.get(k) or [])} {k.replace('_', ' ')}"
        for k in ("objectives", "requirements", "deliverables", "acceptance_criteria")
    )
    posted = post(
        crewbot,
        channel,
        f"📄 <@{user}> started *{project.name}* from a SOW ({source}; read by the "
        f"{sow.get('parsed_by')}: {counts}). Approvers: "
        f"{', '.join(f'<@{u}>' for u in project.approvers)}.",
        on_behalf_of=user,
    )
    show(
        f"✅ *{project.name}* started: follow it in <#{channel}>."
        if posted
        else f"⚠️ *{project.name}* was created, but I could not post in <#{channel}>.",
        failed=not posted,
    )
    service.start(project)


# -- gates ---------------------------------------------------------------------------------------------


def _ids(value: str) -> tuple[str, str]:
    project_id, _, item_id = (value or "").partition(":")
    if not project_id or not item_id:
        raise ProjectError("this button carries no project")
    return project_id, item_id


def _open_gate_modal(body: dict[str, Any], client: Any, crewbot: Any, builder: Any, action: str) -> None:
    service = project_service(crewbot)
    user = body["user"]["id"]
    try:
        project_id, gate_id = _ids(body["actions"][0].get("value", ""))
        project = service.get(project_id)
        service.check_approver(project, user, action)
        gate = service.pending_gate(project_id, gate_id)
    except (ProjectError, NotApprover, AlreadyDecided) as exc:
        tell_user(body, client, f"Sorry, {exc}.")
        return
    client.views_open(trigger_id=body["trigger_id"], view=builder(f"{project_id}:{gate_id}", gate["phase"]))


def on_approve(body: dict[str, Any], client: Any, crewbot: Any) -> None:
    _open_gate_modal(body, client, crewbot, ratings_view, "approve this phase")


def on_revise(body: dict[str, Any], client: Any, crewbot: Any) -> None:
    _open_gate_modal(body, client, crewbot, feedback_view, "send this phase back")


def _decide(
    ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Any, decision: str, **detail: Any
) -> None:
    service = project_service(crewbot)
    user = body["user"]["id"]
    error_field = "feedback" if decision == "revised" else "comment"
    try:
        project_id, gate_id = _ids(view.get("private_metadata", ""))
        project = service.get(project_id)
        service.check_approver(project, user, "decide this gate")
        gate = service.pending_gate(project_id, gate_id)
    except (ProjectError, NotApprover, AlreadyDecided) as exc:
        ack(response_action="errors", errors={error_field: f"Sorry, {exc}."[:150]})
        return
    ack()
    spec = PHASES[gate["phase"]]
    if decision == "approved":
        ratings = detail.get("ratings") or {}
        rated = f" — {', '.join(f'{k} {v}/5' for k, v in ratings.items())}" if ratings else ""
        note = f"✅ Approved by <@{user}>{rated}. The crew moves on."
    else:
        note = f"↩️ Sent back by <@{user}>: “{detail.get('feedback', '')}”. {spec.title} runs again."
    try:
        # Decided first (the winner of a race is the one whose conditional write landed), then shown.
        service.decide(project_id, gate_id, user, decision, **detail)
    except (AlreadyDecided, NotApprover, ProjectError) as exc:
        channel = gate.get("channel") or project.channel_id
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=f"Sorry, {exc}.")
        return
    update(crewbot, gate.get("channel"), gate.get("ts"), note, decided_blocks(project, gate, note))


def submit_approval(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Any) -> None:
    values = view["state"]["values"]
    ratings = {}
    for name in RATINGS:
        selected = _value(values, name).get("selected_option")
        if selected:
            ratings[name] = int(selected["value"])
    comment = _value(values, "comment").get("value") or ""
    _decide(ack, body, view, client, crewbot, "approved", ratings=ratings, comment=comment)


def submit_revision(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Any) -> None:
    feedback = (_value(view["state"]["values"], "feedback").get("value") or "").strip()
    if not feedback:
        ack(response_action="errors", errors={"feedback": "Say what the crew should change"})
        return
    _decide(ack, body, view, client, crewbot, "revised", feedback=feedback)


# -- questions -----------------------------------------------------------------------------------------


def on_answer(body: dict[str, Any], client: Any, crewbot: Any) -> None:
    service = project_service(crewbot)
    user = body["user"]["id"]
    try:
        project_id, question_id = _ids(body["actions"][0].get("value", ""))
        project = service.get(project_id)
        service.check_approver(project, user, "answer the crew's questions")
        question = service.items.get(project_id, question_id)
        if question is None or question.get("status") != "open":
            raise AlreadyDecided(closed_question_text(question))
    except (ProjectError, NotApprover, AlreadyDecided) as exc:
        tell_user(body, client, f"Sorry, {exc}.")
        return
    client.views_open(
        trigger_id=body["trigger_id"], view=answer_view(f"{project_id}:{question_id}", question["question"])
    )


def closed_question_text(question: dict[str, Any] | None) -> str:
    if question is not None and question.get("status") == "superseded":
        return "this question is from an earlier attempt of the phase; `/project answer` lists the open ones"
    return "this question was already answered"


def submit_answer(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Any) -> None:
    service = project_service(crewbot)
    user = body["user"]["id"]
    answer = (_value(view["state"]["values"], "answer").get("value") or "").strip()
    try:
        project_id, question_id = _ids(view.get("private_metadata", ""))
        project = service.get(project_id)
        service.check_approver(project, user, "answer the crew's questions")
        question = service.items.get(project_id, question_id)
        if question is None or question.get("status") != "open":
            raise AlreadyDecided(closed_question_text(question))
        if not answer:
            raise ProjectError("the answer is empty")
    except (ProjectError, NotApprover, AlreadyDecided) as exc:
        ack(response_action="errors", errors={"answer": f"Sorry, {exc}."[:150]})
        return
    ack()
    update(
        crewbot,
        question.get("channel"),
        question.get("ts"),
        f"Answered by <@{user}>",
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"❓ {question['question']}\n💬 <@{user}>: {answer}"[:2900]},
            }
        ],
    )
    try:
        service.answer(project_id, question_id, user, answer)
    except AlreadyDecided as exc:
        client.chat_postEphemeral(
            channel=question.get("channel") or project.channel_id, user=user, text=f"Sorry, {exc}."
        )


# -- insights and the survey ---------------------------------------------------------------------------


def insights(service: Any, client: Any, command: dict[str, Any]) -> str:
    """``/project insights``: the text, and a chart in the channel once two projects are delivered (a trend)."""
    from plugins.projects.charts import trend_chart
    from plugins.projects.metrics import insights_text, project_metrics

    data = project_metrics(service.crewbot).insights()
    text = insights_text(data)
    if len(data["delivered"]) >= 2 and command.get("channel_id"):
        try:
            client.files_upload_v2(
                channel=command["channel_id"],
                file=trend_chart(data["delivered"]),
                filename="project-insights.png",
                title="Project insights: ratings and tokens per delivered project",
                initial_comment="📈 Ratings and tokens per delivered project",
            )
            text += "\n(The chart is in the channel.)"
        except Exception as exc:  # the numbers are in the text anyway
            logger.warning("could not upload the insights chart: %s", exc)
    return text


def on_survey(body: dict[str, Any], client: Any, crewbot: Any) -> None:
    service = project_service(crewbot)
    user = body["user"]["id"]
    try:
        project = service.get(body["actions"][0].get("value", ""))
        service.check_approver(project, user, "answer this project's survey")
    except (ProjectError, NotApprover) as exc:
        tell_user(body, client, f"Sorry, {exc}.")
        return
    client.views_open(trigger_id=body["trigger_id"], view=survey_view(project))


def submit_survey(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, crewbot: Any) -> None:
    from plugins.projects.metrics import project_metrics

    service = project_service(crewbot)
    user = body["user"]["id"]
    values = view["state"]["values"]
    try:
        project = service.get(view.get("private_metadata", ""))
        service.check_approver(project, user, "answer this project's survey")
    except (ProjectError, NotApprover) as exc:
        ack(response_action="errors", errors={"satisfaction": f"Sorry, {exc}."[:150]})
        return
    satisfaction = (_value(values, "satisfaction").get("selected_option") or {}).get("value")
    again = (_value(values, "again").get("selected_option") or {}).get("value")
    if not satisfaction or not again:
        ack(response_action="errors", errors={"satisfaction" if not satisfaction else "again": "Choose one"})
        return
    ack()
    answers = {
        "satisfaction": int(satisfaction),
        "again": again,
        "better": (_value(values, "better").get("value") or "").strip()[:2000],
    }
    project_metrics(crewbot).record_survey(project, user, answers)
    crewbot.records.audit.record(f"project#{project.project_id}", user, "survey_answered", project.name, **answers)
    client.chat_postEphemeral(
        channel=project.channel_id, user=user, text=f"Thanks — your survey of *{project.name}* is recorded."
    )


# -- failed phases -------------------------------------------------------------------------------------


def _recover(body: dict[str, Any], client: Any, crewbot: Any, decision: str) -> None:
    service = project_service(crewbot)
    user = body["user"]["id"]
    try:
        project_id, item_id = _ids(body["actions"][0].get("value", ""))
        project = service.get(project_id)
        item = service.recover(project_id, item_id, user, decision)
    except (ProjectError, NotApprover, AlreadyDecided) as exc:
        tell_user(body, client, f"Sorry, {exc}.")
        return
    verb = "🔁 Retried" if decision == "retry" else "⏹ Stopped"
    note = f"{verb} by <@{user}>: {PHASES[item['phase']].title} of {project.name} failed ({item.get('cause')})."
    update(
        crewbot,
        item.get("channel"),
        item.get("ts"),
        note,
        [{"type": "section", "text": {"type": "mrkdwn", "text": note[:2900]}}],
    )


def on_retry(body: dict[str, Any], client: Any, crewbot: Any) -> None:
    _recover(body, client, crewbot, "retry")


def on_stop(body: dict[str, Any], client: Any, crewbot: Any) -> None:
    _recover(body, client, crewbot, "stop")
