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


def attach_local_time(crewbot: Crewbot) -> list[Callable[[], Any]]:
    """Make a local runtime's clock drive its workflow timers and schedules.

    Builds the workflow engine and the scheduler (which register their clock listeners, so an
    ``advance`` runs what fell due), resumes executions a previous process left mid-step, and returns
    the jobs a :class:`Ticker` runs as real time passes. Nothing in AWS, where Step Functions and
    EventBridge keep time themselves.
    """
    if crewbot.config.runtime == "aws":
        return []
    from bot.events.scheduler import LocalScheduler
    from bot.workflows.local import LocalWorkflowEngine

    engine = crewbot.workflows
    jobs: list[Callable[[], Any]] = []
    if isinstance(engine, LocalWorkflowEngine):
        try:
            engine.recover()  # each execution recovers or fails on its own; this guards the rest
        except Exception:  # e.g. the store is unreadable: time must still pass for everything else
            logger.exception("recovering workflow executions failed; the ticker starts anyway")
        jobs.append(engine.run_due)
    scheduler = crewbot.scheduler
    if isinstance(scheduler, LocalScheduler):
        jobs.append(scheduler.run_due)
    if crewbot.plugins.contributions("register_queue_consumers"):
        workers = crewbot.queues.workers
        if workers is not None:
            workers.run_due()  # messages a previous process left on the queues
            jobs.append(workers.run_due)
    return jobs


def start_ticker(crewbot: Crewbot, interval: float = 1.0) -> Ticker | None:
    """Attach the local clock (:func:`attach_local_time`) and start a ticker for real time passing;
    ``None`` in AWS."""
    jobs = attach_local_time(crewbot)
    return Ticker(jobs, interval).start() if jobs else None
