"""The emulator's script language, shared by script mode and the interactive terminal.

One line is one thing a user does::

    hello there                 a DM from the current user to Crewbot (continues their DM thread)
    say click me                a DM whose text would otherwise read as a command
    /crewbot help               a slash command
    click Approve               press the button labelled "Approve" (open modal, newest message, home tab)
    submit title="Q3 review" date=2026-01-15
                                submit the open modal; fields by block id, action id or label
                                (a file input takes a local path: the file is shared as a Slack file)
    as alice                    act as another user (created on first use); `as admin` is an admin
    advance 2h                  move Crewbot's clock forward (s, m, h, d, w) and run what became due
    expect Meeting prep         fail unless the last bot output contains the text (case-insensitive)
    expect-not error            fail if the last bot output contains the text
    mention what's next?        mention Crewbot in #general
    home                        open Crewbot's home tab
    new                         start a new DM thread (a fresh conversation)
    # a comment                 printed, not run

Script mode prints the transcript and exits non-zero when any line failed (an ``expect`` mismatch,
an unknown button, an HTTP error from the handler, a bad line).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from bot.emulator.errors import EmulatorError
from bot.emulator.fake_slack import Output

if TYPE_CHECKING:
    from bot.emulator.workspace import Emulator

KEYWORDS = ("say", "click", "submit", "as", "advance", "expect", "expect-not", "mention", "home", "new", "help")


class ScriptError(Exception):
    """A script line that failed."""


@dataclass
class ScriptRunner:
    """Runs script lines against an :class:`Emulator` and writes the transcript to ``out``."""

    emulator: Emulator
    out: IO[str]
    failures: list[str] = field(default_factory=list)
    last_outputs: list[Output] = field(default_factory=list)
    #: Print each line before its outputs (the terminal does not: the user just typed it).
    echo: bool = True

    def run(self, lines: Iterable[str], source: str = "script") -> int:
        """Run every line; return the number of failed lines."""
        for number, raw in enumerate(lines, start=1):
            self.run_line(raw, f"{source}:{number}")
        return len(self.failures)

    def run_line(self, raw: str, where: str = "") -> bool:
        """Run one line and print what happened; False when it failed."""
        line = raw.strip()
        if not line:
            return True
        if line.startswith("#"):
            self._print(line)
            return True
        if self.echo:
            self._print(f"{self.emulator.current_name}> {line}")
        self.emulator.take_errors()  # only errors caused by this line count against it
        try:
            outputs = self._execute(line)
        except (EmulatorError, ScriptError, ValueError) as exc:
            return self._fail(where, line, str(exc))
        except Exception as exc:  # a crash in the bot is a failed line, not a crashed emulator
            return self._fail(where, line, f"{type(exc).__name__}: {exc}")
        if outputs:
            self.last_outputs = outputs
            for text in self.emulator.render(outputs):
                self._print(text)
        errors = self.emulator.take_errors()
        if errors:
            return self._fail(where, line, "Crewbot logged an error: " + "; ".join(errors))
        return True

    def _fail(self, where: str, line: str, message: str) -> bool:
        self.failures.append(f"{where}: {line}: {message}")
        self._print(f"  ✗ {message}")
        return False

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _execute(self, line: str) -> list[Output]:
        emu = self.emulator
        if line.startswith("/"):
            return emu.command(line).outputs
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        keyword = word.lower()
        if keyword not in KEYWORDS:
            return emu.dm(line).outputs
        if keyword == "say":
            return emu.dm(_required(rest, "say <text>")).outputs
        if keyword == "click":
            return emu.click(_required(rest, "click <button label>")).outputs
        if keyword == "submit":
            return emu.submit(parse_fields(rest)).outputs
        if keyword == "as":
            emu.act_as(_required(rest, "as <user>"))
            return []
        if keyword == "advance":
            return emu.advance(_required(rest, "advance <duration>, like 2h or 3d"))
        if keyword in {"expect", "expect-not"}:
            self._expect(_required(rest, f"{keyword} <text>"), present=keyword == "expect")
            return []
        if keyword == "mention":
            return emu.mention(_required(rest, "mention <text>")).outputs
        if keyword == "home":
            return emu.open_home().outputs
        if keyword == "new":
            emu.new_thread()
            return []
        self._print(__doc__ or "")
        return []

    def _expect(self, text: str, present: bool) -> None:
        shown = self.emulator.last_output_text(self.last_outputs)
        found = text.casefold() in shown.casefold()
        if found != present:
            excerpt = shown.strip().replace("\n", " ⏎ ")[:300] or "(no bot output yet)"
            verb = "does not contain" if present else "contains"
            raise ScriptError(f"expected {text!r}: the last bot output {verb} it. It was: {excerpt}")


def parse_fields(text: str) -> dict[str, str]:
    """``title="Q3 review" date=2026-01-15`` → ``{"title": "Q3 review", "date": "2026-01-15"}``."""
    fields: dict[str, str] = {}
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise ScriptError(f"cannot read the fields: {exc}") from None
    for part in parts:
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise ScriptError(f'{part!r} is not field=value (quote values with spaces: title="Q3 review")')
        fields[name] = value
    return fields


def _required(value: str, usage: str) -> str:
    if not value:
        raise ScriptError(f"usage: {usage}")
    return value
