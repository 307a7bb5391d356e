"""The one-off schedules' dead-letter queue Terraform creates is the one the bot names in each schedule."""

from __future__ import annotations

from typing import Any

from bot.config.naming import ResourceNamer
from bot.events.scheduler import SCHEDULER_DLQ
from tests.infra.conftest import ACCOUNT


def test_terraform_names_the_scheduler_dlq_as_the_bot_does(evaluated: dict[str, Any]) -> None:
    namer = ResourceNamer("crewbot", "dev", ACCOUNT)
    assert evaluated["catalog"]["names"]["scheduler_dlq"] == namer.queue(SCHEDULER_DLQ) == "crewbot-dev-scheduler-dlq"
