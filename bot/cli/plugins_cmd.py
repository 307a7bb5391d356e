"""``crewbot plugins [--json]``: every plugin, its version, hooks, contributions and errors."""

from __future__ import annotations

import argparse
import json

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plugins", help="list plugins, what they contribute and any load error")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    host = ctx.crewbot.plugins
    infos = [info.as_dict() for info in host.plugins.values()]
    if ctx.args.json:
        ctx.print(json.dumps(infos, indent=2))
        return 0
    for info in infos:
        state = "enabled" if info["enabled"] else ("FAILED" if info["errors"] else "disabled")
        ctx.print(f"{info['name']} {info['version']} [{info['source']}, {state}] {info['module']}")
        if info["off_reason"]:
            ctx.print(f"  off: {info['off_reason']}")
        if info["requires"]:
            ctx.print(f"  requires: {', '.join(info['requires'])}")
        if info["hooks"]:
            ctx.print(f"  hooks: {', '.join(info['hooks'])}")
        for hook, names in info["contributions"].items():
            if names:
                ctx.print(f"  {hook.removeprefix('register_')}: {', '.join(names)}")
        for error in info["errors"]:
            ctx.print(f"  error: {error}")
    return 0
