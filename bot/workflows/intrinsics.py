"""ASL intrinsic functions (``States.Format('Hi {}', $.name)`` ...), parsed once and evaluated per call.

Supported: Format, StringToJson, JsonToString, Array, ArrayPartition, ArrayContains, ArrayRange,
ArrayGetItem, ArrayLength, ArrayUnique, Base64Encode, Base64Decode, Hash, JsonMerge, MathRandom,
MathAdd, StringSplit, UUID. Arguments are string literals in single quotes (``\\'``, ``\\{``, ``\\}``,
``\\\\`` escape), numbers, ``true`` / ``false`` / ``null``, paths (``$.x``, ``$$.Execution.Id``) and
nested calls.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.workflows.paths import PathError, check_path, read


class IntrinsicError(PathError):
    """An intrinsic function failed; the runner reports it as ``States.Runtime``."""


@dataclass(frozen=True)
class _Lit:
    value: Any
    # For string literals: the text split at unescaped "{}" (what States.Format fills in).
    pieces: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Path:
    path: str


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[_Lit | _Path | _Call, ...]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.i = 0

    def fail(self, why: str) -> ValueError:
        return ValueError(f"invalid intrinsic function {self.text!r} at character {self.i}: {why}")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def call(self) -> _Call:
        start = self.i
        while self.peek().isalnum() or self.peek() == ".":
            self.i += 1
        name = self.text[start : self.i]
        if not name.startswith("States."):
            raise self.fail(f"expected a function like States.Format, found {name!r}")
        if self.peek() != "(":
            raise self.fail("expected '('")
        self.i += 1
        args: list[_Lit | _Path | _Call] = []
        self.skip_spaces()
        if self.peek() == ")":
            self.i += 1
            return _Call(name, ())
        while True:
            args.append(self.arg())
            self.skip_spaces()
            ch = self.peek()
            self.i += 1
            if ch == ")":
                return _Call(name, tuple(args))
            if ch != ",":
                raise self.fail("expected ',' or ')'")

    def arg(self) -> _Lit | _Path | _Call:
        self.skip_spaces()
        ch = self.peek()
        if ch == "'":
            return self.string()
        if ch == "$":
            return self.path()
        if self.text.startswith("States.", self.i):
            return self.call()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.i):
                self.i += len(word)
                return _Lit(value)
        start = self.i
        while self.peek() and self.peek() in "+-0123456789.eE":
            self.i += 1
        number = self.text[start : self.i]
        if not number:
            raise self.fail("expected an argument")
        try:
            return _Lit(json.loads(number))
        except json.JSONDecodeError:
            raise self.fail(f"{number!r} is not a number") from None

    def string(self) -> _Lit:
        self.i += 1
        chars: list[str] = []
        pieces: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("unterminated string")
            self.i += 1
            if ch == "\\":
                nxt = self.peek()
                if not nxt:
                    raise self.fail("dangling escape")
                chars.append(nxt)
                self.i += 1
            elif ch == "'":
                pieces.append("".join(chars))
                return _Lit("{}".join(pieces), tuple(pieces))
            elif ch == "{" and self.peek() == "}":
                pieces.append("".join(chars))
                chars = []
                self.i += 1
            else:
                chars.append(ch)

    def path(self) -> _Path:
        start = self.i
        depth = 0
        quote = ""
        while self.i < len(self.text):
            ch = self.text[self.i]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif ch in "[(":
                depth += 1
            elif ch in "])":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
            self.i += 1
        path = self.text[start : self.i].strip()
        try:
            check_path(path)
        except ValueError as exc:
            raise self.fail(str(exc)) from None
        return _Path(path)


@lru_cache(maxsize=512)
def parse(text: str) -> _Call:
    """Parse an intrinsic function call; ``ValueError`` naming the text and position otherwise."""
    parser = _Parser(text.strip())
    call = parser.call()
    parser.skip_spaces()
    if parser.i != len(parser.text):
        raise parser.fail("unexpected text after the call")
    _check_call(call)
    return call


def _check_call(call: _Call) -> None:
    spec = _FUNCTIONS.get(call.name)
    if spec is None:
        raise ValueError(f"unsupported intrinsic function {call.name} (supported: {', '.join(sorted(_FUNCTIONS))})")
    low, high, _ = spec
    if not low <= len(call.args) <= (high if high >= 0 else len(call.args)):
        raise ValueError(
            f"{call.name} takes {low}{'' if high == low else '+' if high < 0 else f'-{high}'} "
            f"argument(s), got {len(call.args)}"
        )
    for arg in call.args:
        if isinstance(arg, _Call):
            _check_call(arg)


def evaluate(text: str, data: Any, context: Any) -> Any:
    """Evaluate an intrinsic function call against the state's data and context object."""
    try:
        call = parse(text)
    except ValueError as exc:
        raise IntrinsicError(str(exc)) from None
    return _eval(call, data, context)


