"""What every ``crewbot`` sub-command receives: parsed options and a lazily started runtime."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Crewbot


@dataclass
class CliContext:
    args: argparse.Namespace
    out: IO[str] = field(default_factory=lambda: sys.stdout)

    @cached_property
    def crewbot(self) -> Crewbot:
        """The runtime for ``--env`` / ``--config`` (started on first use)."""
        from bot.runtime import start

        return start(env=self.args.env, config_file=self.args.config)

    def print(self, *parts: object) -> None:
        print(*parts, file=self.out)
