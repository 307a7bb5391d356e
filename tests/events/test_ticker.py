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
