"""What project delivery shows in Slack: gate messages, questions, modals, status — Block Kit builders
and posting outside a Slack request (workflow tasks) through the runtime's WebClient.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from plugins.projects.crew import PHASES

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

APPROVE = "project_gate_approve"
REVISE = "project_gate_revise"
ANSWER = "project_question_answer"
RETRY = "project_phase_retry"
STOP = "project_phase_stop"
NEW_VIEW = "project_new"
APPROVE_VIEW = "project_gate_ratings"
REVISE_VIEW = "project_gate_feedback"
ANSWER_VIEW = "project_question"
RATINGS = ("quality", "relevance", "completeness")
SURVEY = "project_survey_open"
SURVEY_VIEW = "project_survey"


def post(
    crewbot: Crewbot,
    channel: str | None,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    on_behalf_of: str | None = None,
) -> str | None:
    """Post to ``channel``; returns the message ts, or ``None`` when Slack is not configured or refuses.
    When Slack refuses and ``on_behalf_of`` (the user who asked) is given, that user is told in a DM."""
    if not channel:
        return None
    from slack_sdk.errors import SlackApiError

    from bot.api import SecretNotFound, slack_client

    try:
        client = slack_client(crewbot)
        response = client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
    except SecretNotFound:
        logger.warning("no Slack bot token: not posting to %s: %s", channel, text[:80])
        return None
    except SlackApiError as exc:
        error = exc.response.get("error")
        logger.error("could not post to %s: %s", channel, error)
        if on_behalf_of:
            tell_in_dm(client, on_behalf_of, f"I could not post in <#{channel}> ({error}): {text[:300]}")
        return None
    return str(response.get("ts") or "") or None


def tell_in_dm(client: Any, user_id: str, text: str) -> None:
    """A DM to ``user_id``; a failure is logged (there is nobody left to tell)."""
    from slack_sdk.errors import SlackApiError

    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as exc:
        logger.error("could not tell %s either: %s", user_id, exc.response.get("error"))


def channel_problem(client: Any, channel: str, app_name: str) -> str | None:
    """None when Crewbot can post in ``channel`` (a public channel it is not in is joined), else what
    the user has to do, as a sentence."""
    from slack_sdk.errors import SlackApiError

    if channel.startswith("D"):
        return None  # a DM with Crewbot (where `/project new` was run): Crewbot is always in it
    invite = f"type `/invite @{app_name}` in <#{channel}>, then start the project again"
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        if exc.response.get("error") == "channel_not_found":
            return f"I can't see <#{channel}> (a private channel I am not in?): {invite}."
        return f"I could not check <#{channel}> ({exc.response.get('error')}); try again in a minute."
    if info.get("is_im") or info.get("is_member"):
        return None
    if info.get("is_private") or info.get("is_archived"):
        return f"I am not in <#{channel}>: {invite}."
    try:
        client.conversations_join(channel=channel)
    except SlackApiError as exc:
        return f"I could not join <#{channel}> ({exc.response.get('error')}): {invite}."
    return None


def progress_view(text: str, *, done: bool = False) -> dict[str, Any]:
    """The new-project modal while Crewbot works on a submission, and with its outcome."""
    return {
        "type": "modal",
        "callback_id": NEW_VIEW + "_progress",
        "title": {"type": "plain_text", "text": "New project"},
        "close": {"type": "plain_text", "text": "Close" if done else "Hide"},
        "blocks": [_section(text)],
    }


def update(
    crewbot: Crewbot, channel: str | None, ts: str | None, text: str, blocks: list[dict[str, Any]] | None = None
) -> None:
    if not channel or not ts:
        return
    from slack_sdk.errors import SlackApiError

    from bot.api import SecretNotFound, slack_client

    try:
        slack_client(crewbot).chat_update(channel=channel, ts=ts, text=text, blocks=blocks or [])
    except (SecretNotFound, SlackApiError) as exc:
        logger.warning("could not update message %s in %s: %s", ts, channel, exc)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2900]}]}


def gate_blocks(project: Any, gate: dict[str, Any], review: dict[str, Any]) -> list[dict[str, Any]]:
    """The approval request: summary, deliverables as links, Approve / Revise."""
    spec = PHASES[gate["phase"]]
    value = f"{project.project_id}:{gate['item_id']}"
    links = [
        f"• <{d['url']}|{d['path']}>" + ("" if d.get("present", True) else " — *missing*")
        for d in review.get("deliverables", [])
    ]
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{spec.title} is ready for review"[:150]}},
        _section(f"*{project.name}* — {review.get('summary') or spec.goal}"),
        _section("*Deliverables*\n" + ("\n".join(links) or "(none)")),
    ]
    if review.get("patterns"):
        blocks.append(_context("♻️ Reused from the pattern library: " + ", ".join(str(p) for p in review["patterns"])))
    if review.get("memory"):
        remembered = review["memory"]
        blocks.append(
            _context(
                f"🧠 Carried in from long-term memory ({len(remembered)}): "
                + "; ".join(str(m) for m in remembered[:3])
                + ("; …" if len(remembered) > 3 else "")
            )
        )
    if review.get("open_blockers"):
        blocks.append(_section("*Open blockers*\n" + "\n".join(f"• {b}" for b in review["open_blockers"])))
    blocks.append(
        _context(
            f"attempt {gate.get('attempt')} · {review.get('tokens', 0):,} tokens in this phase · "
            "only the project's approvers can decide"
        )
    )
    blocks.append(
        {
            "type": "actions",
            "block_id": "gate",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE,
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": REVISE,
                    "text": {"type": "plain_text", "text": "Revise"},
                    "value": value,
                },
            ],
        }
    )
    return blocks


def decided_blocks(project: Any, gate: dict[str, Any], text: str) -> list[dict[str, Any]]:
    spec = PHASES[gate["phase"]]
    review = gate.get("review") or {}
    links = [f"• <{d['url']}|{d['path']}>" for d in review.get("deliverables", [])]
    return [
        _section(f"*{project.name} — {spec.title}* (attempt {gate.get('attempt')})\n" + "\n".join(links)),
        _context(text),
    ]


def failure_blocks(project: Any, item: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """A failed phase: what happened, and Retry / Stop for the approvers."""
    value = f"{project.project_id}:{item['item_id']}"
    return [
        _section(text),
        _context("Retry runs the phase again as a new attempt; Stop ends the project."),
        {
            "type": "actions",
            "block_id": "recovery",
            "elements": [
                {
                    "type": "button",
                    "action_id": RETRY,
                    "text": {"type": "plain_text", "text": "Retry"},
                    "style": "primary",
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": STOP,
                    "text": {"type": "plain_text", "text": "Stop"},
                    "style": "danger",
                    "value": value,
                },
            ],
        },
    ]


def question_blocks(project: Any, question: dict[str, Any]) -> list[dict[str, Any]]:
    value = f"{project.project_id}:{question['item_id']}"
    return [
        _section(
            f"❓ *{question['agent'].upper()} asks* ({PHASES[question['phase']].title}, {project.name}):\n"
            f"{question['question']}"
        ),
        _context(
            "The phase is paused until someone answers"
            + (f" ({', '.join(f'<@{u}>' for u in project.approvers)})" if project.approvers else "")
            + f". `/project answer {project.name}` lists the open questions."
        ),
        {
            "type": "actions",
            "block_id": f"question-{question['item_id']}"[:255],
            "elements": [
                {
                    "type": "button",
                    "action_id": ANSWER,
                    "text": {"type": "plain_text", "text": "Answer"},
                    "style": "primary",
                    "value": value,
                }
            ],
        },
    ]


def _option(value: int) -> dict[str, Any]:
    label = ("poor", "weak", "fair", "good", "excellent")[value - 1]
    return {"text": {"type": "plain_text", "text": f"{value} — {label}"}, "value": str(value)}


def ratings_view(metadata: str, phase: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [_section(f"Approve *{PHASES[phase].title}*. Ratings are optional (1 to 5).")]
    for name in RATINGS:
        blocks.append(
            {
                "type": "input",
                "block_id": name,
                "optional": True,
                "label": {"type": "plain_text", "text": name.capitalize()},
                "element": {
                    "type": "static_select",
                    "action_id": name,
                    "placeholder": {"type": "plain_text", "text": "1 to 5"},
                    "options": [_option(v) for v in range(1, 6)],
                },
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": "comment",
            "optional": True,
            "label": {"type": "plain_text", "text": "Comment"},
            "element": {"type": "plain_text_input", "action_id": "comment", "multiline": True},
        }
    )
    return {
        "type": "modal",
        "callback_id": APPROVE_VIEW,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Approve phase"},
        "submit": {"type": "plain_text", "text": "Approve"},
        "blocks": blocks,
    }


def feedback_view(metadata: str, phase: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": REVISE_VIEW,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Revise phase"},
        "submit": {"type": "plain_text", "text": "Send back"},
        "blocks": [
            _section(
                f"What should the crew change in *{PHASES[phase].title}*? The phase runs again with your feedback."
            ),
            {
                "type": "input",
                "block_id": "feedback",
                "label": {"type": "plain_text", "text": "Feedback"},
                "element": {"type": "plain_text_input", "action_id": "feedback", "multiline": True},
            },
        ],
    }


def answer_view(metadata: str, question: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ANSWER_VIEW,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Answer the crew"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            _section(question),
            {
                "type": "input",
                "block_id": "answer",
                "label": {"type": "plain_text", "text": "Answer"},
                "element": {"type": "plain_text_input", "action_id": "answer", "multiline": True},
            },
        ],
    }


def new_project_view(channel_id: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": NEW_VIEW,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "New project"},
        "submit": {"type": "plain_text", "text": "Start"},
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "label": {"type": "plain_text", "text": "Project name"},
                "element": {"type": "plain_text_input", "action_id": "name", "max_length": 64},
            },
            {
                "type": "input",
                "block_id": "sow_text",
                "optional": True,
                "label": {"type": "plain_text", "text": "Statement of Work (text)"},
                "element": {"type": "plain_text_input", "action_id": "sow_text", "multiline": True},
            },
            {
                "type": "input",
                "block_id": "sow_file",
                "optional": True,
                "label": {"type": "plain_text", "text": "…or a SOW file (txt, md, pdf, docx)"},
                "element": {
                    "type": "file_input",
                    "action_id": "sow_file",
                    "filetypes": ["txt", "md", "pdf", "docx"],
                    "max_files": 1,
                },
            },
            {
                "type": "input",
                "block_id": "channel",
                "optional": True,
                "label": {"type": "plain_text", "text": "Project channel (default: here)"},
                "element": {"type": "conversations_select", "action_id": "channel"},
            },
        ],
    }


def survey_blocks(project: Any, text: str = "") -> list[dict[str, Any]]:
    """The invitation to the post-delivery survey (approvers only)."""
    blocks = [_section(text)] if text else []
    blocks.append(_context(f"A short survey for the approvers of {project.name}: how did the delivery go?"))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"survey-{project.project_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": SURVEY,
                    "text": {"type": "plain_text", "text": "Take the survey"},
                    "style": "primary",
                    "value": project.project_id,
                }
            ],
        }
    )
    return blocks


def survey_view(project: Any) -> dict[str, Any]:
    """Three questions: satisfaction (1-5), would use the crew again, what to do better."""
    again = [
        {"text": {"type": "plain_text", "text": label}, "value": value}
        for value, label in (("yes", "Yes"), ("maybe", "Maybe"), ("no", "No"))
    ]
    return {
        "type": "modal",
        "callback_id": SURVEY_VIEW,
        "private_metadata": project.project_id,
        "title": {"type": "plain_text", "text": "Delivery survey"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            _section(f"*{project.name}* is delivered. How did it go?"),
            {
                "type": "input",
                "block_id": "satisfaction",
                "label": {"type": "plain_text", "text": "Satisfaction"},
                "element": {
                    "type": "static_select",
                    "action_id": "satisfaction",
                    "placeholder": {"type": "plain_text", "text": "1 to 5"},
                    "options": [_option(v) for v in range(1, 6)],
                },
            },
            {
                "type": "input",
                "block_id": "again",
                "label": {"type": "plain_text", "text": "Would you use the crew again"},
                "element": {"type": "static_select", "action_id": "again", "options": again},
            },
            {
                "type": "input",
                "block_id": "better",
                "optional": True,
                "label": {"type": "plain_text", "text": "What should the crew do better"},
                "element": {"type": "plain_text_input", "action_id": "better", "multiline": True},
            },
        ],
    }
