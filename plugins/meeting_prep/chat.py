"""The prep chat: Start prep opens a thread where the Meeting Coordinator asks the
meeting type's prep questions one at a time.

Each answer is saved with the coordinator's own ``save_prep_response`` tool (called as the
coordinator, for the meeting's owner); ``skip`` records a skipped question and moves on, ``done``
finishes early. Finishing answers the workflow's task token (kept server-side on the meeting as
``prep_token``, never in a button) with ``send_task_success``, which resumes the MeetingPrepWorkflow
into GenerateMaterials. The chat's state (thread, question index) lives on the meeting as
``prep_chat``, so any process (another Lambda invocation) continues it. Replies in the thread reach
:class:`PrepChatRoute` through the ``register_conversation_routes`` hook instead of the default agent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from bot.api import IncomingMessage, Meeting, Reply, TaskTokenError, format_time

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

SKIP_WORDS = {"skip", "pass", "next"}
DONE_WORDS = {"done", "finish", "that's all", "thats all", "stop"}
SPEAKER = "Meeting Coordinator"
AGENT = "meeting_coordinator"


def _questions(meeting: Meeting) -> list[str]:
    chat = getattr(meeting, "prep_chat", None) or {}
    return list(chat.get("questions", []))


def question_text(meeting: Meeting, index: int) -> str:
    questions = _questions(meeting)
    return (
        f"*{SPEAKER}* · question {index + 1} of {len(questions)}: {questions[index]}\n"
        "_Answer in this thread, or say `skip` or `done`._"
    )


def start_chat(crewbot: Crewbot, meeting: Meeting, channel: str, thread_ts: str, questions: list[str]) -> Meeting:
    """Open the chat on ``meeting`` (its thread is ``thread_ts`` in ``channel``)."""
    return crewbot.records.meetings.update(
        meeting.meeting_id,
        prep_status="in_progress",
        prep_chat={
            "channel": channel,
            "thread_ts": thread_ts,
            "index": 0,
            "questions": questions,
            "started_at": format_time(crewbot.clock.now()),
            "active_at": format_time(crewbot.clock.now()),
            "state": "open",
        },
    )


#: Outside its thread, a DM still goes to the open prep chat this long after the chat's last message
#: (so a reply typed in the DM instead of the thread is not lost); after that only the thread counts.
FOLLOW_WINDOW = timedelta(minutes=30)


def _threads(chat: dict[str, Any]) -> list[str]:
    return [str(chat.get("thread_ts")), *(str(t) for t in chat.get("threads", []))]


def find_chat(
    crewbot: Crewbot, user_id: str, channel: str, thread_ts: str | None, ts: str | None = None
) -> Meeting | None:
    """The user's meeting whose open prep chat lives in this thread (the notification's, or one the chat
    adopted); or, for a new top-level DM (``thread_ts`` empty or equal to ``ts``), the open chat of this DM
    active in the last :data:`FOLLOW_WINDOW`. Messages inside other threads (agent conversations) are
    never taken."""
    now = crewbot.clock.now()
    top_level = not thread_ts or thread_ts == ts
    recent: Meeting | None = None
    for meeting in crewbot.records.meetings.for_user(user_id, now - timedelta(days=2), now + timedelta(days=61)):
        chat = getattr(meeting, "prep_chat", None)
        if not isinstance(chat, dict) or chat.get("state") != "open" or chat.get("channel") != channel:
            continue
        if thread_ts and thread_ts in _threads(chat):
            return meeting
        if not top_level:
            continue
        active = str(chat.get("active_at") or chat.get("started_at") or "")
        if (
            active
            and active >= format_time(now - FOLLOW_WINDOW)
            and (recent is None or active > str((getattr(recent, "prep_chat", None) or {}).get("active_at", "")))
        ):
            recent = meeting
    return recent


Resume = Callable[[], str | None]


def finish(crewbot: Crewbot, meeting: Meeting, how: str) -> tuple[str, Resume | None]:
    """Close the chat; the text to post, and the call that resumes the workflow (post the text first:
    locally the workflow runs to SendMaterials inside the call)."""
    chat = {**(getattr(meeting, "prep_chat", None) or {}), "state": "closed", "closed_by": how}
    token = getattr(meeting, "prep_token", None)
    crewbot.records.meetings.update(meeting.meeting_id, prep_chat=chat, prep_status="generating")
    answered = sum(1 for a in meeting.prep_responses.values() if not (isinstance(a, dict) and a.get("skipped")))
    if not token:
        crewbot.records.meetings.update(meeting.meeting_id, prep_status="in_progress")
        return "Thanks! Your answers are saved; this meeting's prep is not waiting for them any more.", None

    def resume() -> str | None:
        try:
            crewbot.workflows.send_task_success(token, {"completed": True, "answers": answered, "how": how})
        except TaskTokenError:
            return "This prep was already finished: your answers are saved for next time."
        return None

    return f"Great! {answered} answer{'s' if answered != 1 else ''} saved. Generating your materials…", resume


class PrepChatRoute:
    """Claims DM-thread replies to an open prep chat (``register_conversation_routes``)."""

    name = "meeting_prep_chat"

    def claims(self, crewbot: Crewbot, message: IncomingMessage) -> bool:
        return find_chat(crewbot, message.user_id, message.channel_id, message.thread_ts, message.ts) is not None

    def handle(self, crewbot: Crewbot, message: IncomingMessage, reply: Reply) -> None:
        meeting = find_chat(crewbot, message.user_id, message.channel_id, message.thread_ts, message.ts)
        if meeting is None:
            reply.post("This prep chat is already closed.")
            return
        chat = dict(getattr(meeting, "prep_chat", None) or {})
        thread = message.thread_ts or message.ts
        if thread not in _threads(chat):
            # A new top-level DM answered the chat: its thread belongs to the chat from now on.
            meeting = crewbot.records.meetings.update(
                meeting.meeting_id, prep_chat={**chat, "threads": [*chat.get("threads", []), thread]}
            )
        text, resume = answer(crewbot, meeting, message.text)
        reply.post(text)
        if resume is not None:
            after = resume()
            if after:
                reply.post(after)


def save_answer(crewbot: Crewbot, meeting: Meeting, question: str, text: str) -> str | None:
    """Save an answer through the Meeting Coordinator's own ``save_prep_response`` tool, as the coordinator
    in this chat; ``None`` when saved, else what to tell the user."""
    from bot.api import CALL_KEY, CallContext, ToolError

    # The Meeting Coordinator plugin (which this plugin requires) registers the tool.
    save_prep_response = crewbot.agents.registry.tools["save_prep_response"].function
    call = CallContext(user_id=meeting.user_id, session_id=f"prep-{meeting.meeting_id}", agent=AGENT, crewbot=crewbot)
    invocation = SimpleNamespace(invocation_state={CALL_KEY: call}, tool_use={"name": "save_prep_response"})
    try:
        save_prep_response(meeting.meeting_id, question, text, tool_context=invocation)
    except ToolError as exc:
        return f"I could not save that: {exc}. Please answer again."
    return None


def answer(crewbot: Crewbot, meeting: Meeting, text: str) -> tuple[str, Resume | None]:
    """Take one message of the chat: save it (or skip / finish); the next thing to say, and the workflow
    resumption when the chat is complete."""
    chat: dict[str, Any] = dict(getattr(meeting, "prep_chat", None) or {})
    questions = list(chat.get("questions", []))
    index = int(chat.get("index", 0))
    words = text.strip().lower().rstrip(".!")
    meetings = crewbot.records.meetings
    if words in DONE_WORDS or index >= len(questions):
        return finish(crewbot, meeting, "done")
    question = questions[index]
    if words in SKIP_WORDS:
        meetings.record_prep_response(
            meeting.meeting_id,
            question,
            {"skipped": True, "answered_at": format_time(crewbot.clock.now()), "source": "prep_chat"},
        )
        ack = "Skipped."
    else:
        following = questions[index + 1] if index + 1 < len(questions) else None
        said = coordinator_turn(crewbot, meeting, question, text, following) if coordinator_available(crewbot) else None
        if question not in meetings.get(meeting.meeting_id).prep_responses:  # type: ignore[union-attr]
            # The model did not save it (or there is no model): save it ourselves.
            saved = save_answer(crewbot, meeting, question, text)
            if saved is not None:
                return saved, None
        ack = said or "Saved."
    index += 1
    meeting = meetings.update(
        meeting.meeting_id, prep_chat={**chat, "index": index, "active_at": format_time(crewbot.clock.now())}
    )
    if index >= len(questions):
        closing, resume = finish(crewbot, meeting, "all questions")
        return f"{ack} {closing}", resume
    if ack != "Saved." and ack != "Skipped.":
        return f"{ack}\n_question {index + 1} of {len(questions)} · answer here, or say `skip` or `done`_", None
    return f"{ack} {question_text(meeting, index)}", None


def coordinator_available(crewbot: Crewbot) -> bool:
    """Whether the Meeting Coordinator runs on a real model here (not the deterministic offline one)."""
    try:
        spec = crewbot.agents.registry.get(AGENT)
        return crewbot.agents.models.resolve(spec.model).chain != ("offline",)
    except Exception:
        return False


def coordinator_turn(crewbot: Crewbot, meeting: Meeting, question: str, text: str, following: str | None) -> str | None:
    """With a real model, the Meeting Coordinator saves the answer (``save_prep_response``) and asks the next
    question in its own words; ``None`` if the turn fails (the chat goes on deterministically)."""
    chat = getattr(meeting, "prep_chat", None) or {}
    task = (
        f'[Prep chat for meeting {meeting.meeting_id} "{meeting.title}".] The user answered the prep question '
        f'"{question}":\n{text.strip()[:4000]}\n\nSave the answer with save_prep_response (meeting_id '
        f"{meeting.meeting_id}, the question exactly as quoted, the answer). Then, in one or two short sentences, "
        + (
            f'acknowledge it and ask exactly this next question: "{following}"'
            if following
            else "thank the user; it was the last question."
        )
    )
    try:
        result = crewbot.agents.ask(
            AGENT,
            user_id=meeting.user_id,
            conversation=f"prep-{meeting.meeting_id}",
            text=task,
            channel_id=str(chat.get("channel", "")),
            thread_ts=str(chat.get("thread_ts", "")),
        )
    except Exception as exc:
        logger.warning("Meeting Coordinator turn in the prep chat of %s failed: %s", meeting.meeting_id, exc)
        return None
    return result.text.strip() or None
