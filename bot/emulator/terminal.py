"""The interactive emulator: type what you would type in Slack, see what Crewbot answers."""

from __future__ import annotations

import contextlib
import sys
from typing import TextIO

from bot.emulator.script import ScriptRunner
from bot.emulator.workspace import Emulator

BANNER = """\
Crewbot local Slack emulator — you are @{user} in a DM with {bot}.
Type a message, a /command, `click <label>`, `submit field=value`, `as <user>`, `advance 2h`,
`home`, `new`, or `help`. `quit` (or Ctrl-D) leaves.
"""


def interactive(emulator: Emulator, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Read lines from the terminal until ``quit`` / end of input; returns the exit status (0)."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    with contextlib.suppress(ImportError):  # line editing and history for input(), where available
        import readline  # noqa: F401
    runner = ScriptRunner(emulator, out, echo=stdin is not sys.stdin)
    print(BANNER.format(user=emulator.current_name, bot=emulator.crewbot.config.slack.app_name), file=out)
    number = 0
    while True:
        try:
            line = input(f"{emulator.current_name}> ") if stdin is sys.stdin else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        if stdin is not sys.stdin and not line:
            return 0
        number += 1
        if line.strip().lower() in {"quit", "exit", ":q"}:
            return 0
        # Anything the bot posted on its own since the last line (a reminder, a workflow step).
        for text in emulator.render(emulator.new_outputs()):
            print(text, file=out)
        runner.run_line(line, f"line {number}")
