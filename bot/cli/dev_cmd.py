"""``crewbot dev``: Crewbot on its embedded defaults, in the local Slack emulator.

Without Slack tokens it opens the emulator: interactive when stdin is a terminal, otherwise it runs
stdin (or ``--script FILE``) as an emulator script, prints the transcript and exits 1 if a line
failed. With ``SLACK_BOT_TOKEN`` and ``SLACK_APP_TOKEN`` set it connects to the real workspace over
Socket Mode instead (``--emulator`` forces the emulator).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dev", help="start Crewbot locally: the Slack emulator (or Socket Mode with tokens)")
    parser.add_argument("--script", metavar="FILE", help="run an emulator script ('-' for stdin) and exit")
    parser.add_argument("--emulator", action="store_true", help="use the emulator even when Slack tokens are set")
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    crewbot = ctx.crewbot
    cfg = crewbot.config
    script = ctx.args.script
    use_emulator = ctx.args.emulator or script is not None
    # Agent specs, tools and model profiles are checked now, so a mistake stops start-up with the file
    # and key named (exit 2) instead of surfacing on somebody's first message.
    crewbot.agents.validate()
    if not use_emulator:
        from bot.slack.socket_mode import has_socket_mode_tokens, run_socket_mode

        if has_socket_mode_tokens(crewbot):
            ctx.print(f"Crewbot {cfg.project}: Slack tokens found, connecting over Socket Mode (Ctrl-C stops it).")
            run_socket_mode(crewbot)
            return 0
    for name, errors in crewbot.plugins.errors().items():
        for error in errors:
            print(f"crewbot dev: plugin {name} FAILED: {error}", file=sys.stderr)

    if not ctx.args.debug:
        from bot.logs import log_to_file

        log_to_file(crewbot.home / "logs" / "crewbot.log")

    from bot.emulator.script import ScriptRunner
    from bot.emulator.terminal import interactive
    from bot.emulator.workspace import Emulator

    with Emulator(crewbot) as emulator:
        if script is None and sys.stdin.isatty():
            # Interactively, real seconds pass too: a `Wait 30` ends after 30 s without `advance`.
            from bot.events.ticker import start_ticker

            ticker = start_ticker(crewbot)
            try:
                return interactive(emulator)
            finally:
                if ticker is not None:
                    ticker.stop()
        if script in (None, "-"):
            lines, source = sys.stdin.read().splitlines(), "stdin"
        else:
            path = Path(script)
            try:
                lines, source = path.read_text(encoding="utf-8").splitlines(), str(path)
            except OSError as exc:
                print(f"crewbot dev: cannot read script {path}: {exc.strerror}", file=sys.stderr)
                return 2
        runner = ScriptRunner(emulator, ctx.out)
        failed = runner.run(lines, source)
        if failed:
            print(f"crewbot dev: {failed} line(s) failed:", file=sys.stderr)
            for failure in runner.failures:
                print(f"  {failure}", file=sys.stderr)
            return 1
        return 0
