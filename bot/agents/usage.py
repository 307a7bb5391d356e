"""Usage records and token budgets.

Every agent turn leaves one record in the ``usage`` table (tokens in/out, latency, model calls, tools
called and failed, stop reason), written by the usage hook (:mod:`bot.agents.hooks`); in ``runtime: aws``
the same figures, with the turn's estimated cost (:mod:`bot.metrics.pricing`), also go to CloudWatch as EMF
metrics per agent and per agent and model (:data:`TURN_METRIC_GROUPS`). Each turn also adds its tokens to a
running total per user and day (``usage_totals``, one atomic counter update), which is what the
``tokens_per_user_day`` budget reads — one item, never a scan of the day's records, so a turn costs the
same on the first message of the day and on the thousandth. ``crewbot usage`` summarises the records.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.agents.spec import BudgetSpec
from bot.calendars.zones import zone_info
from bot.metrics.emf import Group
from bot.storage.base import IndexSpec, Item, SortCondition, Table, TableSpec
from bot.storage.tables import register_table

if TYPE_CHECKING:
    from bot.config.models import ModelsConfig
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)

USAGE = register_table(
    TableSpec(
        "usage",
        pk="day",
        sk="entry_id",  # day = YYYY-MM-DD (UTC); entry_id = "<ISO time>#<random>"
        indexes=(IndexSpec("by_user", pk="user_id", sk="at"),),
        ttl="expires_at",
        description="One record per agent turn: tokens, latency, tool calls; budgets and `crewbot usage` read it.",
    )
)
USAGE_TOTALS = register_table(
    TableSpec(
        "usage_totals",
        pk="scope",
        sk="period",  # scope = "user#<id>"; period = YYYY-MM-DD (UTC)
        ttl="expires_at",
        description="Running token totals per user and day, one counter update per agent turn; budgets read it.",
    )
)
#: Units of the per-turn metrics (CloudWatch's names).
TURN_METRIC_UNITS = {
    "InputTokens": "Count",
    "OutputTokens": "Count",
    "Latency": "Milliseconds",
    "ToolCalls": "Count",
    "ToolErrors": "Count",
    "EstimatedCostUSD": "None",
    "UnpricedTurns": "Count",
}
#: Which per-turn metrics exist at which granularity: each (metric, dimension set) pair is one CloudWatch
#: series, billed monthly, so the per-model set carries only what differs by model.
TURN_METRIC_GROUPS = (
    Group(
        [("service", "agent")],
        ["InputTokens", "OutputTokens", "Latency", "ToolCalls", "ToolErrors", "EstimatedCostUSD"],
    ),
    Group(
        [("service", "agent", "model")],
        ["InputTokens", "OutputTokens", "Latency", "ToolErrors", "EstimatedCostUSD", "UnpricedTurns"],
    ),
)
#: Usage records are kept this long.
USAGE_TTL = timedelta(days=90)
#: Running totals are kept this long (budgets only read today's).
TOTALS_TTL = timedelta(days=35)


@dataclass
class TurnUsage:
    """What one agent turn used."""

    agent: str
    user_id: str
    session_id: str
    model: str  # the profile chain (``nova-lite → nova-micro``)
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    cycles: int = 0
    tools: list[str] = field(default_factory=list)
    tool_errors: int = 0
    stop_reason: str = ""
    #: The model (or inference profile) id for metrics and cost; empty: taken from the first profile of ``model``.
    model_id: str = ""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class BudgetState:
    """Where a turn stands against the agent's budgets: ``ok``, ``warn`` or ``exhausted``."""

    state: str
    remaining: int | None  # tokens left in the tightest budget (None: no budget)
    message: str = ""
    #: What the agent says when it reaches ``remaining`` during a turn.
    stop_message: str = ""


