"""What a project's crew has cost, priced from the one price table ``models.prices``.

A phase run's usage is kept per agent (``{"input", "output", "tool_errors", "models": {model id: {"input",
"output"}}}``): each crew agent's turns add their tokens under the model id its spec resolved to — the same id
the per-turn CloudWatch metrics use — so each part is priced from ``models.prices.<model id>``. Tokens on a model
without a price there are not given a made-up figure: they are counted per model and reported. Usage written
before runs carried the model has only the agent's totals; those tokens are priced under the model the agent's
turns of that run were recorded with in the ``usage`` table (one model, else unknown), or reported as having no
known model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.api import estimate_cost, priced_model_id


@dataclass
class CostEstimate:
    """Tokens and their estimated USD cost; what could not be priced is kept apart, never counted as 0."""

    tokens: int = 0
    priced_tokens: int = 0
    usd: float = 0.0
    #: Tokens per model id that has no price in ``models.prices``.
    unpriced: dict[str, int] = field(default_factory=dict)
    #: Tokens whose model is not known (usage recorded before runs carried the model).
    unknown_model: int = 0

    def add(self, prices: Mapping[str, Any], model: str | None, input_tokens: int, output_tokens: int) -> None:
        """Price ``input_tokens`` + ``output_tokens`` used on ``model`` (``None``: the model is not known)."""
        tokens = input_tokens + output_tokens
        if not tokens:
            return
        self.tokens += tokens
        if model is None:
            self.unknown_model += tokens
            return
        usd = estimate_cost(prices, model, input_tokens, output_tokens)
        if usd is None:
            self.unpriced[model] = self.unpriced.get(model, 0) + tokens
            return
        self.priced_tokens += tokens
        self.usd += usd

    def merge(self, other: CostEstimate) -> None:
        self.tokens += other.tokens
        self.priced_tokens += other.priced_tokens
        self.usd += other.usd
        for model, tokens in other.unpriced.items():
            self.unpriced[model] = self.unpriced.get(model, 0) + tokens
        self.unknown_model += other.unknown_model

    @property
    def unpriced_tokens(self) -> int:
        return self.tokens - self.priced_tokens

    @property
    def complete(self) -> bool:
        """Every token is priced."""
        return self.priced_tokens == self.tokens

    def summary(self) -> str:
        """``12,345 tokens (≈ $0.42)``; when some tokens have no price, which part the figure covers."""
        if self.complete:
            return f"{self.tokens:,} tokens (≈ ${self.usd:.2f})"
        if not self.priced_tokens:
            return f"{self.tokens:,} tokens (no cost estimate: none of them is priced)"
        return f"{self.tokens:,} tokens (≈ ${self.usd:.2f} for the {self.priced_tokens:,} priced ones)"

    def warnings(self) -> list[str]:
        """One sentence per model without a price, and one for tokens of no known model."""
        lines = [
            f"{tokens:,} tokens on model {model} have no price in models.prices"
            for model, tokens in sorted(self.unpriced.items())
        ]
        if self.unknown_model:
            lines.append(
                f"{self.unknown_model:,} tokens were recorded without their model (before usage carried it) "
                "and no single model could be found for them, so they have no price"
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        """The stored form (``project_metrics``): cost is the priced part only."""
        return {
            "tokens": self.tokens,
            "cost": round(self.usd, 6),
            "unpriced_tokens": self.unpriced_tokens,
            "unpriced_models": dict(self.unpriced),
        }


def usage_parts(used: Mapping[str, Any], fallback_model: str | None) -> Iterator[tuple[str | None, int, int]]:
    """``(model id, input, output)`` of one agent's run usage: its per-model parts, and whatever its totals hold
    beyond them (usage written before runs carried the model) under ``fallback_model``."""
    rest_in, rest_out = int(used.get("input", 0)), int(used.get("output", 0))
    for model, part in (used.get("models") or {}).items():
        part_in, part_out = int(part.get("input", 0)), int(part.get("output", 0))
        rest_in, rest_out = rest_in - part_in, rest_out - part_out
        yield str(model), part_in, part_out
    if rest_in > 0 or rest_out > 0:
        yield fallback_model, max(rest_in, 0), max(rest_out, 0)


def recorded_models(ledger: Any, models_config: Any, user_id: str) -> dict[tuple[str, str], set[str]]:
    """The model ids each ``(session id, agent)`` of ``user_id`` was recorded with in the ``usage`` table
    (records expire after 90 days: older turns are simply not found)."""
    found: dict[tuple[str, str], set[str]] = {}
    if ledger is None:
        return found
    for record in ledger.table.query_all(user_id, index="by_user"):
        label = str(record.get("model") or "")
        if not label:
            continue
        key = (str(record.get("session_id", "")), str(record.get("agent", "")))
        found.setdefault(key, set()).add(priced_model_id(models_config, label))
    return found
