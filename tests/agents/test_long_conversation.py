"""A DM thread that never ends: 300 turns with the Meeting Coordinator as shipped (its budgets included)
on the offline model, through the conversation handler the Slack app calls. Every turn is answered;
the thread rolls over into fresh sessions instead of hitting a wall."""

from __future__ import annotations

from datetime import timedelta

from .conftest import MakeCrewbot, RecordingReply, add_meeting
from .test_conversation import dm

QUESTIONS = [
    "What meetings do I have this week?",
    "How is the budget looking?",
    "Build an agenda for the leadership meeting",
    "How are the big rocks doing?",
    "What did I ask earlier?",
]


def test_three_hundred_turns_in_one_dm_thread_are_all_answered(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    add_meeting(crewbot, "U1", "m-lead", "Leadership sync", 1, meeting_type="leadership")
    spec = crewbot.agents.registry.get("meeting_coordinator")
    assert spec.budget.tokens_per_session and spec.budget.tokens_per_user_day, "the shipped budgets are on"
    refused = []
    for turn in range(300):
        reply = RecordingReply()
        crewbot.conversations.handle(dm(QUESTIONS[turn % len(QUESTIONS)]), reply)
        answer = reply.text("stream")
        if not answer or "⛔" in answer:
            refused.append((turn, answer[:120]))
        crewbot.clock.advance(timedelta(minutes=15))  # a busy user: four messages an hour, day and night
    assert refused == []
    sessions = crewbot.agents.chat_sessions.for_user("U1", limit=100)
    assert len(sessions) > 1, "the thread continued in fresh sessions"
    assert all(int(s.get("tokens", 0)) < 2 * spec.budget.tokens_per_session for s in sessions)