class UsageLedger:
    """Reads and writes usage records; checks budgets."""

    def __init__(
        self,
        table: Table,
        now: Callable[[], datetime],
        metrics_namespace: str | None = None,
        service: str = "crewbot",
        totals: Table | None = None,
        models: ModelsConfig | None = None,
    ):
        self.table = table
        self.totals = totals
        self._now = now
        self._namespace = metrics_namespace
        self._service = service
        self._models = models

    @classmethod
    def for_runtime(cls, crewbot: Crewbot) -> UsageLedger:
        namespace = crewbot.config.project if crewbot.config.runtime == "aws" else None
        store = crewbot.store
        return cls(
            store.table(USAGE),
            crewbot.clock.now,
            namespace,
            crewbot.config.project,
            store.table(USAGE_TOTALS),
            crewbot.config.models,
        )

    def record(self, usage: TurnUsage) -> Item:
        now = self._now()
        item = {
            "day": now.strftime("%Y-%m-%d"),
            "entry_id": f"{now.isoformat()}#{uuid.uuid4().hex[:8]}",
            "at": now.isoformat(),
            "user_id": usage.user_id,
            "agent": usage.agent,
            "session_id": usage.session_id,
            "model": usage.model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "latency_ms": usage.latency_ms,
            "cycles": usage.cycles,
            "tools": list(usage.tools),
            "tool_errors": usage.tool_errors,
            "stop_reason": usage.stop_reason,
            "expires_at": int((now + USAGE_TTL).timestamp()),
        }
        stored = self.table.create(item)
        if self.totals is not None and usage.total_tokens:
            self.totals.add(
                {"scope": f"user#{usage.user_id}", "period": now.strftime("%Y-%m-%d")},
                {"tokens": usage.total_tokens, "turns": 1},
                defaults={"expires_at": int((now + TOTALS_TTL).timestamp())},
            )
        if self._namespace:
            self._emit_metrics(usage)
        return stored

    def _emit_metrics(self, usage: TurnUsage) -> None:
        # One EMF line on stdout: CloudWatch turns it into metrics without an API call. Every metric is
        # kept per agent (the alarms and the per-agent widgets read those series); latency, tokens, tool
        # errors and cost also per agent and model. Cost is computed here from ``models.prices``: a
        # model without a price gets no EstimatedCostUSD (never a silent 0) but an UnpricedTurns count.
        from bot.metrics import emf, pricing

        model = usage.model_id or pricing.model_id(self._models, usage.model)
        values: dict[str, float] = {
            "InputTokens": usage.input_tokens,
            "OutputTokens": usage.output_tokens,
            "Latency": usage.latency_ms,
            "ToolCalls": len(usage.tools),
            "ToolErrors": usage.tool_errors,
        }
        prices = self._models.prices if self._models is not None else {}
        cost = pricing.estimate(prices, model, usage.input_tokens, usage.output_tokens)
        if cost is None:
            values["UnpricedTurns"] = 1
        else:
            values["EstimatedCostUSD"] = cost
        document = emf.record(
            str(self._namespace),
            {"service": self._service, "agent": usage.agent, "model": model},
            values,
            TURN_METRIC_UNITS,
            TURN_METRIC_GROUPS,
        )
        emf.emit(document)

    def user_day_tokens(self, user_id: str, day: datetime | None = None) -> int:
        """Tokens ``user_id`` used on ``day`` (UTC; today by default), from the running total."""
        period = (day or self._now()).strftime("%Y-%m-%d")
        if self.totals is None:  # a ledger without totals (tests, tools) sums the records instead
            items = self.table.query_all(user_id, index="by_user", sort=SortCondition.begins_with(period))
            return sum(int(i.get("total_tokens", 0)) for i in items)
        total = self.totals.get({"scope": f"user#{user_id}", "period": period})
        return int(total.get("tokens", 0)) if total else 0

    def check(self, budget: BudgetSpec, user_id: str, zone: str | None = None) -> BudgetState:
        """Where ``user_id`` stands against the spec's daily budget (one read of the running total).

        The budget day is a UTC day; ``zone`` (the user's IANA zone) is where its messages say it resets."""
        limit = budget.tokens_per_user_day
        if not limit:
            return BudgetState("ok", None)
        used = self.user_day_tokens(user_id)
        remaining = limit - used
        resets = self._resets(zone)
        stop = (
            "⛔ I stopped because this answer used up the rest of your daily token budget. "
            f"It {resets}; an admin can raise `budget.tokens_per_user_day` in the agent's spec."
        )
        if remaining <= 0:
            return BudgetState("exhausted", 0, self._exhausted(limit, resets))
        if used >= budget.warn_at * limit:
            return BudgetState(
                "warn",
                remaining,
                f"⚠️ You have used {used:,} of your {limit:,} tokens for today ({used * 100 // limit}%); "
                f"the budget {resets}.",
                stop_message=stop,
            )
        return BudgetState("ok", remaining, stop_message=stop)

    def _resets(self, zone: str | None) -> str:
        """``resets at 05:30 IST (Asia/Kolkata), in 5 h 3 min``: the next UTC midnight, shown in the user's zone."""
        now = self._now().astimezone(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        minutes = max(1, int((midnight - now).total_seconds() // 60))
        hours, minutes = divmod(minutes, 60)
        when = f"{hours} h {minutes} min" if hours else f"{minutes} min"
        shown = zone_info(zone)
        if shown.key == "UTC":
            return f"resets at 00:00 UTC, in {when}"
        local = midnight.astimezone(shown)
        return f"resets at {local:%H:%M} {local.tzname()} ({shown.key}), in {when}"

    def _exhausted(self, limit: int, resets: str) -> str:
        return (
            f"⛔ Your daily token budget for this agent ({limit:,} tokens) is used up, so I stopped. "
            f"It {resets}; an admin can raise `budget.tokens_per_user_day` in the agent's spec."
        )

    def records(self, days: int = 7) -> list[Item]:
        """Every usage record of the last ``days`` days (today included)."""
        today = self._now()
        found: list[Item] = []
        for back in range(days):
            found.extend(self.table.query_all((today - timedelta(days=back)).strftime("%Y-%m-%d")))
        return found


@dataclass
class UsageRow:
    """One line of ``crewbot usage``."""

    agent: str
    user_id: str
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    tool_calls: int = 0
    tool_errors: int = 0

    @property
    def average_latency_ms(self) -> int:
        return self.latency_ms // self.turns if self.turns else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "user_id": self.user_id,
            "turns": self.turns,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "average_latency_ms": self.average_latency_ms,
            "tool_calls": self.tool_calls,
            "tool_errors": self.tool_errors,
        }


def summarise(records: Iterable[Item], by: tuple[str, ...] = ("agent", "user_id")) -> list[UsageRow]:
    """Totals per agent and user (``by=("agent",)`` for per agent only), largest token use first."""
    rows: dict[tuple[str, str], UsageRow] = defaultdict(lambda: UsageRow("", ""))
    for r in records:
        key = (
            str(r.get("agent", "?")) if "agent" in by else "*",
            str(r.get("user_id", "?")) if "user_id" in by else "*",
        )
        row = rows[key]
        row.agent, row.user_id = key
        row.turns += 1
        row.input_tokens += int(r.get("input_tokens", 0))
        row.output_tokens += int(r.get("output_tokens", 0))
        row.latency_ms += int(r.get("latency_ms", 0))
        row.tool_calls += len(r.get("tools") or [])
        row.tool_errors += int(r.get("tool_errors", 0))
    return sorted(rows.values(), key=lambda row: (-(row.input_tokens + row.output_tokens), row.agent, row.user_id))
