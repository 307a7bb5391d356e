"""``crewbot doctor [--env E]``: one ✓/✗ line per check with what to do; exit 1 on any ✗."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.context import CliContext
from bot.config import ConfigError


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "doctor", help="check configuration, secrets (names only), Slack, AWS resources, models and calendars"
    )
    parser.add_argument(
        "--package", type=Path, default=Path("dist/lambda"), metavar="DIR", help="the `make package` output to compare"
    )
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    from bot.deploy.doctor import FAIL, Check, Doctor

    try:
        crewbot = ctx.crewbot
    except ConfigError as exc:
        ctx.print(Check("configuration", FAIL, "; ".join(str(p) for p in exc.problems)).line())
        return 1
    checks = Doctor(crewbot, package_dir=ctx.args.package).run()
    for check in checks:
        ctx.print(check.line())
    failed = sum(1 for c in checks if c.status == FAIL)
    ctx.print(f"{failed} problem{'s' if failed != 1 else ''} found" if failed else "all checks passed")
    return 1 if failed else 0
