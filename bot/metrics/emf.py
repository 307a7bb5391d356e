"""One Embedded Metric Format record per call, printed as a single JSON line.

A record holds dimension values once and one or more metric *groups*; each group names its dimension
sets and the metrics they apply to. CloudWatch creates one metric series per (metric, dimension set)
pair, so a group lists only the metrics worth having at that granularity — that is what a series costs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

#: CloudWatch units used here (EMF accepts the ``StandardUnit`` names).
COUNT = "Count"
MILLISECONDS = "Milliseconds"
SECONDS = "Seconds"
NONE = "None"


@dataclass(frozen=True)
class Group:
    """Metrics recorded under each of ``dimension_sets`` (every name must have a value in the record)."""

    dimension_sets: Sequence[Sequence[str]]
    metrics: Sequence[str]


def record(
    namespace: str,
    dimensions: Mapping[str, str],
    values: Mapping[str, float],
    units: Mapping[str, str],
    groups: Sequence[Group],
    *,
    timestamp_ms: int | None = None,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The EMF document: ``values`` of the metrics, their ``units``, and the ``groups`` that record them.

    A metric a group names but ``values`` lacks is left out of that group (a cost that could not be
    estimated is absent, never zero); a group left with no metric is dropped. ``properties`` are extra
    searchable fields of the log line, not metrics.
    """
    directives = []
    for group in groups:
        for dims in group.dimension_sets:
            missing = [d for d in dims if not dimensions.get(d)]
            if missing:
                raise ValueError(f"dimension set {list(dims)} has no value for {missing}")
        metrics = [{"Name": m, "Unit": units.get(m, NONE)} for m in group.metrics if m in values]
        if metrics:
            directives.append(
                {"Namespace": namespace, "Dimensions": [list(d) for d in group.dimension_sets], "Metrics": metrics}
            )
    return {
        "_aws": {
            "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": directives,
        },
        **(properties or {}),
        **dimensions,
        **values,
    }


def emit(document: Mapping[str, Any], stream: IO[str] | None = None) -> None:
    """Print ``document`` as one compact JSON line (stdout by default), which Lambda's log agent parses."""
    if not document["_aws"]["CloudWatchMetrics"]:
        return
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(document, separators=(",", ":"), default=str) + "\n")
    out.flush()
