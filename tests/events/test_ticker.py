from __future__ import annotations

import threading

from bot.events.ticker import Ticker


def test_the_ticker_runs_its_jobs_and_survives_a_failing_one():
    ran = threading.Event()
    calls: list[str] = []

    def failing() -> None:
        raise RuntimeError("boom")

    def job() -> None:
        calls.append("job")
        ran.set()

    ticker = Ticker([failing, job], interval=0.01).start()
    try:
        assert ran.wait(5)
    finally:
        ticker.stop()
    assert calls and ticker.ticks >= 1


def test_start_ticker_runs_the_local_runtime_s_due_work(tmp_path):
    import time
    from datetime import timedelta

    from bot.events.ticker import start_ticker
    from tests.workflows.test_durability import ASKED, runtime

    crewbot = runtime(tmp_path)
    execution = crewbot.workflows.start("timeout", {"who": "U1"})
    assert ASKED
    # Time passes without anyone calling advance: move the clock's offset on disk, as another process would.
    crewbot.clock.advance(timedelta(seconds=1))
    ticker = start_ticker(crewbot, interval=0.01)
    assert ticker is not None
    try:
        crewbot.clock._offset += timedelta(seconds=5)  # type: ignore[attr-defined]  # real time passing, faster
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not crewbot.workflows.describe(execution.execution_id).done:
            time.sleep(0.01)
        assert crewbot.workflows.describe(execution.execution_id).output["error"] == "States.Timeout"
    finally:
        ticker.stop()
        crewbot.close()
