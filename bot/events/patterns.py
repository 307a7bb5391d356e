"""EventBridge event patterns, so the local bus routes events exactly as the rules in AWS do.

Supported: exact values (a list of allowed values), nested fields, and the content filters
``prefix``, ``suffix``, ``anything-but`` (a value or a list), ``exists`` and ``numeric``
(``[">", 0, "<=", 5]``). Anything else is rejected by :func:`check_pattern` with the field named.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

_MISSING = object()
_NUMERIC: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FILTERS = {"prefix", "suffix", "anything-but", "exists", "numeric"}


def check_pattern(pattern: Any, where: str = "pattern") -> None:
    """``ValueError`` naming the field when ``pattern`` is not a pattern this module can match."""
    if not isinstance(pattern, Mapping) or not pattern:
        raise ValueError(f"{where}: must be a non-empty object")
    for key, value in pattern.items():
        if isinstance(value, Mapping):
            check_pattern(value, f"{where}.{key}")
        elif not isinstance(value, list) or not value:
            raise ValueError(f"{where}.{key}: must be a non-empty list of values or an object")
        else:
            for rule in value:
                if isinstance(rule, Mapping):
                    unknown = set(rule) - _FILTERS
                    if len(rule) != 1 or unknown:
                        raise ValueError(
                            f"{where}.{key}: unsupported filter {dict(rule)} (supported: {', '.join(sorted(_FILTERS))})"
                        )
                    if "numeric" in rule:
                        terms = rule["numeric"]
                        if (
                            not isinstance(terms, list)
                            or len(terms) % 2
                            or any(op not in _NUMERIC for op in terms[::2])
                        ):
                            raise ValueError(f"{where}.{key}: numeric filter must be [op, number, ...]")


def _rule_matches(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return value is not _MISSING and value == rule
    ((kind, arg),) = rule.items()
    if kind == "exists":
        return (value is not _MISSING) is bool(arg)
    if value is _MISSING:
        return False
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if kind == "anything-but":
        excluded = arg if isinstance(arg, list) else [arg]
        return value not in excluded
    terms = rule["numeric"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return all(_NUMERIC[op](value, bound) for op, bound in zip(terms[::2], terms[1::2], strict=True))


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether ``event`` (EventBridge shape: ``source``, ``detail-type``, ``detail`` ...) matches."""
    for key, rule in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if not isinstance(value, Mapping) or not matches(rule, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not any(_rule_matches(r, v) for r in rule for v in values):
            return False
    return True
