"""What plugins register for AWS is deployed: each Schedule has a Terraform schedule with the same
expression, each EventHandler a rule with the same pattern (infra/terraform/functions.tf)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Crewbot, start
from tests.infra.conftest import TF, locals_of


@pytest.fixture(scope="module")
def crewbot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crewbot]:
    home: Path = tmp_path_factory.mktemp("home")
    runtime = start(env="dev", environ={"CREWBOT_HOME": str(home)}, setup_logging=False)
    try:
        yield runtime
    finally:
        runtime.close()


def _registered(crewbot: Crewbot, hook: str) -> list[tuple[str, Any]]:
    return [(c.plugin, c.item) for c in crewbot.plugins.contributions(hook)]


def test_every_registered_schedule_is_deployed_with_its_expression(crewbot: Crewbot) -> None:
    deployed = locals_of(TF / "functions.tf")["schedules"]
    for plugin, schedule in _registered(crewbot, "register_schedules"):
        assert schedule.name in deployed, (
            f"plugin {plugin} registers schedule {schedule.name!r}; add it to `schedules` in functions.tf"
        )
        assert deployed[schedule.name]["expression"] == schedule.expression, schedule.name


def test_every_registered_event_handler_has_a_rule_with_its_pattern(crewbot: Crewbot) -> None:
    deployed = locals_of(TF / "functions.tf")["event_rules"]
    for plugin, handler in _registered(crewbot, "register_event_handlers"):
        assert handler.name in deployed, (
            f"plugin {plugin} registers event handler {handler.name!r}; add a rule to `event_rules` in functions.tf"
        )
        assert deployed[handler.name]["pattern"] == handler.pattern, handler.name


def test_rules_and_schedules_are_valid_and_name_a_single_target() -> None:
    from bot.events.bus import check_pattern
    from bot.events.schedules import parse_expression

    declared = locals_of(TF / "functions.tf")
    for name, rule in declared["event_rules"].items():
        assert (rule["state_machine"] is None) != (rule["function"] is None), f"rule {name}: one target"
        check_pattern(rule["pattern"], f"functions.tf event rule {name}")
    for name, schedule in declared["schedules"].items():
        assert parse_expression(schedule["expression"]).kind in ("rate", "cron"), f"schedule {name}"
