"""Choice rules: the comparison operators of ASL's ``Choice`` state (JSONPath flavour)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.workflows.paths import PathError, check_path, has_path, read

_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_OPS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
COMPARISONS: frozenset[str] = frozenset(
    [
        f"{kind}{op}{suffix}"
        for kind in _KINDS
        for op in _OPS
        for suffix in ("", "Path")
        if kind != "Boolean" or op == "Equals"
    ]
    + ["StringMatches"]
)
TYPE_TESTS: frozenset[str] = frozenset({"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"})
OPERATORS = COMPARISONS | TYPE_TESTS


def check_rule(rule: Any, where: str, top: bool = True) -> None:
    """Validate a choice rule at load time; ``ValueError`` naming ``where`` otherwise."""
    if not isinstance(rule, dict):
        raise ValueError(f"{where}: a choice rule must be an object")
    allowed = {"Next", "Assign"} if top else set()
    combinators = [key for key in ("And", "Or", "Not") if key in rule]
    if combinators:
        key = combinators[0]
        extra = set(rule) - allowed - {key, "Comment"}
        if len(combinators) > 1 or extra:
            raise ValueError(f"{where}: unexpected field(s) {sorted(extra or combinators)} beside {key}")
        if key == "Not":
            check_rule(rule["Not"], f"{where}.Not", top=False)
        else:
            if not isinstance(rule[key], list) or not rule[key]:
                raise ValueError(f"{where}.{key}: must be a non-empty list of rules")
            for i, sub in enumerate(rule[key]):
                check_rule(sub, f"{where}.{key}[{i}]", top=False)
        return
    ops = [key for key in rule if key in OPERATORS]
    unknown = set(rule) - allowed - set(ops) - {"Variable", "Comment"}
    if unknown:
        raise ValueError(f"{where}: unsupported field(s) {sorted(unknown)} (JSONata 'Condition' is not supported)")
    if len(ops) != 1:
        raise ValueError(f"{where}: a rule needs exactly one comparison operator, found {ops or 'none'}")
    if "Variable" not in rule:
        raise ValueError(f"{where}: missing 'Variable'")
    try:
        check_path(rule["Variable"])
        op = ops[0]
        if op.endswith("Path"):
            check_path(rule[op])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _matches(value: str, pattern: str) -> bool:
    # '*' is the only wildcard; '\*' is a literal star.
    regex = "".join(
        ".*" if part == "*" else re.escape(part.replace("\\*", "*")) for part in re.split(r"(?<!\\)(\*)", pattern)
    )
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _compare(kind: str, op: str, left: Any, right: Any) -> bool:
    if kind == "String":
        if not isinstance(left, str) or not isinstance(right, str):
            return False
    elif kind == "Numeric":
        if not _number(left) or not _number(right):
            return False
    elif kind == "Boolean":
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    else:
        left, right = _timestamp(left), _timestamp(right)
        if left is None or right is None:
            return False
    if op == "Equals":
        return bool(left == right)
    if op == "LessThan":
        return bool(left < right)
    if op == "GreaterThan":
        return bool(left > right)
    if op == "LessThanEquals":
        return bool(left <= right)
    return bool(left >= right)


def evaluate(rule: dict[str, Any], data: Any, context: Any) -> bool:
    """Whether ``rule`` holds for ``data``. A missing variable fails with :class:`PathError`
    (``States.Runtime``) except under ``IsPresent``."""
    if "And" in rule:
        return all(evaluate(sub, data, context) for sub in rule["And"])
    if "Or" in rule:
        return any(evaluate(sub, data, context) for sub in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], data, context)
    op = next(key for key in rule if key in OPERATORS)
    expected = rule[op]
    variable = rule["Variable"]
    if op == "IsPresent":
        return has_path(variable, data, context) is bool(expected)
    value = read(variable, data, context)
    if op in TYPE_TESTS:
        actual = {
            "IsNull": value is None,
            "IsNumeric": _number(value),
            "IsString": isinstance(value, str),
            "IsBoolean": isinstance(value, bool),
            "IsTimestamp": _timestamp(value) is not None,
        }[op]
        return actual is bool(expected)
    if op == "StringMatches":
        return isinstance(value, str) and isinstance(expected, str) and _matches(value, expected)
    if op.endswith("Path"):
        op = op[:-4]
        expected = read(expected, data, context)
    kind = next(k for k in _KINDS if op.startswith(k))
    return _compare(kind, op[len(kind) :], value, expected)


__all__ = ["OPERATORS", "PathError", "check_rule", "evaluate"]
