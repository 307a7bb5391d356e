"""Entry point of the ``crewbot`` console script."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from bot import __version__
from bot.cli import (
    agents_cmd,
    config_cmd,
    deploy_cmd,
    dev_cmd,
    dlq_cmd,
    doctor_cmd,
    manifest_cmd,
    plugins_cmd,
    run_cmd,
    secrets_cmd,
    usage_cmd,
    workflows_cmd,
)
from bot.cli.context import CliContext
from bot.config import ConfigError

#: Core sub-command modules; each has ``add_to(subparsers)`` and sets ``func(ctx) -> int``.
CORE_COMMANDS: tuple[ModuleType, ...] = (
    plugins_cmd,
    config_cmd,
    dev_cmd,
    agents_cmd,
    usage_cmd,
    run_cmd,
    manifest_cmd,
    workflows_cmd,
    deploy_cmd,
    dlq_cmd,
    doctor_cmd,
    secrets_cmd,
)

#: Exit status for invalid configuration or usage (argparse uses 2 as well).
EXIT_CONFIG = 2


def build_parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crewbot", description="Crewbot: a plugin-driven Slack chat-ops bot.")
    parser.add_argument("--version", action="version", version=f"crewbot {__version__}")
    parser.add_argument("--env", help="environment overlay to use: dev, staging or prod (default: dev)")
    parser.add_argument("--config", metavar="FILE", help="configuration file instead of the shipped one")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in CORE_COMMANDS:
        module.add_to(sub)
    if with_plugins:
        _add_plugin_commands(sub)
    return parser


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    # Plugins may add sub-commands; a broken configuration must not hide the core commands (such as
    # `config validate`, which reports the problem properly), so failures here are deferred.
    try:
        from bot.runtime import start

        start(setup_logging=False).plugins.add_cli_commands(sub)
    except Exception:  # reported by the command that needs the runtime
        logging.getLogger(__name__).debug("plugin commands unavailable", exc_info=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    needs_plugins = not argv or argv[0] not in {"config", "--version"}
    parser = build_parser(with_plugins=needs_plugins)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    ctx = CliContext(args)
    try:
        return int(args.func(ctx) or 0)
    except ConfigError as exc:
        print("crewbot: invalid configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"crewbot: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
