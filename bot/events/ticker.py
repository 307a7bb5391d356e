"""Real time passing, locally: a background thread that runs what fell due.

Clock listeners handle ``advance``; this handles the seconds that simply go by while ``crewbot dev``
runs (a ``Wait 30`` should end after 30 real seconds too). ``crewbot dev`` starts one with
:func:`start_ticker`; each job runs inside its own error boundary.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)


class Ticker:
    """Calls each job every ``interval`` seconds on a daemon thread until :meth:`stop`."""

    def __init__(self, jobs: Sequence[Callable[[], Any]], interval: float = 1.0):
        if interval <= 0:
            raise ValueError("the ticker interval must be positive")
        self.jobs = list(jobs)
        self.interval = interval
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crewbot-ticker", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def tick(self) -> None:
        """Run every job once (what the thread does each interval)."""
        for job in self.jobs:
            try:
                job()
            except Exception:  # keep ticking: one failing job must not stop time for the others
                logger.exception("ticker job %s failed", getattr(job, "__qualname__", job))
        self.ticks += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()


def start_ticker(crewbot: Crewbot, interval: float = 1.0) -> Ticker | None:
    """Start the ticker of a local runtime (workflow timers and schedules), after resuming workflow
    executions a previous process left mid-step; ``None`` in AWS, where Step Functions and EventBridge
    keep time themselves."""
    if crewbot.config.runtime == "aws":
        return None
    from bot.events.scheduler import LocalScheduler
    from bot.workflows.local import LocalWorkflowEngine

    engine = crewbot.workflows
    if isinstance(engine, LocalWorkflowEngine):
        engine.recover()

    jobs: list[Callable[[], Any]] = [engine.run_due]
    scheduler = crewbot.scheduler
    if isinstance(scheduler, LocalScheduler):
        jobs.append(scheduler.run_due)
    return Ticker(jobs, interval).start()
