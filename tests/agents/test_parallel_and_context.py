"""Parallel fetches with retries and timeouts, context providers, and the coordinator's context tools."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from bot import hookimpl
from bot.agents.context import YamlContextProvider
from bot.agents.model_events import ToolCall
from bot.agents.parallel import fetch_all
from bot.agents.scripted import ScriptedModel

from .conftest import AgentPlugin, MakeCrewbot


def test_fetch_all_retries_transient_failures_and_reports_each_outcome() -> None:
    attempts = {"flaky": 0, "missing": 0}

    def flaky() -> str:
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise ConnectionError("reset by peer")
        return "finally"

    def missing() -> str:
        attempts["missing"] += 1
        raise LookupError("no such topic")

    outcomes = fetch_all({"flaky": flaky, "missing": missing, "fine": lambda: 42}, attempts=3, backoff=0.001)

    assert list(outcomes) == ["flaky", "missing", "fine"]
    assert outcomes["flaky"].ok and outcomes["flaky"].value == "finally" and outcomes["flaky"].attempts == 3
    assert not outcomes["missing"].ok and "no such topic" in (outcomes["missing"].error or "")
    assert attempts["missing"] == 1, "an answer like 'not found' is not retried"
    assert outcomes["fine"].value == 42


def test_fetch_all_runs_calls_concurrently_and_times_out_stragglers() -> None:
    barrier = threading.Barrier(3, timeout=5)
    release = threading.Event()

    def meet() -> str:
        barrier.wait()  # only passes if all three run at the same time
        return "met"

    outcomes = fetch_all({f"c{i}": meet for i in range(3)}, timeout=5)
    assert all(o.value == "met" for o in outcomes.values())

    slow = fetch_all({"stuck": lambda: release.wait(5), "quick": lambda: 1}, timeout=0.05, attempts=1)
    release.set()
    assert slow["quick"].ok and not slow["stuck"].ok and "timed out" in (slow["stuck"].error or "")


def test_yaml_provider_reads_and_rereads_files(tmp_path: Path) -> None:
    (tmp_path / "budget.yaml").write_text("as_of: 2026-01-31\ntotal: {budget: 10, actual: 5}\n")
    provider = YamlContextProvider(tmp_path)
    assert provider.topics == ("budget",)
    assert provider.fetch("budget", "U1") == {"as_of": "2026-01-31", "total": {"budget": 10, "actual": 5}}
    (tmp_path / "budget.yaml").write_text("as_of: 2026-02-28\n")
    import os

    os.utime(tmp_path / "budget.yaml", (1, 1))  # a different mtime, as an edit would give
    assert provider.fetch("budget", "U1") == {"as_of": "2026-02-28"}


class BudgetPlugin(AgentPlugin):
    """A second budget source, and one that is down."""

    class Finance:
        name = "finance_api"
        topics = ("budget",)

        def fetch(self, topic: str, user_id: str, meeting: Any = None, **options: Any) -> dict[str, Any]:
            return {"cost_centers": [{"name": "Research", "budget": 100, "actual": 130}]}

    class Broken:
        name = "broken_erp"
        topics = ("budget",)

        def fetch(self, topic: str, user_id: str, meeting: Any = None, **options: Any) -> dict[str, Any]:
            raise ValueError("ERP rejected the query")

    @hookimpl
    def register_context_providers(self) -> list[Any]:
        return [self.Finance(), self.Broken()]


def test_budget_tool_merges_providers_and_names_the_failed_one(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot(BudgetPlugin())
    model = ScriptedModel([ToolCall("get_budget_context"), "ok"])
    crewbot.agents.models.override("offline", lambda: model)
    crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c", text="budget?")
    result = model.requests[1].messages[-1]["content"][0]["toolResult"]
    assert result["status"] == "success"
    text = str(result["content"])
    assert "broken_erp" in text and "ERP rejected the query" in text  # reported, not fatal
    assert "finance_api" in text and "org_yaml" in text  # both sources merged


def test_unknown_cost_center_is_an_error_result_the_agent_sees(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    model = ScriptedModel([ToolCall("get_budget_context", {"cost_center": "Moonshots"}), "no such center"])
    crewbot.agents.models.override("offline", lambda: model)
    result = crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c", text="moonshots budget?")
    tool_result = model.requests[1].messages[-1]["content"][0]["toolResult"]
    assert tool_result["status"] == "error" and "Moonshots" in str(tool_result["content"])
    assert result.text == "no such center"


def test_big_rocks_status_is_computed_from_schedule(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    model = ScriptedModel([ToolCall("get_big_rocks_status"), "ok"])
    crewbot.agents.models.override("offline", lambda: model)
    crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="c", text="rocks?")
    text = str(model.requests[1].messages[-1]["content"][0]["toolResult"]["content"])
    assert "Zero Trust Security" in text and "blocked" in text and "expected_pct" in text
