"""Per-turn EMF metrics: per agent (what the alarms read) and per agent and model, with the estimated cost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.agents.usage import USAGE, TurnUsage, UsageLedger
from bot.config import ConfigError, load_config
from bot.config.models import ModelsConfig
from bot.metrics import emf, pricing
from bot.storage.sqlite import SqliteStore

from .conftest import EmfLines, series

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LITE = "us.amazon.nova-lite-v1:0"


def ledger(tmp_path: Path, models: ModelsConfig | None) -> UsageLedger:
    store = SqliteStore(tmp_path / "db.sqlite", tmp_path / "blobs")
    return UsageLedger(store.table(USAGE), lambda: NOW, "crewbot", "crewbot", None, models)


def turn(model: str = "nova-lite → nova-micro", **kw: int) -> TurnUsage:
    return TurnUsage(
        agent="meeting_coordinator",
        user_id="U1",
        session_id="s1",
        model=model,
        input_tokens=kw.get("input_tokens", 12000),
        output_tokens=kw.get("output_tokens", 3000),
        latency_ms=kw.get("latency_ms", 1800),
        tools=["get_upcoming_meetings", "get_budget_context"],
        tool_errors=kw.get("tool_errors", 1),
    )


def test_a_turn_is_one_record_per_agent_and_per_agent_and_model_with_its_cost(
    tmp_path: Path, emf_lines: EmfLines
) -> None:
    ledger(tmp_path, ModelsConfig()).record(turn())
    (document,) = emf_lines()
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "crewbot"
    found = series(document)
    agent = (("agent", "meeting_coordinator"), ("service", "crewbot"))
    by_model = (("agent", "meeting_coordinator"), ("model", LITE), ("service", "crewbot"))
    # Per agent: the series the existing alarms and widgets read, unchanged.
    assert found[("Latency", agent)] == 1800
    assert found[("InputTokens", agent)] == 12000 and found[("OutputTokens", agent)] == 3000
    assert found[("ToolCalls", agent)] == 2 and found[("ToolErrors", agent)] == 1
    # 12000 in at 0.00006 + 3000 out at 0.00024 per 1000 tokens (the shipped Nova Lite price).
    assert found[("EstimatedCostUSD", agent)] == pytest.approx(0.00072 + 0.00072)
    assert found[("EstimatedCostUSD", by_model)] == found[("EstimatedCostUSD", agent)]
    assert found[("Latency", by_model)] == 1800 and found[("InputTokens", by_model)] == 12000
    assert ("ToolCalls", by_model) not in found  # not worth a series per model
    assert not any(name == "UnpricedTurns" for name, _ in found)
    units = {m["Name"]: m["Unit"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert units["Latency"] == "Milliseconds" and units["InputTokens"] == "Count"


def test_an_unpriced_model_gets_no_cost_and_is_counted_and_logged(
    tmp_path: Path, emf_lines: EmfLines, caplog: pytest.LogCaptureFixture
) -> None:
    models = ModelsConfig.model_validate(
        {"profiles": {"claude": {"provider": "bedrock", "model_id": "us.anthropic.claude-x-v9:0"}}}
    )
    with caplog.at_level("WARNING", logger="bot.metrics.pricing"):
        ledger(tmp_path, models).record(turn("claude"))
    found = series(emf_lines()[0])
    by_model = (("agent", "meeting_coordinator"), ("model", "us.anthropic.claude-x-v9:0"), ("service", "crewbot"))
    assert found[("UnpricedTurns", by_model)] == 1
    assert not any(name == "EstimatedCostUSD" for name, _ in found)  # absent, not 0
    assert "no price for model 'us.anthropic.claude-x-v9:0'" in caplog.text


def test_the_offline_model_is_priced_at_zero_explicitly(tmp_path: Path, emf_lines: EmfLines) -> None:
    ledger(tmp_path, ModelsConfig()).record(turn("offline"))
    found = series(emf_lines()[0])
    offline = (("agent", "meeting_coordinator"), ("model", "offline"), ("service", "crewbot"))
    assert found[("EstimatedCostUSD", offline)] == 0


def test_local_runtime_prints_no_metrics(tmp_path: Path, emf_lines: EmfLines) -> None:
    store = SqliteStore(tmp_path / "db.sqlite", tmp_path / "blobs")
    UsageLedger(store.table(USAGE), lambda: NOW).record(turn())
    assert emf_lines() == []


def test_the_model_id_of_a_label() -> None:
    models = ModelsConfig()
    assert pricing.model_id(models, "nova-lite → nova-micro") == LITE
    assert pricing.model_id(models, "offline") == "offline"
    assert pricing.model_id(models, "gone") == "gone"  # a profile removed since: its name, still a dimension


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{input_per_1k: 0.001}", "models.prices.m1.output_per_1k"),
        ("{input_per_1k: -1, output_per_1k: 0.002}", "models.prices.m1.input_per_1k"),
        ("{input_per_1k: '0.001', output_per_1k: 0.002}", "models.prices.m1.input_per_1k"),
        ("{input_per_1k: 0.001, output_per_1k: 0.002, currency: EUR}", "models.prices.m1.currency"),
        ("0.001", "models.prices.m1"),
    ],
)
def test_a_malformed_price_fails_at_config_load_naming_the_key(tmp_path: Path, entry: str, message: str) -> None:
    file = tmp_path / "crewbot.yaml"
    file.write_text(f"models:\n  prices:\n    m1: {entry}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file=file, environ={})
    assert message in str(caught.value)


def test_a_group_without_its_dimension_value_is_refused() -> None:
    with pytest.raises(ValueError, match="no value for"):
        emf.record("ns", {"service": "x"}, {"A": 1}, {}, [emf.Group([("service", "agent")], ["A"])])