def _eval(node: _Lit | _Path | _Call, data: Any, context: Any) -> Any:
    if isinstance(node, _Lit):
        return node.value
    if isinstance(node, _Path):
        return read(node.path, data, context)
    _, _, impl = _FUNCTIONS[node.name]
    if node.name == "States.Format":
        template = node.args[0]
        if not isinstance(template, _Lit) or template.pieces is None:
            template_value = _eval(template, data, context)
            if not isinstance(template_value, str):
                raise IntrinsicError("States.Format: the template must be a string")
            template = _Lit(template_value, tuple(template_value.split("{}")))
        values = [_eval(arg, data, context) for arg in node.args[1:]]
        return _format(template.pieces or (), values)
    args = [_eval(arg, data, context) for arg in node.args]
    try:
        return impl(*args)
    except IntrinsicError:
        raise
    except Exception as exc:
        raise IntrinsicError(f"{node.name} failed: {exc}") from None


def _format(pieces: tuple[str, ...], values: list[Any]) -> str:
    if len(pieces) - 1 != len(values):
        raise IntrinsicError(f"States.Format: {len(pieces) - 1} placeholder(s) but {len(values)} value(s)")
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(_format_value(value))
        out.append(piece)
    return "".join(out)


def _format_value(value: Any) -> str:
    """How Step Functions writes a value into ``States.Format``: strings as they are, objects and
    arrays the way Java prints maps and lists (``{a=1, b=[x, y]}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_format_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    return json.dumps(value)


def _number(value: Any, fn: str) -> int:
    """A numeric argument as Step Functions takes it: rounded half up to an integer (``1.5`` → 2,
    ``-1.5`` → -1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IntrinsicError(f"{fn}: unexpected argument {value!r}")
    return value if isinstance(value, int) else math.floor(value + 0.5)


def _string_to_json(text: Any) -> Any:
    # An empty (or blank) string is null, as in Step Functions.
    text = _need(str, text, "States.StringToJson")
    return json.loads(text) if text.strip() else None


def _need(kind: type | tuple[type, ...], value: Any, fn: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise IntrinsicError(f"{fn}: unexpected argument {value!r}")
    return value


def _partition(array: Any, size: Any) -> list[Any]:
    _need(list, array, "States.ArrayPartition")
    if _need(int, size, "States.ArrayPartition") <= 0:
        raise IntrinsicError("States.ArrayPartition: the chunk size must be positive")
    return [array[i : i + size] for i in range(0, len(array), size)]


def _range(start: Any, end: Any, step: Any) -> list[int]:
    for value in (start, end, step):
        _need(int, value, "States.ArrayRange")
    if step == 0:
        raise IntrinsicError("States.ArrayRange: the step must not be 0")
    result = list(range(start, end + (1 if step > 0 else -1), step))
    if len(result) > 1000:
        raise IntrinsicError("States.ArrayRange: at most 1000 items")
    return result


def _unique(array: Any) -> list[Any]:
    out: list[Any] = []
    for item in _need(list, array, "States.ArrayUnique"):
        if item not in out:
            out.append(item)
    return out


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(value: Any, algorithm: Any) -> str:
    if algorithm not in _HASHES:
        raise IntrinsicError(f"States.Hash: algorithm must be one of {', '.join(_HASHES)}")
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _merge(left: Any, right: Any, deep: Any) -> dict[str, Any]:
    _need(dict, left, "States.JsonMerge")
    _need(dict, right, "States.JsonMerge")
    if deep is not False:
        raise IntrinsicError("States.JsonMerge: only shallow merges (false) are supported, as in Step Functions")
    return {**left, **right}


def _split(text: Any, delimiters: Any) -> list[str]:
    _need(str, text, "States.StringSplit")
    _need(str, delimiters, "States.StringSplit")
    parts = [text]
    for delimiter in delimiters:
        parts = [piece for part in parts for piece in part.split(delimiter)]
    return [part for part in parts if part]


def _random(start: Any, end: Any, seed: Any = None) -> int:
    low, high = _number(start, "States.MathRandom"), _number(end, "States.MathRandom")
    rng = random.Random(_number(seed, "States.MathRandom")) if seed is not None else random.Random()
    return rng.randint(low, high - 1) if high > low else low


_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "States.Format": (1, -1, lambda *a: None),  # evaluated specially (placeholders in the literal)
    "States.StringToJson": (1, 1, _string_to_json),
    "States.JsonToString": (1, 1, lambda v: json.dumps(v, separators=(",", ":"))),
    "States.Array": (0, -1, lambda *a: list(a)),
    "States.ArrayPartition": (2, 2, _partition),
    "States.ArrayContains": (2, 2, lambda a, v: v in _need(list, a, "States.ArrayContains")),
    "States.ArrayRange": (3, 3, _range),
    "States.ArrayGetItem": (2, 2, lambda a, i: _need(list, a, "States.ArrayGetItem")[_need(int, i, "ArrayGetItem")]),
    "States.ArrayLength": (1, 1, lambda a: len(_need(list, a, "States.ArrayLength"))),
    "States.ArrayUnique": (1, 1, _unique),
    "States.Base64Encode": (1, 1, lambda s: base64.b64encode(_need(str, s, "States.Base64Encode").encode()).decode()),
    "States.Base64Decode": (1, 1, lambda s: base64.b64decode(_need(str, s, "States.Base64Decode")).decode()),
    "States.Hash": (2, 2, _hash),
    "States.JsonMerge": (3, 3, _merge),
    "States.MathRandom": (2, 3, _random),
    "States.MathAdd": (2, 2, lambda a, b: _number(a, "States.MathAdd") + _number(b, "States.MathAdd")),
    "States.StringSplit": (2, 2, _split),
    "States.UUID": (0, 0, lambda: str(uuid.uuid4())),
}
