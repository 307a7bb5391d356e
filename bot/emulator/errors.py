"""The emulator's error, in a module of its own so the script runner needs no import of the workspace."""

from __future__ import annotations


class EmulatorError(Exception):
    """Something the user asked the emulator for cannot be done (no such button, no open modal ...)."""
