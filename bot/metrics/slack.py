"""Metrics of the Slack entry point: how fast Slack gets its acknowledgement, and failed lazy listeners.

:func:`measured` wraps the Lambda handler. A request from Slack gets ``AckLatency`` (milliseconds from
the handler being called to the HTTP response returned), per service and per service and ``start``
(``cold`` for a container's first request, whose latency includes building the runtime, else
``warm``). When API Gateway stamped the request (``requestContext.timeEpoch``), ``AckLatencyFromGateway``
also counts the time before the handler ran (the container's init on a cold start). A lazy-listener run
(Bolt's re-invocation of the function) gets ``LazyRuns`` = 1, ``LazyFailures`` (handlers that failed in
it, as the error boundary reports them through :func:`failed`; a run that raised or answered an error
status counts as one) and ``LazyDuration``.

This runs on the acknowledgement path, so it imports only the standard library and prints one EMF line
(:mod:`bot.metrics.emf`); it emits in ``runtime: aws`` only (``CREWBOT_RUNTIME``), in the project's
namespace (``CREWBOT_PROJECT``), the same as the agents' metrics.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from bot.metrics import emf

logger = logging.getLogger(__name__)

_failures: ContextVar[list[int] | None] = ContextVar("crewbot_slack_failures", default=None)
_cold = True

UNITS = {
    "AckLatency": emf.MILLISECONDS,
    "AckLatencyFromGateway": emf.MILLISECONDS,
    "LazyRuns": emf.COUNT,
    "LazyFailures": emf.COUNT,
    "LazyDuration": emf.MILLISECONDS,
}
ACK_GROUPS = (emf.Group([("service",), ("service", "start")], ["AckLatency", "AckLatencyFromGateway"]),)
LAZY_GROUPS = (emf.Group([("service",)], ["LazyRuns", "LazyFailures", "LazyDuration"]),)


def failed() -> None:
    """Count one failed handler in the invocation being measured (nothing outside one)."""
    counter = _failures.get()
    if counter is not None:
        counter[0] += 1


def measured(
    handle: Callable[[dict[str, Any], Any], dict[str, Any]],
    event: dict[str, Any],
    context: Any,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """``handle(event, context)``, with its acknowledgement latency or lazy-run outcome emitted."""
    global _cold
    started = time.perf_counter()
    wall_ms = time.time() * 1000
    counter = [0]
    token = _failures.set(counter)
    response: dict[str, Any] | None = None
    try:
        response = handle(event, context)
        return response
    except BaseException:
        counter[0] += 1
        raise
    finally:
        _failures.reset(token)
        cold, _cold = _cold, False
        if environ.get("CREWBOT_RUNTIME") == "aws" and isinstance(event, dict):
            elapsed = (time.perf_counter() - started) * 1000
            try:
                _emit(event, response, elapsed, wall_ms, counter[0], cold, environ)
            except Exception as exc:  # a metric must never cost Slack its answer
                logger.warning("could not emit the Slack entry point's metrics: %s", exc)


def _emit(
    event: dict[str, Any],
    response: dict[str, Any] | None,
    elapsed_ms: float,
    wall_ms: float,
    failures: int,
    cold: bool,
    environ: Mapping[str, str],
) -> None:
    project = environ.get("CREWBOT_PROJECT") or "crewbot"
    dimensions = {"service": project, "start": "cold" if cold else "warm"}
    status = response.get("statusCode") if isinstance(response, dict) else None
    if event.get("method") == "NONE":  # Bolt's lazy re-invocation (bot.slack.guard.is_self_invocation)
        # A run answered with an error status did not complete its listener, reported or not.
        if not failures and (status is None or int(status) >= 400):
            failures = 1
        values: dict[str, float] = {"LazyRuns": 1, "LazyFailures": failures, "LazyDuration": round(elapsed_ms, 1)}
        emf.emit(emf.record(project, dimensions, values, UNITS, LAZY_GROUPS))
        return
    request = event.get("requestContext")
    if not isinstance(request, dict):
        return  # not an HTTP request (a health check, a test event)
    values = {"AckLatency": round(elapsed_ms, 1)}
    stamped = request.get("timeEpoch")
    if isinstance(stamped, int | float) and not isinstance(stamped, bool) and 0 < stamped <= wall_ms + elapsed_ms:
        values["AckLatencyFromGateway"] = round(wall_ms + elapsed_ms - stamped, 1)
    emf.emit(emf.record(project, dimensions, values, UNITS, ACK_GROUPS, properties={"status": status}))
