"""Fixtures for the metric tests: EMF lines captured from stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

EmfLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def emf_lines(capsys: pytest.CaptureFixture[str]) -> EmfLines:
    """Every EMF document printed so far (and not yet read), parsed."""

    def read() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]

    return read


def series(document: dict[str, Any]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The CloudWatch series one EMF document creates: (metric, sorted dimension pairs) → value."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dims in directive["Dimensions"]:
            pairs = tuple(sorted((d, str(document[d])) for d in dims))
            for metric in directive["Metrics"]:
                found[(metric["Name"], pairs)] = document[metric["Name"]]
    return found
