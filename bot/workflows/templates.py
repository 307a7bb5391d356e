"""Payload templates: ``Parameters``, ``ResultSelector``, ``ItemSelector`` (JSONPath states).

A template is copied, and every ``"key.$": "<path or intrinsic function>"`` becomes ``"key": <value>``.
Paths are read with :mod:`bot.workflows.paths`, intrinsic functions evaluated with
:mod:`bot.workflows.intrinsics`; this module sits above both, so neither imports the other's caller.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.workflows.intrinsics import evaluate
from bot.workflows.paths import PathError, read


def render(template: Any, data: Any, context: Any) -> Any:
    """``template`` with its ``.$`` fields filled from ``data`` and the context object."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    raise PathError(f"the value of {key!r} must be a path or an intrinsic function")
                if value.startswith("$"):
                    out[key[:-2]] = read(value, data, context, field=key)
                else:
                    out[key[:-2]] = evaluate(value, data, context)
            else:
                out[key] = render(value, data, context)
        return out
    if isinstance(template, list):
        return [render(value, data, context) for value in template]
    return copy.deepcopy(template)
