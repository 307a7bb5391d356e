"""Time, as every part of Crewbot sees it.

AWS uses the system clock. Locally the clock can be moved forward (``advance 2h`` in an emulator
script, or tests), and schedules, workflow waits, timeouts and reminders follow it: whatever waits on
time registers a listener and is run, synchronously, each time the clock is advanced. The emulator's
offset is persisted in the data directory so a restart keeps the same "now".
"""

from __future__ import annotations

import json
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Listener = Callable[[datetime], None]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|sec|m|min|h|d|w)\s*$")
_UNITS = {"s": "seconds", "sec": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"3d"``, ``"1w"`` → a timedelta; ``ValueError`` naming the text otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r}: use a number and a unit (s, m, h, d, w), like 2h or 3d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Clock(ABC):
    """A source of the current time (timezone-aware UTC)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()

    @abstractmethod
    def now(self) -> datetime: ...

    def on_advance(self, listener: Listener) -> None:
        """Call ``listener(now)`` after every :meth:`advance` (schedulers and timers register here)."""
        with self._lock:
            self._listeners.append(listener)

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward (only clocks that can) and run what became due."""
        raise NotImplementedError(f"{type(self).__name__} cannot be advanced")

    def _notify(self) -> datetime:
        now = self.now()
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now)
        return now


class SystemClock(Clock):
    """Real time: production."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock(Clock):
    """Time that only moves when told: tests."""

    def __init__(self, start: datetime | None = None):
        super().__init__()
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += delta
        return self._notify()


class OffsetClock(Clock):
    """Real time plus an offset that ``advance`` grows and that survives restarts (the emulator)."""

    def __init__(self, state_file: Path):
        super().__init__()
        self._file = state_file
        self._offset = timedelta(seconds=self._load())

    def _load(self) -> float:
        try:
            return float(json.loads(self._file.read_text())["offset_seconds"])
        except (FileNotFoundError, KeyError, ValueError, TypeError):
            return 0.0

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += delta
            self._file.parent.mkdir(parents=True, exist_ok=True)
            self._file.write_text(json.dumps({"offset_seconds": self._offset.total_seconds()}))
        return self._notify()
