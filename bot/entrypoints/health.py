"""The harmless health-check event every Lambda entry point answers (``crewbot deploy verify`` sends it).

``{"crewbot": "health-check"}`` builds the function's runtime as a real invocation would (configuration,
secrets the entry point needs, plugins) and reports whether what the function is configured to run
(``CREWBOT_WORKFLOW_TASK``, ``CREWBOT_SCHEDULE``, ``CREWBOT_EVENT_HANDLER``, ``CREWBOT_QUEUE``) is
registered, without running it: nothing is written, sent or started.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

#: The event ``crewbot deploy verify`` invokes every function with.
HEALTH_CHECK: dict[str, str] = {"crewbot": "health-check"}


def is_health_check(event: Any) -> bool:
    """Whether ``event`` is the health check (no real trigger sends this shape)."""
    return isinstance(event, dict) and event.get("crewbot") == HEALTH_CHECK["crewbot"] and len(event) == 1


def report(kind: str, name: str, registered: Iterable[str]) -> dict[str, Any]:
    """The answer: ``ok`` when ``name`` is among the ``registered`` ones of its ``kind``."""
    known = sorted(registered)
    ok = name in known
    answer: dict[str, Any] = {
        "ok": ok,
        "runs": f"{kind} {name}",
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""),
    }
    if not ok:
        answer["error"] = f"no {kind} named {name!r} is registered (known: {', '.join(known) or 'none'})"
    return answer
