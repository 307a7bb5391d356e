"""Model manager: the offline default without credentials, chains, validation; the offline model's policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.agents.model_manager import ModelManager
from bot.agents.offline import OFFLINE_LABEL, OfflineModel
from bot.config import ConfigError

from .conftest import MakeCrewbot


def test_no_credentials_means_the_offline_model(make_crewbot: MakeCrewbot) -> None:
    manager = make_crewbot().agents.models
    resolution = manager.resolve("default")
    assert resolution.chain == ("offline",) and resolution.skipped == ("nova-lite",)
    model, _ = manager.build("default")
    assert isinstance(model, OfflineModel)


def test_aws_credentials_select_bedrock_with_its_fallback_chain(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot(environ={"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "x"})
    manager = crewbot.agents.models
    resolution = manager.resolve("default")
    assert resolution.chain == ("nova-lite", "nova-micro")
    router, _ = manager.build("default")
    from strands.models.routing import ModelRouter

    assert isinstance(router, ModelRouter)
    assert [c.name for c in router.candidates] == ["nova-lite", "nova-micro"]
    assert router.default_model.get_config()["model_id"] == "us.amazon.nova-lite-v1:0"
    assert manager.retry_strategy(resolution) is None, "a chain hands over at once instead of sleeping"


def test_credentials_file_counts(make_crewbot: MakeCrewbot, tmp_path: Path) -> None:
    (tmp_path / "fakehome" / ".aws").mkdir(parents=True)
    (tmp_path / "fakehome" / ".aws" / "credentials").write_text("[default]\n")
    manager = make_crewbot(environ={"HOME": str(tmp_path / "fakehome")}).agents.models
    assert manager.resolve("default").chain == ("nova-lite", "nova-micro")


def test_profiles_without_keys_are_skipped(make_crewbot: MakeCrewbot) -> None:
    config = """
models:
  default: auto
  preferred: claude
  profiles:
    claude: {provider: bedrock, model_id: anthropic.claude, api_key_secret: claude_key, fallback: [local]}
    local: {provider: ollama, model_id: llama3, params: {host: "http://127.0.0.1:9"}}
secrets:
  claude_key: {env: CLAUDE_KEY, name: claude/key}
