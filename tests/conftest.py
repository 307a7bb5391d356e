"""Hygiene shared by every test in the suite."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_secret_cache() -> Iterator[None]:
    """Powertools caches secret and parameter values process-wide for minutes, keyed by name only. Tests on
    one xdist worker reuse names such as ``crewbot/dev/slack/bot-token`` with different values in their own
    moto accounts, so a value cached by one test must not answer the next."""
    yield
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()
