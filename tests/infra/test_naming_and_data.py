"""The Terraform catalog names, tags and declares data exactly as the Python code does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import load_config
from bot.config.loader import RESERVED_ENV
from bot.config.naming import ResourceNamer, standard_tags
from bot.deploy import Catalog, aws_tables, lambda_environment
from bot.runtime import Crewbot
from bot.storage.base import IndexSpec, TableSpec
from bot.storage.tables import BUCKETS
from tests.infra.conftest import ACCOUNT, TF


def _spec_as_terraform(spec: TableSpec) -> dict[str, Any]:
    return {
        "pk": spec.pk,
        "sk": spec.sk,
        "ttl": spec.ttl,
        "indexes": [{"name": i.name, "pk": i.pk, "sk": i.sk} for i in spec.indexes],
    }


def test_the_catalog_deploys_exactly_the_registered_tables(
    catalog: Catalog, evaluated: dict[str, Any], crewbot: Crewbot
) -> None:
    from bot.deploy.catalog import _LOCAL_ONLY
    from bot.tables import registered_tables

    registered = {n: s for n, s in registered_tables(crewbot.plugins).items() if not _LOCAL_ONLY.search(s.description)}
    expected = {name: _spec_as_terraform(spec) for name, spec in registered.items()}
    assert {name: _spec_as_terraform(spec) for name, spec in catalog.tables.items()} == expected
    declared = evaluated["catalog"]["tables"]
    assert sorted(declared) == sorted(expected), "Terraform deploys other tables than the plugins declare"
    for name, spec in expected.items():
        got = {k: declared[name][k] for k in spec}
        assert got == spec, f"table {name}: Terraform {got} != Python {spec}"


def test_local_only_tables_are_not_deployed() -> None:
    from bot.storage.tables import all_tables, register_table

    register_table(TableSpec("scratch_test_only", pk="id", description="Local-only scratch data for a test."))
    try:
        assert "scratch_test_only" in all_tables()
        assert "scratch_test_only" not in aws_tables()
    finally:
        from bot.storage import tables

        tables._TABLES.pop("scratch_test_only")


def test_evaluated_tables_have_keys_indexes_and_ttl(evaluated: dict[str, Any], catalog: Catalog) -> None:
    tables = evaluated["catalog"]["tables"]
    for name, spec in catalog.tables.items():
        table = tables[name]
        keys = {spec.pk, spec.sk} | {i.pk for i in spec.indexes} | {i.sk for i in spec.indexes}
        assert set(table["attributes"]) == keys - {None}, name
        assert [IndexSpec(i["name"], i["pk"], i["sk"]) for i in table["indexes"]] == list(spec.indexes)
        assert table["ttl"] == spec.ttl


def test_buckets_match_and_follow_the_retention_rules(evaluated: dict[str, Any]) -> None:
    buckets = evaluated["catalog"]["buckets"]
    assert sorted(buckets) == sorted(BUCKETS)
    assert buckets["sessions"]["versioned"] is True
    assert buckets["materials"]["expire_days"] == 30


def test_every_name_is_the_resource_namer_name(evaluated: dict[str, Any], catalog: Catalog) -> None:
    namer = ResourceNamer("crewbot", "dev", ACCOUNT)
    names = evaluated["catalog"]["names"]
    checks = {
        "tables": namer.table,
        "buckets": namer.bucket,
        "functions": namer.function,
        "queues": namer.queue,
        "state_machines": namer.state_machine,
        "secrets": namer.secret,
    }
    for kind, rule in checks.items():
        for logical, physical in names[kind].items():
            secret = evaluated["catalog"]["secrets"].get(logical, {}).get("name", "")
            expected = rule(logical) if kind != "secrets" else namer.secret(secret)
            assert physical == expected, f"{kind} {logical}: Terraform {physical} != ResourceNamer {expected}"
    assert set(names["tables"]) == set(catalog.tables) and set(names["buckets"]) == set(BUCKETS)
    # Names without a dedicated ResourceNamer method follow the generic rule.
    # bot/events/service.py: bus <prefix>-bus, Scheduler group <prefix>, role <prefix>-scheduler.
    for key, logical in {"event_bus": "bus", "scheduler_role": "scheduler", "alarm_topic": "alarms"}.items():
        assert names[key] == namer.name(logical), key
    assert names["schedule_group"] == namer.prefix
    assert names["packages_bucket"] == namer.bucket("packages")
    # bot/calendars/crypto.py encrypts calendar tokens with this alias unless CREWBOT_KMS_KEY_ID says otherwise.
    assert names["kms_alias"] == f"alias/{namer.prefix}"
    for logical, dlq in names["dlqs"].items():
        assert dlq == namer.queue(f"{logical}_dlq")


def test_the_naming_rule_holds_for_other_projects_and_environments(harness: Any) -> None:
    out = harness({"project": "acme-bot", "environment": "prod", "account_id": "210987654321"})
    namer = ResourceNamer("acme-bot", "prod", "210987654321")
    names = out["catalog"]["names"]
    assert names["tables"]["chat_sessions"] == namer.table("chat_sessions") == "acme-bot-prod-chat-sessions"
    assert names["buckets"]["materials"] == namer.bucket("materials")


def test_tags_are_the_standard_tags(evaluated: dict[str, Any]) -> None:
    loaded = load_config(env="dev", environ={"CREWBOT_TAGS__CUSTOM": "{Team: chat-ops}"})
    assert evaluated["tags"] == standard_tags(loaded.config)


# Variables that pick what an entry point runs (bot/entrypoints/workflows.py, bot/entrypoints/events.py).
_SELECTORS = ("CREWBOT_WORKFLOW_TASK", "CREWBOT_SCHEDULE", "CREWBOT_EVENT_HANDLER", "CREWBOT_QUEUE")


def test_every_function_environment_loads(evaluated: dict[str, Any]) -> None:
    for name, function in evaluated["catalog"]["functions"].items():
        environ = function["environment"]
        unreserved = [v for v in _SELECTORS if v in environ and v not in RESERVED_ENV]
        # The config loader reads every other CREWBOT_* variable as a configuration key.
        assert not unreserved, f"{name}: bot/config/loader.py RESERVED_ENV lacks {unreserved}"
        try:
            load_config(environ=environ)
        except Exception as exc:
            raise AssertionError(f"function {name} would not start: {exc}") from exc


def test_functions_get_an_environment_the_config_loader_accepts(evaluated: dict[str, Any]) -> None:
    # A deployed function loads its configuration from these variables: it must validate and name
    # every resource as Terraform did.
    environ = evaluated["catalog"]["lambda_environment"]
    loaded = load_config(environ=environ)
    config = loaded.config
    assert config.runtime == "aws" and config.environment == "dev" and config.aws.account_id == ACCOUNT
    assert environ == lambda_environment(config, ACCOUNT)
    namer = ResourceNamer.from_config(config)
    for logical, physical in evaluated["catalog"]["names"]["tables"].items():
        assert namer.table(logical) == physical
    for logical, physical in evaluated["catalog"]["names"]["buckets"].items():
        assert namer.bucket(logical) == physical


def test_secrets_cover_what_the_config_reads_in_aws(evaluated: dict[str, Any]) -> None:
    config = load_config(env="prod", environ={}).config
    deployed = {s["name"] for s in evaluated["catalog"]["secrets"].values()}
    # The app-level token is only for Socket Mode (local runtime); HTTPS on Lambda does not use it.
    wanted = {
        spec.name
        for key, spec in config.secrets.items()
        if spec.source == "secretsmanager" and key != "slack_app_token"
    }
    assert wanted <= deployed, f"secrets the config reads but Terraform does not create: {sorted(wanted - deployed)}"


def test_the_variables_main_tf_adds_are_configuration_keys(tmp_path: Path) -> None:
    import re

    from bot.runtime import start

    text = (TF / "main.tf").read_text(encoding="utf-8")
    block = text[text.index('module "function" {') : text.index("# -- entry points")]
    names = sorted(set(re.findall(r"\b(CREWBOT_[A-Z0-9_]+)\s*=", block)))
    assert "CREWBOT_FEATURES__XRAY" in names and "CREWBOT_PLUGINS__SETTINGS__MEETING_PREP__OAUTH_BASE_URL" in names
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com"
    environ = {name: (url if name.endswith("_URL") else "true") for name in names}
    crewbot = start(env="dev", environ={**environ, "CREWBOT_HOME": str(tmp_path)}, setup_logging=False)
    try:
        assert crewbot.config.features.xray and crewbot.config.features.alarms
        # The plugin validated the setting: the name main.tf uses is the plugin's real setting.
        assert crewbot.plugins.settings["meeting_prep"].oauth_base_url == url  # type: ignore[attr-defined]
        assert not crewbot.plugins.plugins["meeting_prep"].errors
    finally:
        crewbot.close()
