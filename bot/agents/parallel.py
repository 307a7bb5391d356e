"""Parallel I/O for tools that fetch several items.

:func:`fetch_all` runs each call in a thread pool (:mod:`concurrent.futures`), retries failures with
exponential backoff (:mod:`tenacity`) and gives up on what is still running at the deadline. Every
outcome is reported, so a tool can answer with what it got and say what failed, instead of failing whole.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

logger = logging.getLogger(__name__)

# One pool for the process: tools run inside agent turns, which are themselves on worker threads.
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="crewbot-fetch")


@dataclass(frozen=True)
class Outcome:
    """The result of one call: ``value`` or ``error`` (a short message), with attempts and seconds taken."""

    key: str
    value: Any = None
    error: str | None = None
    attempts: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _retryable(exc: BaseException) -> bool:
    # Lookup and value errors are answers ("no such topic"), not transient failures.
    return not isinstance(exc, (LookupError, ValueError, TypeError, PermissionError))


def fetch_all(
    calls: Mapping[str, Callable[[], Any]],
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 0.2,
    max_backoff: float = 2.0,
) -> dict[str, Outcome]:
    """Run ``calls`` (key → no-argument callable) in parallel; each is retried up to ``attempts`` times.

    ``timeout`` bounds the whole batch in seconds: calls still running then are reported as timed out
    (their threads finish in the background; Python cannot kill a thread).
    """

    def run(key: str, call: Callable[[], Any]) -> Outcome:
        started = time.monotonic()
        count = 0
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            reraise=True,
            wait=wait_exponential(multiplier=backoff, max=max_backoff),
            retry=retry_if_exception(_retryable),
        )
        try:
            for attempt in retrying:
                with attempt:
                    count += 1
                    value = call()
            return Outcome(key, value=value, attempts=count, seconds=time.monotonic() - started)
        except Exception as exc:
            logger.warning("fetch %s failed after %d attempt(s): %s", key, count, exc)
            return Outcome(
                key, error=f"{type(exc).__name__}: {exc}", attempts=count, seconds=time.monotonic() - started
            )

    futures = {_POOL.submit(run, key, call): key for key, call in calls.items()}
    done, pending = concurrent.futures.wait(futures, timeout=timeout)
    results = {futures[f]: f.result() for f in done}
    for future in pending:
        future.cancel()
        key = futures[future]
        results[key] = Outcome(key, error=f"timed out after {timeout:g} s", seconds=timeout)
    return {key: results[key] for key in calls}
