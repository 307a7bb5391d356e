"""What plugins register for AWS is deployed: each Schedule has a Terraform schedule with the same
expression, each EventHandler a rule with the same pattern, each with its own function."""

from __future__ import annotations

from typing import Any

from bot.runtime import Crewbot


def _registered(crewbot: Crewbot, hook: str) -> list[tuple[str, Any]]:
    return [(c.plugin, c.item) for c in crewbot.plugins.contributions(hook)]


def test_every_registered_schedule_is_deployed_with_its_expression(crewbot: Crewbot, evaluated: Any) -> None:
    deployed = evaluated["declared"]["schedules"]
    functions = evaluated["catalog"]["functions"]
    for plugin, schedule in _registered(crewbot, "register_schedules"):
        assert schedule.name in deployed, f"plugin {plugin} registers schedule {schedule.name!r}, not deployed"
        assert deployed[schedule.name]["expression"] == schedule.expression, schedule.name
        function = functions[deployed[schedule.name]["function"]]
        assert function["environment"]["CREWBOT_SCHEDULE"] == schedule.name


def test_every_registered_event_handler_has_a_rule_with_its_pattern(crewbot: Crewbot, evaluated: Any) -> None:
    deployed = evaluated["declared"]["event_rules"]
    functions = evaluated["catalog"]["functions"]
    for plugin, handler in _registered(crewbot, "register_event_handlers"):
        assert handler.name in deployed, f"plugin {plugin} registers event handler {handler.name!r}, not deployed"
        assert deployed[handler.name]["pattern"] == handler.pattern, handler.name
        function = functions[deployed[handler.name]["function"]]
        assert function["environment"]["CREWBOT_EVENT_HANDLER"] == handler.name


def test_rules_and_schedules_are_valid_and_name_a_single_target(evaluated: Any) -> None:
    from bot.events.bus import check_pattern
    from bot.events.schedules import parse_expression

    declared = evaluated["declared"]
    for name, rule in declared["event_rules"].items():
        assert (rule["state_machine"] is None) != (rule["function"] is None), f"rule {name}: one target"
        check_pattern(rule["pattern"], f"event rule {name}")
    for name, schedule in declared["schedules"].items():
        assert parse_expression(schedule["expression"]).kind in ("rate", "cron"), f"schedule {name}"
