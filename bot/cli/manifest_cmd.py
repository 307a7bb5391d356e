"""``crewbot manifest [--request-url URL] [--socket-mode] [--check] [--output FILE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("manifest", help="write (or --check) the Slack app manifest from the registered plugins")
    parser.add_argument(
        "--request-url",
        metavar="URL",
        help="where Slack sends events, commands and interactions (the Lambda's API Gateway or "
        "Function URL); a placeholder when omitted",
    )
    parser.add_argument("--socket-mode", action="store_true", help="a manifest for Socket Mode (no request URL)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: exit 1 if the file differs from what the plugins register now",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="file to write or check ('-' prints it); default manifests/slack-app.json, or "
        "manifests/slack-app.socket-mode.json with --socket-mode",
    )
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    from bot.slack.manifest import build_manifest, check, default_path, manifest_text
    from bot.slack.registry import collect_registrations

    args = ctx.args
    crewbot = ctx.crewbot
    regs = collect_registrations(crewbot.plugins)
    for problem in regs.problems:
        print(f"crewbot manifest: warning: {problem}", file=sys.stderr)
    try:
        text = manifest_text(
            build_manifest(crewbot, request_url=args.request_url, socket_mode=args.socket_mode, registrations=regs)
        )
    except ValueError as exc:
        print(f"crewbot manifest: {exc}", file=sys.stderr)
        return 2
    if args.output == "-":
        ctx.out.write(text)
        return 0
    path = Path(args.output) if args.output else default_path(args.socket_mode)
    if args.check:
        differences = check(path, text)
        if differences:
            print(
                f"crewbot manifest: {path} is out of date with the registered commands, events and scopes; "
                f"run `crewbot manifest{' --socket-mode' if args.socket_mode else ''}` and commit it.",
                file=sys.stderr,
            )
            for line in differences[:200]:
                print(line, file=sys.stderr)
            return 1
        ctx.print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    ctx.print(f"wrote {path}")
    return 0
