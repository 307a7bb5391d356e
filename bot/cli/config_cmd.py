"""``crewbot config validate | show | schema``."""

from __future__ import annotations

import argparse
import json

import yaml

from bot.cli.context import CliContext
from bot.config import ConfigError, CrewbotConfig, LoadedConfig, Problem, load_config


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="validate, show or describe the configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, func, text in (
        ("validate", validate, "check the configuration files and plugin settings (exit 2 when invalid)"),
        ("show", show, "print the merged configuration (secrets are never shown)"),
        ("schema", schema, "print the JSON Schema of the configuration"),
    ):
        action = actions.add_parser(name, help=text)
        if name != "schema":
            action.add_argument("--env", dest="env_override", help="environment overlay (dev, staging, prod)")
            action.add_argument("--file", help="configuration file to check instead of the shipped one")
        action.set_defaults(func=func)


def _load(ctx: CliContext) -> LoadedConfig:
    args = ctx.args
    return load_config(env=args.env_override or args.env, file=args.file or args.config)


def validate(ctx: CliContext) -> int:
    from bot.pluginhost import PluginHost

    loaded = _load(ctx)
    host = PluginHost(loaded).load()
    problems = [
        Problem(name, "", error)
        for name, errors in host.errors().items()
        for error in errors
        if error.startswith("invalid settings") or "takes no settings" in error
    ]
    if problems:
        raise ConfigError(problems)
    ctx.print(
        f"configuration is valid ({', '.join(str(f) for f in loaded.files)}; "
        f"environment {loaded.config.environment}, runtime {loaded.config.runtime})"
    )
    return 0


def show(ctx: CliContext) -> int:
    from bot.config import Secrets

    loaded = _load(ctx)
    data = loaded.config.model_dump(mode="json")
    secrets = Secrets(loaded.config)
    data["secrets"] = {
        name: f"{secrets.describe(name)} ({'set' if secrets.is_set(name) else 'not set'})"
        for name in loaded.config.secrets
    }
    ctx.print(yaml.safe_dump(data, sort_keys=False).rstrip())
    return 0


def schema(ctx: CliContext) -> int:
    ctx.print(json.dumps(CrewbotConfig.model_json_schema(), indent=2))
    return 0
