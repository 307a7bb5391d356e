"""The ConversationHandler the Slack app calls, tested with a recording Reply double."""

from __future__ import annotations

import pytest

from bot.agents.offline import OFFLINE_LABEL
from bot.agents.scripted import ScriptedModel
from bot.agents.service import AgentAccessError
from bot.agents.spec import AccessSpec, AgentSpec
from bot.slack.conversation import IncomingMessage
from bot.storage.tables import USERS

from .conftest import AgentPlugin, MakeCrewbot, RecordingReply, add_meeting


def dm(text: str, user: str = "U1", thread: str = "1700000000.000100") -> IncomingMessage:
    return IncomingMessage(user_id=user, channel_id="D1", thread_ts=thread, text=text, ts="1700000001.0", team_id="T1")


def test_dm_multi_turn_with_the_meeting_coordinator_on_the_offline_model(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    add_meeting(crewbot, "U1", "m-lead", "Leadership sync", 1, meeting_type="leadership")
    add_meeting(crewbot, "U1", "m-budget", "Budget review", 2, minutes=45, meeting_type="budget_review")

    first = RecordingReply()
    crewbot.conversations.handle(dm("What meetings do I have this week?"), first)
    assert first.kinds() == ["status", "stream", "context"]
    assert first.events[0] == ("status", "thinking…")
    answer = first.text("stream")
    assert answer.startswith(OFFLINE_LABEL)
    assert "Leadership sync" in answer and "Budget review" in answer
    assert len(first.chunks) > 1, "the answer is streamed in pieces"
    assert "get_upcoming_meetings" in first.text("context")

    second = RecordingReply()
    crewbot.conversations.handle(dm("Build the agenda for the budget review"), second)
    agenda = second.text("stream")
    assert "Spend versus budget" in agenda and "Cloud infrastructure" in agenda  # template + budget context
    assert "generate_meeting_agenda" in second.text("context")

    third = RecordingReply()
    crewbot.conversations.handle(dm("My answer: we must cut cloud spend by 10% for the budget review"), third)
    assert "save_prep_response" in third.text("context")
    stored = crewbot.records.meetings.get("m-budget")
    assert stored is not None and stored.prep_status == "in_progress"
    assert [e.target for e in crewbot.records.audit.for_scope("user#U1")] == ["save_prep_response"]  # write tools
    [answer] = stored.prep_responses.values()
    assert answer["response"].startswith("we must cut cloud spend") and answer["source"] == "meeting_coordinator"

    fourth = RecordingReply()
    crewbot.conversations.handle(dm("Build the agenda for the budget review again"), fourth)
    assert "Points you prepared" in fourth.text("stream") and "we must cut cloud spend" in fourth.text("stream")

    recap = RecordingReply()
    crewbot.conversations.handle(dm("What did I ask earlier?"), recap)
    assert "What meetings do I have this week?" in recap.text("stream")


def test_other_users_meetings_are_invisible(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    add_meeting(crewbot, "U2", "secret", "Acquisition talks", 1)
    reply = RecordingReply()
    crewbot.conversations.handle(dm("Show my meetings"), reply)
    assert "Acquisition" not in reply.text("stream") and "count: 0" in reply.text("stream")


def test_shared_files_are_mentioned_to_the_agent(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    model = ScriptedModel(["noted"])
    crewbot.agents.models.override("offline", lambda: model)
    message = IncomingMessage(
        user_id="U1",
        channel_id="D1",
        thread_ts="1.0",
        text="see attached",
        ts="1.0",
        files=({"name": "q3-budget.xlsx"},),
    )
    crewbot.conversations.handle(message, RecordingReply())
    assert "[The user shared files: q3-budget.xlsx]" in str(model.requests[0].messages[-1]["content"])


def test_failure_is_posted_with_a_reference(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    crewbot.agents.models.override("offline", lambda: ScriptedModel([RuntimeError("model exploded")]))
    reply = RecordingReply()
    crewbot.conversations.handle(dm("hello"), reply)
    assert reply.kinds() == ["status", "post"], "no empty answer is posted"
    assert "something went wrong" in reply.text("post") and "reference" in reply.text("post")
    assert "exploded" not in reply.text("post"), "internal errors are not shown to users"


def test_budget_stop_is_delivered_even_without_streaming(make_crewbot: MakeCrewbot) -> None:
    spec = AgentSpec(name="tiny", description="d", system_prompt="p")
    crewbot = make_crewbot(AgentPlugin([spec]), environ={"CREWBOT_SLACK__DEFAULT_AGENT": "tiny"})
    crewbot.agents.registry.agents["tiny"] = spec.model_copy(
        update={"budget": spec.budget.model_copy(update={"tokens_per_user_day": 1})}
    )
    crewbot.agents.models.override("offline", lambda: ScriptedModel(["long enough answer"], repeat_last=True))
    crewbot.conversations.handle(dm("one"), RecordingReply())
    reply = RecordingReply()
    crewbot.conversations.handle(dm("two"), reply)
    assert "token budget" in reply.text("stream")


def test_agents_a_user_may_use_and_switching_the_default(make_crewbot: MakeCrewbot) -> None:
    ops = AgentSpec(name="ops_helper", description="Ops", system_prompt="p", access=AccessSpec(roles=["ops"]))
    vip = AgentSpec(name="vip_helper", description="VIP", system_prompt="p", access=AccessSpec(users=["U7"]))
    crewbot = make_crewbot(AgentPlugin([ops, vip]))
    agents = crewbot.agents
    crewbot.store.table(USERS).put({"user_id": "U5", "roles": ["ops"], "status": "active"})

    everyone = [s.name for s in agents.available_to("U1")]  # the built-in agents open to all (other plugins add some)
    assert "meeting_coordinator" in everyone and not {"ops_helper", "vip_helper"} & set(everyone)
    assert [s.name for s in agents.available_to("U5")] == sorted([*everyone, "ops_helper"])
    assert [s.name for s in agents.available_to("U7")] == sorted([*everyone, "vip_helper"])

    assert agents.default_agent("U5") == "meeting_coordinator"
    agents.set_default_agent("U5", "ops_helper")
    assert agents.default_agent("U5") == "ops_helper"
    assert crewbot.store.table(USERS).get({"user_id": "U5"})["roles"] == ["ops"], "other fields are kept"
    agents.set_default_agent("U9", "meeting_coordinator")  # a user without a record yet
    assert crewbot.store.table(USERS).get({"user_id": "U9"})["default_agent"] == "meeting_coordinator"

    with pytest.raises(AgentAccessError):
        agents.set_default_agent("U1", "ops_helper")
    with pytest.raises(KeyError, match="no agent called 'nope'"):
        agents.set_default_agent("U1", "nope")

    reply = RecordingReply()
    crewbot.agents.models.override("offline", lambda: ScriptedModel(["ops here"]))
    crewbot.conversations.handle(dm("hi", user="U5"), reply)
    assert reply.text("stream") == "ops here" and reply.text("context").startswith("ops_helper")


def test_asking_an_agent_one_may_not_use_is_refused(make_crewbot: MakeCrewbot) -> None:
    vip = AgentSpec(name="vip_helper", description="VIP", system_prompt="p", access=AccessSpec(users=["U7"]))
    crewbot = make_crewbot(AgentPlugin([vip]))
    with pytest.raises(AgentAccessError):
        crewbot.agents.ask("vip_helper", user_id="U1", conversation="c", text="hi")
