"""The JSONPath side of ASL: reading paths, InputPath / Parameters / ResultSelector / ResultPath / OutputPath.

Paths are read with ``jsonpath-ng`` (its extended parser, so filters work). A *definite* path (only
fields and single indexes) yields one value and is an error when absent; any other path (wildcards,
slices, filters, ``..``) yields the list of matches, as in Step Functions. ``$$`` paths read the
context object. Errors raise :class:`PathError`, which the runner reports as ``States.Runtime``, in
Step Functions' wording. Payload templates (``Parameters`` ...) are rendered by
:mod:`bot.workflows.templates`, which uses this module and the intrinsic functions.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as _parse


class PathError(Exception):
    """A path could not be applied (absent, wrong type, invalid). Reported as ``States.Runtime``."""


class Context(dict[str, Any]):
    """The context object (``$$``), carrying the workflow variables a ``$name`` path reads."""

    def __init__(self, data: dict[str, Any], variables: dict[str, Any] | None = None):
        super().__init__(data)
        self.variables = variables or {}


_VARIABLE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$", re.DOTALL)


def variable_of(path: str) -> tuple[str, str] | None:
    """``$name.a[0]`` → ``("name", "$.a[0]")``; ``None`` for ``$``, ``$.x`` and ``$$`` paths."""
    match = _VARIABLE.match(path)
    return (match.group(1), "$" + match.group(2)) if match else None


def _short(data: Any) -> str:
    text = json.dumps(data, default=str, separators=(",", ":"))
    return text if len(text) <= 200 else text[:197] + "..."


def _bracketed(expr: jp.JSONPath) -> str:
    """A definite path as Step Functions spells it in errors: ``$.a[0]`` → ``$['a'][0]``."""
    if isinstance(expr, jp.Root):
        return "$"
    if isinstance(expr, jp.Child):
        return _bracketed(expr.left) + _bracketed(expr.right)
    if isinstance(expr, jp.Fields):
        return f"['{expr.fields[0]}']"
    if isinstance(expr, jp.Index):
        return f"[{expr.indices[0]}]"
    return ""


@lru_cache(maxsize=1024)
def compile_path(path: str) -> jp.JSONPath:
    """Parse a JSONPath (``$...``); ``ValueError`` naming the path when it is not valid."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError(f"{path!r} is not a JSONPath (paths start with '$')")
    try:
        # Step Functions keeps a backslash before a double quote inside a quoted name as it is
        # (``$['a\\"b']`` names the key ``a\\"b``); the parser would drop it.
        return _parse(path.replace('\\"', '\\\\"'))
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # the parser raises bare Exceptions too
        raise ValueError(f"invalid JSONPath {path!r}: {exc}") from None


def is_definite(expr: jp.JSONPath) -> bool:
    """Whether ``expr`` selects at most one node (a *reference path* in ASL terms)."""
    if isinstance(expr, jp.Root | jp.This):
        return True
    if isinstance(expr, jp.Child):
        return is_definite(expr.left) and is_definite(expr.right)
    if isinstance(expr, jp.Fields):
        return len(expr.fields) == 1 and expr.fields[0] != "*"
    if isinstance(expr, jp.Index):
        return len(getattr(expr, "indices", (0,))) == 1
    return False


def check_path(path: str, *, reference: bool = False, context_allowed: bool = True) -> None:
    """Validate a path at load time (``ValueError`` with the reason)."""
    if path.startswith("$$"):
        if not context_allowed:
            raise ValueError(f"{path!r}: the context object ($$) cannot be used here")
        path = path[1:]
    variable = variable_of(path)
    if variable is not None:
        if not context_allowed:
            raise ValueError(f"{path!r}: a variable cannot be used here")
        path = variable[1]
    expr = compile_path(path)
    if reference and not is_definite(expr):
        raise ValueError(f"{path!r} must be a reference path (fields and single indexes only)")


def read(path: str, data: Any, context: Any = None, field: str | None = None) -> Any:
    """The value at ``path`` in ``data`` (``$$...`` reads ``context``). ``field`` names where the
    path came from (``"value.$"``, ``"ErrorPath"``) in the error when it is absent."""
    source = data
    expr_text = path
    if path.startswith("$$"):
        source, expr_text = context, path[1:]
        if expr_text == "$":
            return json.loads(json.dumps(context))  # the context object itself, as plain data
    elif (variable := variable_of(path)) is not None:
        variables = getattr(context, "variables", {})
        if variable[0] not in variables:
            raise PathError(f"The variable '${variable[0]}' is not defined" + (f" (field '{field}')" if field else ""))
        source, expr_text = variables[variable[0]], variable[1]
    try:
        expr = compile_path(expr_text)
    except ValueError as exc:
        raise PathError(str(exc)) from None
    matches = expr.find(source)
    if is_definite(expr):
        if not matches:
            if field is None:
                raise PathError(f"Invalid path '{path}' : No results for path: {_bracketed(expr)}")
            raise PathError(
                f"The JSONPath '{path}' specified for the field '{field}' could not be found "
                f"in the input '{_short(data)}'"
            )
        return matches[0].value
    return [match.value for match in matches]


def has_path(path: str, data: Any, context: Any = None) -> bool:
    try:
        read(path, data, context)
    except PathError:
        return False
    return True


def _segments(path: str) -> list[str | int]:
    """The field/index steps of a reference path, for writing (``$.a.b[0]`` → ``["a", "b", 0]``)."""
    expr = compile_path(path)
    steps: list[str | int] = []

    def walk(node: jp.JSONPath) -> None:
        if isinstance(node, jp.Root):
            return
        if isinstance(node, jp.Child):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, jp.Fields) and len(node.fields) == 1 and node.fields[0] != "*":
            steps.append(node.fields[0])
        elif isinstance(node, jp.Index) and len(node.indices) == 1:
            steps.append(node.indices[0])
        else:
            raise ValueError(f"{path!r} must be a reference path (fields and single indexes only)")

    walk(expr)
    return steps


def apply_result_path(path: str | None, state_input: Any, result: Any) -> Any:
    """``ResultPath``: ``null`` keeps the input, ``$`` replaces it, ``$.a.b`` sets a copy's field."""
    if path is None:
        return state_input
    steps = _segments(path)
    if not steps:
        return result
    if not isinstance(state_input, dict):
        raise PathError(f"Unable to apply ResultPath {path!r} to input {_short(state_input)}: it is not an object")
    output = copy.deepcopy(state_input)
    node: Any = output
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                raise PathError(f"Unable to apply ResultPath {path!r}: no list item {step}")
            if last:
                node[step] = result
            else:
                node = node[step]
            continue
        if not isinstance(node, dict):
            raise PathError(f"Unable to apply ResultPath {path!r} to input {_short(state_input)}")
        if last:
            node[step] = result
        else:
            node = node.setdefault(step, {})
    return output


def select(path: str | None, data: Any, context: Any = None) -> Any:
    """``InputPath`` / ``OutputPath`` / ``ItemsPath``: ``null`` gives ``{}``, otherwise the path's value."""
    if path is None:
        return {}
    return read(path, data, context)
