"""JSONata in ASL: ``"{% expression %}"`` strings, evaluated with ``jsonata-python``.

In a state whose query language is JSONata, any string of the form ``{% ... %}`` inside ``Arguments``,
``Output``, ``Assign``, ``Items``, ``ItemSelector``, a choice ``Condition``, Wait's ``Seconds`` /
``Timestamp``, Fail's ``Error`` / ``Cause`` and ``MaxConcurrency`` is an expression; every other value
is taken literally. Expressions see ``$states`` (``input``, ``result``, ``errorOutput``, ``context``)
and the workflow variables (``$name``). Errors are :class:`QueryError`, which the runner reports as
``States.QueryEvaluationError`` in Step Functions' wording.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from functools import lru_cache
from typing import Any


def _library() -> Any:
    # Imported on first use: a definition without JSONata never loads the evaluator.
    import jsonata

    return jsonata


QUERY_ERROR = "States.QueryEvaluationError"


class QueryError(Exception):
    """A JSONata expression failed, returned nothing, or returned something unusable."""


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def body(value: str) -> str:
    """The expression inside ``{% ... %}``."""
    return value[2:-2].strip()


def _partition(array: Any, size: Any) -> list[Any]:
    if not isinstance(array, list) or isinstance(size, bool) or not isinstance(size, int | float) or size < 1:
        raise ValueError("$partition needs an array and a positive chunk size")
    step = int(size)
    return [array[i : i + step] for i in range(0, len(array), step)]


def _range(start: Any, end: Any, step: Any = 1) -> Any:
    numbers = (start, end, step)
    if any(isinstance(n, bool) or not isinstance(n, int | float) for n in numbers) or step == 0:
        raise ValueError("$range needs numbers and a step other than 0")
    out = []
    value = start
    while (value <= end) if step > 0 else (value >= end):
        out.append(value)
        value += step
    # A JSONata sequence of one value is that value (as Step Functions returns it).
    return out[0] if len(out) == 1 else out


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(value: Any, algorithm: Any = "SHA-256") -> str:
    if algorithm not in _HASHES:
        raise ValueError(f"$hash: the algorithm must be one of {', '.join(_HASHES)}")
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    return random.Random(seed).random() if seed is not None else random.random()


#: The functions Step Functions adds to JSONata.
_STEP_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": lambda: str(uuid.uuid4()),
    "parse": lambda text: json.loads(text),
}


@lru_cache(maxsize=2048)
def _compiled(text: str) -> Any:
    # Wrapped in an object constructor: a field whose value is undefined is left out, one that is
    # null is kept, which tells "returned nothing" from null.
    expression = _library().Jsonata("{'v': (" + text + ")}")
    for name, function in _STEP_FUNCTIONS.items():
        expression.register_lambda(name, function)
    return expression


def check(value: str) -> None:
    """Parse ``{% ... %}`` at load time; ``ValueError`` saying why it is not valid JSONata."""
    try:
        _compiled(body(value))
    except Exception as exc:  # the parser raises its own JException (a RuntimeError)
        raise ValueError(f"invalid JSONata expression {body(value)!r}: {exc}") from None


def check_template(template: Any, where: str) -> None:
    """Every expression in a template (objects and arrays are walked) parses."""
    if isinstance(template, dict):
        for key, item in template.items():
            check_template(item, f"{where}.{key}")
    elif isinstance(template, list):
        for i, item in enumerate(template):
            check_template(item, f"{where}[{i}]")
    elif is_expression(template):
        try:
            check(template)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


def _plain(value: Any) -> Any:
    """JSONata's sequences and numbers as plain JSON values (``2.0`` → ``2``)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def evaluate(value: str, bindings: dict[str, Any], field: str) -> Any:
    """The value of expression ``value`` (``{% ... %}``) for ``field`` (named in errors)."""
    text = body(value)
    # A variable holding null must read as null, not as an unbound (undefined) name.
    null = _library().utils.Utils.NULL_VALUE
    bindings = {key: null if item is None else item for key, item in bindings.items()}
    try:
        result = _compiled(text).evaluate(None, bindings)
    except TypeError:  # the library cannot place a function (or another non-JSON value) in an object
        raise QueryError(
            f"The JSONata expression '{text}' specified for the field '{field}' returned an unsupported result type."
        ) from None
    except Exception as exc:
        raise QueryError(
            f"The JSONata expression '{text}' specified for the field '{field}' threw an error: {exc}"
        ) from None
    if not isinstance(result, dict) or "v" not in result:
        raise QueryError(
            f"The JSONata expression '{text}' specified for the field '{field}' returned nothing (undefined)."
        )
    out = result["v"]
    try:
        return json.loads(json.dumps(_plain(out), allow_nan=False))
    except (TypeError, ValueError):
        raise QueryError(
            f"The JSONata expression '{text}' specified for the field '{field}' returned an unsupported result type."
        ) from None


def render(template: Any, bindings: dict[str, Any], field: str) -> Any:
    """``template`` with every ``{% ... %}`` string replaced by its value."""
    if isinstance(template, dict):
        return {key: render(item, bindings, f"{field}/{key}") for key, item in template.items()}
    if isinstance(template, list):
        return [render(item, bindings, field) for item in template]
    if is_expression(template):
        return evaluate(template, bindings, field)
    return json.loads(json.dumps(template))


def type_name(value: Any) -> str:
    """A value's JSON type as Step Functions names it in errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
