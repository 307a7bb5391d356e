"""The project cost estimate uses the one price table ``models.prices``: each crew agent's usage carries the model
its spec resolved to and is priced from there; a model without a price is named rather than costed at 0; usage
stored before runs carried the model is still shown; the plugin's own old price settings are refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from plugins.projects.metrics import project_metrics
from plugins.projects.service import project_service
from tests.projects.conftest import WITHOUT_SUPERVISOR, new_project, project_named

#: Offline turns priced (for the test) at 1 USD per 1000 tokens in and 2 out, so the figure is not 0.
PRICED = """
models:
  prices:
    offline: {input_per_1k: 1.0, output_per_1k: 2.0}
"""
#: A price table without the model the crew runs on.
UNPRICED = """
models:
  prices:
    us.amazon.nova-lite-v1:0: {input_per_1k: 0.00006, output_per_1k: 0.00024}
"""


def _emulator(factory: Any, tmp_path: Path, text: str) -> Any:
    config = tmp_path / "crewbot.yaml"
    config.write_text(text, encoding="utf-8")
    return factory(only=WITHOUT_SUPERVISOR, config_file=config)


def _discovery(emu: Any) -> tuple[Any, dict[str, Any]]:
    new_project(emu)
    project = project_named(emu)
    [run] = project_service(emu.crewbot).items.runs(project.project_id, "discovery")
    return project, run


def _expected(run: dict[str, Any]) -> tuple[int, float]:
    tokens = sum(int(u["input"]) + int(u["output"]) for u in run["usage"].values())
    usd = sum(int(u["input"]) * 1.0 + int(u["output"]) * 2.0 for u in run["usage"].values()) / 1000
    return tokens, usd


def test_status_prices_each_agents_usage_from_models_prices(crewbot_emulator_factory: Any, tmp_path: Path) -> None:
    emu = _emulator(crewbot_emulator_factory, tmp_path, PRICED)
    project, run = _discovery(emu)
    # Every agent's usage says which model answered: the id its spec resolved to.
    assert run["usage"] and all(set(u["models"]) == {"offline"} for u in run["usage"].values())
    tokens, usd = _expected(run)
    assert tokens > 0 and usd > 0
    status = emu.command("/project status Acme store").text
    assert f"Cost so far: {tokens:,} tokens (≈ ${usd:.2f})" in status and "⚠️" not in status
    [metrics] = project_metrics(emu.crewbot).runs(project.project_id)
    assert metrics["cost"] == pytest.approx(usd) and metrics["unpriced_tokens"] == 0


def test_usage_on_a_model_without_a_price_is_named_not_costed(crewbot_emulator_factory: Any, tmp_path: Path) -> None:
    emu = _emulator(crewbot_emulator_factory, tmp_path, UNPRICED)
    project, run = _discovery(emu)
    tokens, _ = _expected(run)
    status = emu.command("/project status Acme store").text
    assert f"Cost so far: {tokens:,} tokens (no cost estimate: none of them is priced)" in status
    assert f"⚠️ {tokens:,} tokens on model offline have no price in models.prices" in status
    assert "$0.00" not in status
    [metrics] = project_metrics(emu.crewbot).runs(project.project_id)
    assert metrics["cost"] == 0 and metrics["unpriced_tokens"] == tokens
    assert metrics["agents"]["pm"]["unpriced_models"] == {"offline": metrics["agents"]["pm"]["tokens"]}
    insights = emu.command("/project insights").text
    assert "tokens with no price in models.prices" in insights


def test_usage_stored_without_its_model_is_still_shown(crewbot_emulator_factory: Any, tmp_path: Path) -> None:
    emu = _emulator(crewbot_emulator_factory, tmp_path, PRICED)
    project, run = _discovery(emu)
    service = project_service(emu.crewbot)
    tokens, usd = _expected(run)

    def legacy(item: dict[str, Any]) -> dict[str, Any]:
        item["usage"] = {
            agent: {k: v for k, v in used.items() if k != "models"} for agent, used in item["usage"].items()
        }
        return item

    service.items.table.mutate({"project_id": project.project_id, "item_id": run["item_id"]}, legacy)
    # The crew's turns of that run are in the usage table with their model: priced under it.
    assert f"Cost so far: {tokens:,} tokens (≈ ${usd:.2f})" in emu.command("/project status Acme store").text
    # Once those records are gone (they expire), the tokens are still counted, as of no known model.
    ledger = emu.crewbot.agents.ledger
    for record in ledger.table.query_all(f"project:{project.project_id}", index="by_user"):
        ledger.table.delete({"day": record["day"], "entry_id": record["entry_id"]})
    status = emu.command("/project status Acme store").text
    assert f"Cost so far: {tokens:,} tokens (no cost estimate: none of them is priced)" in status
    assert f"⚠️ {tokens:,} tokens were recorded without their model" in status
    assert "Discovery (1 run): pm " in status


@pytest.mark.parametrize("setting", ["price_input_per_1k", "price_output_per_1k"])
def test_the_removed_price_settings_are_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str
) -> None:
    config = tmp_path / "crewbot.yaml"
    config.write_text(f"plugins:\n  settings:\n    projects:\n      {setting}: 0.00006\n", encoding="utf-8")
    assert main(["config", "validate", "--file", str(config)]) == 2
    error = capsys.readouterr().err
    side = "input" if "input" in setting else "output"
    assert f"{config}: plugins.settings.projects.{setting}: " in error
    assert "this setting was removed" in error and f"models.prices.<model id>.{side}_per_1k" in error


def test_a_run_resumed_across_the_change_prices_its_new_part_and_reports_the_rest() -> None:
    from bot.config.models import ModelPrice
    from plugins.projects.cost import CostEstimate, usage_parts

    # 1,000 + 500 tokens before usage carried the model, then 2,000 + 1,000 on nova-lite, 300 on an unpriced model.
    used = {
        "input": 3_000,
        "output": 1_800,
        "models": {"us.amazon.nova-lite-v1:0": {"input": 2_000, "output": 1_000}, "other": {"input": 0, "output": 300}},
    }
    prices = {"us.amazon.nova-lite-v1:0": ModelPrice(input_per_1k=1.0, output_per_1k=2.0)}
    estimate = CostEstimate()
    for model, tokens_in, tokens_out in usage_parts(used, None):
        estimate.add(prices, model, tokens_in, tokens_out)
    assert (estimate.tokens, estimate.priced_tokens, estimate.usd) == (4_800, 3_000, pytest.approx(4.0))
    assert estimate.summary() == "4,800 tokens (≈ $4.00 for the 3,000 priced ones)"
    assert estimate.warnings() == [
        "300 tokens on model other have no price in models.prices",
        "1,500 tokens were recorded without their model (before usage carried it) and no single model could be "
        "found for them, so they have no price",
    ]
