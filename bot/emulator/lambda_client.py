"""Stands in for boto3's Lambda client so Bolt's lazy listeners re-invoke the handler in-process.

On AWS, Bolt starts a lazy listener by invoking the same function asynchronously
(``InvocationType="Event"``) with the original, signed request. Here the invocation runs the same
request handler on a background thread, which is what makes lazy listeners "run in the background as
on Lambda"; :meth:`wait` lets scripts and tests wait until they have finished.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)


class LocalLambdaClient:
    """Implements ``invoke`` (the only call Bolt's ``LambdaLazyListenerRunner`` makes)."""

    def __init__(
        self,
        target: Callable[[dict[str, Any], Any], Any] | None = None,
        context_factory: Callable[[], Any] | None = None,
        max_workers: int = 4,
    ):
        self.target = target
        self.context_factory = context_factory
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lazy-listener")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Condition()
        self.invocations = 0

    def invoke(
        self,
        FunctionName: str,
        InvocationType: str = "RequestResponse",  # boto3's argument names
        Payload: str | bytes = "{}",
    ) -> dict[str, Any]:
        if self.target is None:
            raise RuntimeError("LocalLambdaClient has no target handler")
        event = json.loads(Payload)
        context = self.context_factory() if self.context_factory else None
        with self._lock:
            self.invocations += 1
        if InvocationType == "Event":
            with self._lock:  # registered before it can finish, so wait() never misses it
                future = self._executor.submit(self._run, event, context)
                self._pending.add(future)
            future.add_done_callback(self._done)
            return {"StatusCode": 202}
        return {"StatusCode": 200, "Payload": self._run(event, context)}

    def _run(self, event: dict[str, Any], context: Any) -> Any:
        assert self.target is not None
        try:
            return self.target(event, context)
        except Exception:
            # AWS would log this in the function's log stream and retry the async invocation.
            logger.exception("lazy invocation failed")
            raise

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)
            self._lock.notify_all()

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until every background invocation (including ones they start) has finished."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending, timeout=timeout)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
