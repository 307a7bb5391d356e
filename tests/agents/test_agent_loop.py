"""The real Strands agent loop driven by the scripted model: tools, errors, budgets, fallback, roles."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from strands.types.exceptions import ModelThrottledException

from bot.agents.model_events import ToolCall
from bot.agents.scripted import ScriptedModel
from bot.agents.spec import AgentSpec, BudgetSpec
from bot.agents.tools import ToolInvocation, ToolRegistration, call_context, crewbot_tool

from .conftest import AgentPlugin, MakeCrewbot, add_meeting


def tool_results(model: ScriptedModel, request: int) -> list[dict]:
    """The toolResult blocks of the last message of the ``request``-th model call."""
    last = model.requests[request].messages[-1]
    return [block["toolResult"] for block in last["content"] if "toolResult" in block]


def test_scripted_tool_call_reads_the_callers_meetings(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    add_meeting(crewbot, "U1", "m1", "Quarterly business review", 2, meeting_type="qbr")
    add_meeting(crewbot, "U2", "m2", "Someone else's meeting", 1)
    model = ScriptedModel([ToolCall("get_upcoming_meetings", {"days_ahead": 3}), "You have the QBR on Monday."])
    crewbot.agents.models.override("offline", lambda: model)

    result = crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c1", text="What's coming up?")

    assert result.text == "You have the QBR on Monday."
    assert result.tools == ["get_upcoming_meetings"] and result.tool_errors == 0
    assert model.requests[0].tool_names == [
        "get_upcoming_meetings",
        "save_prep_response",
        "generate_meeting_agenda",
        "get_budget_context",
        "get_big_rocks_status",
    ]
    [found] = tool_results(model, 1)
    assert found["status"] == "success"
    text = str(found["content"])
    assert "Quarterly business review" in text and "Someone else" not in text
    assert result.input_tokens > 0 and result.output_tokens > 0


def test_a_failing_tool_becomes_a_result_and_the_agent_continues(make_crewbot: MakeCrewbot) -> None:
    def flaky_lookup(name: str) -> str:
        """Look something up (always fails here)."""
        raise RuntimeError(f"backend down while looking up {name}")

    spec = AgentSpec(name="helper", description="test agent", system_prompt="Help.", tools=["flaky_lookup"])
    crewbot = make_crewbot(AgentPlugin([spec], [ToolRegistration(flaky_lookup, "external")]))
    model = ScriptedModel([ToolCall("flaky_lookup", {"name": "x"}), "The lookup failed, but here is what I know."])
    crewbot.agents.models.override("offline", lambda: model)

    result = crewbot.agents.ask("helper", user_id="U1", conversation="c1", text="look up x")

    [failed] = tool_results(model, 1)
    assert failed["status"] == "error" and "backend down" in str(failed["content"])
    assert result.text == "The lookup failed, but here is what I know."
    assert result.tool_errors == 1 and result.stop_reason == "end_turn"


def test_a_full_session_continues_in_a_fresh_one_that_carries_a_summary(make_crewbot: MakeCrewbot) -> None:
    spec = AgentSpec(
        name="frugal",
        description="test agent",
        system_prompt="Be brief.",
        budget=BudgetSpec(tokens_per_session=25, warn_at=0.5),
    )
    crewbot = make_crewbot(AgentPlugin([spec]))
    model = ScriptedModel(
        ["First answer, which costs more than the whole session budget of this tiny agent."], repeat_last=True
    )
    crewbot.agents.models.override("offline", lambda: model)

    first = crewbot.agents.ask("frugal", user_id="U1", conversation="c1", text="hello there, tell me a long story")
    assert first.input_tokens + first.output_tokens >= 25
    second = crewbot.agents.ask("frugal", user_id="U1", conversation="c1", text="and again")

    # Not a wall: the model answers, in a fresh session whose only history is the summary + the message.
    assert len(model.requests) == 2 and second.text.startswith("First answer")
    assert second.session_id == "c1~1" and first.session_id == "c1"
    [message] = model.requests[1].messages
    text = message["content"][0]["text"]
    assert "fresh session" in text and "hello there, tell me a long story" in text and text.endswith("and again")
    old = crewbot.agents.chat_sessions.get("c1")
    assert old is not None and old["state"] == "reset" and old["reset_reason"] == "full"


def test_a_long_idle_conversation_continues_in_a_fresh_session(make_crewbot: MakeCrewbot) -> None:
    spec = AgentSpec(name="chatty", description="test agent", system_prompt="Hi.")
    crewbot = make_crewbot(AgentPlugin([spec]))
    model = ScriptedModel(["ok"], repeat_last=True)
    crewbot.agents.models.override("offline", lambda: model)
    crewbot.agents.ask("chatty", user_id="U1", conversation="c1", text="plan my week")
    crewbot.clock.advance(timedelta(hours=11))
    assert crewbot.agents.ask("chatty", user_id="U1", conversation="c1", text="and then?").session_id == "c1"
    crewbot.clock.advance(timedelta(hours=13))
    later = crewbot.agents.ask("chatty", user_id="U1", conversation="c1", text="good morning")
    assert later.session_id == "c1~1"
    text = model.requests[-1].messages[-1]["content"][0]["text"]
    assert "after a long pause" in text and "plan my week" in text and "and then?" in text


def test_a_spent_daily_budget_says_which_budget_when_it_resets_and_what_to_do(make_crewbot: MakeCrewbot) -> None:
    spec = AgentSpec(
        name="frugal",
        description="test agent",
        system_prompt="Be brief.",
        budget=BudgetSpec(tokens_per_user_day=25, warn_at=0.5),
    )
    crewbot = make_crewbot(AgentPlugin([spec]))
    model = ScriptedModel(["First answer, which costs more than the whole daily budget."], repeat_last=True)
    crewbot.agents.models.override("offline", lambda: model)

    crewbot.agents.ask("frugal", user_id="U1", conversation="c1", text="hello there, tell me a long story")
    # The daily budget is the user's, whatever the conversation.
    second = crewbot.agents.ask("frugal", user_id="U1", conversation="c2", text="and again")

    assert len(model.requests) == 1, "no model call once the budget is spent"
    assert "daily token budget" in second.text and "resets at 00:00 UTC, in " in second.text
    assert "tokens_per_user_day" in second.text
    assert second.input_tokens == 0 and second.appendix == second.text
    # Someone else still has their own budget; and a new day gives it back.
    assert crewbot.agents.ask("frugal", user_id="U2", conversation="c3", text="hi").text.startswith("First")
    crewbot.clock.advance(timedelta(days=1))
    assert crewbot.agents.ask("frugal", user_id="U1", conversation="c2", text="hi").text.startswith("First")


def test_budget_running_out_mid_turn_stops_the_loop(make_crewbot: MakeCrewbot) -> None:
    spec = AgentSpec(
        name="looper",
        description="test agent",
        system_prompt="Go.",
        tools=["get_budget_context"],
        budget=BudgetSpec(tokens_per_user_day=800),
    )
    crewbot = make_crewbot(AgentPlugin([spec]))
    model = ScriptedModel([ToolCall("get_budget_context")], repeat_last=True)
    crewbot.agents.models.override("offline", lambda: model)

    result = crewbot.agents.ask("looper", user_id="U1", conversation="c1", text="keep checking the budget")

    assert "used up the rest of your daily token budget" in result.text and result.appendix == result.text
    assert "resets at 00:00 UTC, in " in result.text  # U1 has no user record, so no zone of their own
    assert 1 <= len(model.requests) < 8
    assert result.input_tokens + result.output_tokens >= 800

    # The stop took the model's place: the stored history still alternates user / assistant.
    from bot.agents.sessions import session_manager

    stored = session_manager(crewbot, "c1").list_messages("c1", "looper")
    roles = [m.message["role"] for m in stored]
    assert roles[0] == "user" and roles[-1] == "assistant"
    assert all(a != b for a, b in pairwise(roles))


def test_budget_warning_when_most_is_used(make_crewbot: MakeCrewbot) -> None:
    spec = AgentSpec(
        name="warned",
        description="test agent",
        system_prompt="Hi.",
        budget=BudgetSpec(tokens_per_user_day=1000, warn_at=0.001),
    )
    crewbot = make_crewbot(AgentPlugin([spec]))
    crewbot.agents.models.override("offline", lambda: ScriptedModel(["ok"], repeat_last=True))
    crewbot.agents.ask("warned", user_id="U1", conversation="c1", text="one")
    second = crewbot.agents.ask("warned", user_id="U1", conversation="c1", text="two")
    assert (
        second.notice and "of your 1,000 tokens for today" in second.notice and "resets at 00:00 UTC" in second.notice
    )


def test_a_turn_reads_one_running_total_not_the_days_records(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    crewbot.agents.models.override("offline", lambda: ScriptedModel(["ok"], repeat_last=True))
    for n in range(5):
        crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c1", text=f"question {n}")
    ledger = crewbot.agents.ledger
    summed = sum(int(r["total_tokens"]) for r in ledger.records(1) if r["user_id"] == "U1")
    assert ledger.user_day_tokens("U1") == summed > 0

    queries: list[str] = []
    original = ledger.table.query
    ledger.table.query = lambda *a, **k: queries.append(str(a)) or original(*a, **k)  # type: ignore[method-assign]
    crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c1", text="one more")
    assert queries == [], "a budget check must not scan the usage records"


FALLBACK_CONFIG = """
models:
  default: primary
  profiles:
    primary: {provider: bedrock, model_id: test-primary, fallback: [secondary]}
    secondary: {provider: bedrock, model_id: test-secondary}