"""
    manager = make_crewbot(config=config).agents.models
    resolution = manager.resolve("claude")
    assert resolution.chain == ("local",) and resolution.skipped == ("claude",)
    assert manager.resolve("default").chain == ("offline",), "auto needs the preferred profile's credentials"


@pytest.mark.parametrize(
    ("profiles", "key", "message"),
    [
        ("x: {provider: watsonx, model_id: m}", "models.profiles.x.provider", "unknown provider 'watsonx'"),
        ("x: {provider: bedrock}", "models.profiles.x.model_id", "is required"),
        ("x: {provider: bedrock, model_id: m, fallback: [y]}", "models.profiles.x.fallback.0", "unknown profile 'y'"),
        ("x: {provider: bedrock, model_id: m, fallback: [x]}", "models.profiles.x.fallback.0", "itself"),
        (
            "x: {provider: bedrock, model_id: m, api_key_secret: nope}",
            "models.profiles.x.api_key_secret",
            "no secret 'nope'",
        ),
        ("x: {provider: anthropic, model_id: claude}", "models.profiles.x.provider", "pip install"),
    ],
)
def test_profiles_are_validated_at_start(make_crewbot: MakeCrewbot, profiles: str, key: str, message: str) -> None:
    import importlib.util

    if "anthropic" in profiles and importlib.util.find_spec("anthropic") is not None:
        pytest.skip("the anthropic SDK is installed here")
    crewbot = make_crewbot(
        config=f"models:\n  default: offline\n  profiles:\n    {profiles}\n    offline: {{provider: offline}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        ModelManager(crewbot).validate()
    [problem] = caught.value.problems
    assert problem.key == key and message in problem.message and problem.source.endswith(".yaml")


def tool_spec(name: str, description: str, properties: dict | None = None, required: list | None = None) -> dict:
    return {
        "name": name,
        "description": description,
        "inputSchema": {"json": {"type": "object", "properties": properties or {}, "required": required or []}},
    }


SPECS = [
    tool_spec("get_upcoming_meetings", "Get the user's upcoming meetings.", {"days_ahead": {"type": "integer"}}),
    tool_spec(
        "generate_meeting_agenda",
        "Generate an agenda for one meeting.",
        {"meeting_id": {"type": "string"}},
        ["meeting_id"],
    ),
    tool_spec("get_budget_context", "Get the current budget status.", {"cost_center": {"type": "string"}}),
]


def user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


def test_offline_policy_is_deterministic_and_fills_arguments_from_history() -> None:
    model = OfflineModel()
    text, calls = model.respond([user("Any meetings in the next 3 days?")], SPECS)
    assert text is None and [(c.name, dict(c.input)) for c in calls] == [("get_upcoming_meetings", {"days_ahead": 3})]

    _, again = model.respond([user("Any meetings in the next 3 days?")], SPECS)
    assert [(c.name, dict(c.input)) for c in again] == [(c.name, dict(c.input)) for c in calls]

    # The agenda needs a meeting id: the meetings are listed first, then the agenda follows.
    text, calls = model.respond([user("agenda for the offsite")], SPECS)
    assert text is None and [c.name for c in calls] == ["get_upcoming_meetings"]
    listed = [
        user("agenda for the offsite"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t0", "name": "get_upcoming_meetings", "input": {}}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "t0",
                        "status": "success",
                        "content": [
                            {
                                "json": {
                                    "meetings": [
                                        {"meeting_id": "m7", "title": "Standup"},
                                        {"meeting_id": "m8", "title": "Team offsite"},
                                    ]
                                }
                            }
                        ],
                    }
                }
            ],
        },
    ]
    text, calls = model.respond(listed, SPECS)
    assert text is None and [(c.name, dict(c.input)) for c in calls] == [
        ("generate_meeting_agenda", {"meeting_id": "m8"})
    ]
    done = [
        *listed,
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "t1", "name": "generate_meeting_agenda", "input": {"meeting_id": "m8"}}}
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"json": {"sections": ["Goals"]}}]}}
            ],
        },
    ]
    text, calls = model.respond(done, SPECS)
    assert calls == [] and text and text.startswith(OFFLINE_LABEL) and "Team offsite" in text and "Goals" in text

    writes = [
        *SPECS,
        tool_spec(
            "save_note",
            "Save a note on a meeting.",
            {"meeting_id": {"type": "string"}, "note": {"type": "string"}},
            ["meeting_id", "note"],
        ),
    ]
    text, calls = model.respond([user("save a note: call the vendor")], writes)
    assert calls == [] and text and "meeting_id" in text, "a write never guesses the meeting"

    history = [
        user("meetings?"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "get_upcoming_meetings", "input": {}}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "t1",
                        "status": "success",
                        "content": [
                            {
                                "json": {
                                    "meetings": [
                                        {"meeting_id": "m1", "title": "Team offsite"},
                                        {"meeting_id": "m2", "title": "Vendor call"},
                                    ]
                                }
                            }
                        ],
                    }
                }
            ],
        },
        {"role": "assistant", "content": [{"text": "You have two."}]},
    ]
    _, calls = model.respond([*history, user("agenda for the vendor call")], SPECS)
    assert [(c.name, dict(c.input)) for c in calls] == [("generate_meeting_agenda", {"meeting_id": "m2"})]
    _, calls = model.respond([*history, user("an agenda for the first one")], SPECS)
    assert dict(calls[0].input) == {"meeting_id": "m1"}


def test_offline_answer_reports_failures_and_results() -> None:
    messages = [
        user("budget and meetings"),
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "a", "name": "get_budget_context", "input": {}}},
                {"toolUse": {"toolUseId": "b", "name": "get_upcoming_meetings", "input": {}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "a", "status": "error", "content": [{"text": "Error: finance API down"}]}},
                {"toolResult": {"toolUseId": "b", "status": "success", "content": [{"json": {"count": 0}}]}},
            ],
        },
    ]
    text, calls = OfflineModel().respond(messages, SPECS)
    assert calls == [] and text
    assert text.startswith(OFFLINE_LABEL)
    assert "`get_budget_context` failed: Error: finance API down" in text and "count: 0" in text


def test_conversation_managers_follow_the_spec() -> None:
    from strands.agent.conversation_manager import (
        NullConversationManager,
        SlidingWindowConversationManager,
        SummarizingConversationManager,
    )

    from bot.agents.service import conversation_manager
    from bot.agents.spec import ConversationSpec

    window = conversation_manager(ConversationSpec(manager="sliding_window", window=6))
    assert isinstance(window, SlidingWindowConversationManager) and window.window_size == 6
    summary = conversation_manager(ConversationSpec(manager="summarizing", summary_ratio=0.5, preserve_recent=4))
    assert isinstance(summary, SummarizingConversationManager)
    assert summary.summary_ratio == 0.5 and summary.preserve_recent_messages == 4
    assert isinstance(conversation_manager(ConversationSpec(manager="none")), NullConversationManager)


def test_offline_picks_the_meeting_being_discussed_unless_another_is_named() -> None:
    listing = {
        "meetings": [{"meeting_id": "m1", "title": "Leadership sync"}, {"meeting_id": "m2", "title": "Budget review"}]
    }
    history = [
        user("meetings?"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "a", "name": "get_upcoming_meetings", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "a", "status": "success", "content": [{"json": listing}]}}],
        },
        {"role": "assistant", "content": [{"text": "Two meetings."}]},
        user("agenda for the leadership sync"),
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "b", "name": "generate_meeting_agenda", "input": {"meeting_id": "m1"}}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "b",
                        "status": "success",
                        "content": [{"json": {"meeting_id": "m1", "title": "Leadership sync", "sections": []}}],
                    }
                }
            ],
        },
        {"role": "assistant", "content": [{"text": "Here is the agenda."}]},
    ]
    save = tool_spec(
        "save_prep_response",
        "Save the user's answer to a meeting prep question.",
        {"meeting_id": {"type": "string"}, "question": {"type": "string"}, "response": {"type": "string"}},
        ["meeting_id", "question", "response"],
    )
    model = OfflineModel()
    _, calls = model.respond([*history, user("my answer: settle the budget question")], [save])
    assert dict(calls[0].input)["meeting_id"] == "m1", "one word ('budget') does not beat the meeting at hand"
    assert dict(calls[0].input)["response"] == "settle the budget question"
    _, calls = model.respond([*history, user("my answer for the budget review: approve it")], [save])
    assert dict(calls[0].input)["meeting_id"] == "m2", "naming another meeting clearly switches to it"
    _, calls = model.respond([*history, user("save my answer for the second one: yes")], [save])
    assert dict(calls[0].input)["meeting_id"] == "m2"
