"""Estimated cost of an agent turn, from the per-model price table ``models.prices``.

A turn's model is the first profile of the chain it resolved to (``nova-lite → nova-micro`` →
``nova-lite``), named by its ``model_id`` (a Bedrock model or inference profile id) or, for a provider
without model ids such as ``offline``, by the provider's name. A model missing from the table has no
estimate: :func:`estimate` returns ``None`` (never 0) and the first such turn per model logs a warning.
Plugins price their agents' tokens with the same table (``bot.api.estimate_cost``, ``priced_model_id``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config.models import ModelPrice, ModelsConfig

logger = logging.getLogger(__name__)

#: Chain separator of :attr:`bot.agents.model_manager.Resolution.short`.
CHAIN_SEPARATOR = " → "

_warned: set[str] = set()


def model_id(models: ModelsConfig | None, label: str) -> str:
    """The model id behind a usage label: its first profile's ``model_id``, else the provider, else the label."""
    profile_name = label.split(CHAIN_SEPARATOR, 1)[0].strip()
    profile = models.profiles.get(profile_name) if models is not None else None
    if profile is None:
        return profile_name or "unknown"
    return profile.model_id or profile.provider


def estimate(prices: Mapping[str, ModelPrice], model: str, input_tokens: int, output_tokens: int) -> float | None:
    """USD for ``input_tokens`` in and ``output_tokens`` out on ``model``; ``None`` when it has no price."""
    price = prices.get(model)
    if price is None:
        if model not in _warned:
            _warned.add(model)
            logger.warning(
                "no price for model %r in models.prices: the cost of its tokens is not estimated "
                "(its turns are counted as UnpricedTurns, its tokens reported as unpriced)",
                model,
            )
        return None
    return (input_tokens * price.input_per_1k + output_tokens * price.output_per_1k) / 1000
