"""``crewbot dev``: start Crewbot on its embedded defaults."""

from __future__ import annotations

import argparse

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dev", help="start Crewbot locally on its embedded defaults")
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    crewbot = ctx.crewbot
    cfg = crewbot.config
    ctx.print(f"Crewbot {cfg.project} · environment {cfg.environment} · runtime {cfg.runtime} · home {crewbot.home}")
    for name in crewbot.plugins.active():
        ctx.print(f"  plugin {name}: {', '.join(crewbot.plugins.plugins[name].hooks) or 'no hooks'}")
    for name, errors in crewbot.plugins.errors().items():
        for error in errors:
            ctx.print(f"  plugin {name} FAILED: {error}")
    crewbot.store  # noqa: B018 - opens (and creates) the local store so start-up problems show now
    ctx.print("Core started. The Slack emulator arrives with the Slack front door (issue 3).")
    return 0