"""


def test_throttled_model_falls_back_to_the_next_profile(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot(config=FALLBACK_CONFIG)
    primary = ScriptedModel([ModelThrottledException("Rate exceeded")], model_id="primary")
    secondary = ScriptedModel(["Answered by the second model."], model_id="secondary")
    crewbot.agents.models.override("primary", lambda: primary)
    crewbot.agents.models.override("secondary", lambda: secondary)

    result = crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c1", text="hello")

    assert result.text == "Answered by the second model."
    assert len(primary.requests) == 1 and len(secondary.requests) == 1
    assert result.model == "primary → secondary"


def test_throttling_on_every_model_surfaces_the_error(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot(config=FALLBACK_CONFIG)
    crewbot.agents.models.override("primary", lambda: ScriptedModel([ModelThrottledException("busy")]))
    crewbot.agents.models.override("secondary", lambda: ScriptedModel([ModelThrottledException("busy too")]))
    with pytest.raises(ModelThrottledException):
        crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c1", text="hello")


def test_tool_needing_a_role_is_refused_to_others(make_crewbot: MakeCrewbot) -> None:
    calls: list[str] = []

    @crewbot_tool(side_effects="write", required_role="admin")
    def purge_cache(tool_context: ToolInvocation | None = None) -> str:
        """Purge the cache (admins only)."""
        calls.append(call_context(tool_context).user_id)
        return "purged"

    spec = AgentSpec(name="ops", description="ops agent", system_prompt="Ops.", tools=["purge_cache"])
    crewbot = make_crewbot(AgentPlugin([spec], [purge_cache]), environ={"CREWBOT_SLACK__ADMINS": "[UADMIN1]"})
    model = ScriptedModel([ToolCall("purge_cache"), "done"], repeat_last=False)
    crewbot.agents.models.override("offline", lambda: model)
    crewbot.agents.ask("ops", user_id="UPLAIN1", conversation="c1", text="purge")
    [refused] = tool_results(model, 1)
    assert refused["status"] == "error" and "needs the role 'admin'" in str(refused["content"])
    assert calls == []

    model2 = ScriptedModel([ToolCall("purge_cache"), "done"])
    crewbot.agents.models.override("offline", lambda: model2)
    crewbot.agents.ask("ops", user_id="UADMIN1", conversation="c2", text="purge")
    assert tool_results(model2, 1)[0]["status"] == "success" and calls == ["UADMIN1"]

    [refusal] = crewbot.records.audit.for_scope("user#UPLAIN1")
    assert (refusal.action, refusal.target, refusal.detail["required_role"]) == (
        "agent_tool_refused",
        "purge_cache",
        "admin",
    )
    [done] = crewbot.records.audit.for_scope("user#UADMIN1")
    assert (done.action, done.detail["side_effects"], done.detail["status"]) == ("agent_tool_call", "write", "success")
    assert done.detail["agent"] == "ops" and done.detail["session_id"] == "c2"


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Asia/Kolkata", "05:30 IST (Asia/Kolkata)"), ("America/Los_Angeles", None), ("Not/AZone", "00:00 UTC")],
)
def test_budget_messages_say_when_it_resets_in_the_users_own_zone(
    make_crewbot: MakeCrewbot, zone: str, shown: str | None
) -> None:
    from zoneinfo import ZoneInfo

    from bot.storage.records import User

    spec = AgentSpec(
        name="zoned",
        description="test agent",
        system_prompt="Hi.",
        tools=["get_budget_context"],
        budget=BudgetSpec(tokens_per_user_day=2000, warn_at=0.001),
    )
    crewbot = make_crewbot(AgentPlugin([spec]))
    crewbot.records.users.save(User(user_id="U1", timezone=zone))
    if shown is None:  # the next UTC midnight in Los Angeles: 16:00 PST or 17:00 PDT, by the test clock's date
        now = crewbot.clock.now()
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        local = midnight.astimezone(ZoneInfo(zone))
        shown = f"{local:%H:%M} {local.tzname()} ({zone})"
    crewbot.agents.models.override("offline", lambda: ScriptedModel(["ok"], repeat_last=True))
    crewbot.agents.ask("zoned", user_id="U1", conversation="c1", text="one")
    warned = crewbot.agents.ask("zoned", user_id="U1", conversation="c1", text="two")
    assert warned.notice and f"the budget resets at {shown}, in " in warned.notice

    looping = ScriptedModel([ToolCall("get_budget_context")], repeat_last=True)
    crewbot.agents.models.override("offline", lambda: looping)
    stopped = crewbot.agents.ask("zoned", user_id="U1", conversation="c2", text="keep checking")
    assert "used up the rest of your daily token budget" in stopped.text
    assert f"It resets at {shown}, in " in stopped.text

    spent = crewbot.agents.ask("zoned", user_id="U1", conversation="c3", text="again")
    assert "is used up" in spent.text and f"It resets at {shown}, in " in spent.text
