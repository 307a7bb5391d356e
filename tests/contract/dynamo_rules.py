"""Rules real DynamoDB enforces that moto does not, checked on every request the adapter sends.

DynamoDB rejects an expression whose parentheses do not change precedence ("Invalid
ConditionExpression: The expression has redundant parentheses"): ``a OR (b AND c)``, ``(a OR b)``
alone, ``((a))``. moto only catches ``((``, so a lenient test could pass code AWS refuses. DynamoDB
also rejects expression attribute names or values that no expression uses.
"""

from __future__ import annotations

import re
from typing import Any

EXPRESSIONS = ("ConditionExpression", "FilterExpression", "KeyConditionExpression")
ALL_EXPRESSIONS = (*EXPRESSIONS, "ProjectionExpression", "UpdateExpression")


def _top_level_has(text: str, word: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and text.startswith(word, i):
            return True
    return False


def redundant_parentheses(expression: str) -> list[str]:
    """The parenthesised groups of ``expression`` that do not change precedence (function calls aside)."""
    stack: list[tuple[int, bool]] = []
    groups: list[tuple[int, int]] = []
    for i, ch in enumerate(expression):
        if ch == "(":
            before = expression[i - 1] if i else " "
            stack.append((i, not (before.isalnum() or before == "_")))
        elif ch == ")":
            start, is_group = stack.pop()
            if is_group:
                groups.append((start, i))
    bad = []
    for start, end in groups:
        inner = expression[start + 1 : end]
        enclosing = [(s, e) for s, e in groups if s < start and e > end]
        parent = expression if not enclosing else expression[max(enclosing)[0] + 1 : max(enclosing)[1]]
        # A group is needed only to keep an OR together inside an AND.
        if not (_top_level_has(inner, " OR ") and _top_level_has(parent, " AND ")):
            bad.append(expression[start : end + 1])
    return bad


def unused_placeholders(params: dict[str, Any]) -> list[str]:
    """``#names`` and ``:values`` a request defines but none of its expressions uses."""
    requests = [params] + [r for r in params.get("RequestItems", {}).values() if isinstance(r, dict)]
    unused = []
    for request in requests:
        used = " ".join(str(request.get(name, "")) for name in ALL_EXPRESSIONS)
        tokens = set(re.findall(r"[#:][A-Za-z0-9_]+", used))
        defined = [*request.get("ExpressionAttributeNames", {}), *request.get("ExpressionAttributeValues", {})]
        for placeholder in defined:
            if placeholder not in tokens:
                unused.append(placeholder)
    return unused


def check_request(params: dict[str, Any], **_: Any) -> None:
    """A botocore ``provide-client-params`` hook: fail the test on a request AWS would reject."""
    for name in EXPRESSIONS:
        expression = params.get(name)
        if expression and redundant_parentheses(expression):
            raise AssertionError(
                f"{name} {expression!r} has redundant parentheses, which DynamoDB rejects: "
                f"{redundant_parentheses(expression)}"
            )
    if unused_placeholders(params):
        raise AssertionError(
            f"unused expression attribute names/values, which DynamoDB rejects: "
            f"{unused_placeholders(params)} in {params}"
        )
