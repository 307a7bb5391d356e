"""Conformance with AWS Step Functions: executions recorded on real AWS (``../shared/corpora/asl-aws``)
replayed on the local runner through :class:`~bot.workflows.sandbox.Sandbox` (what ``crewbot workflows
run`` uses). Prints the agreement per group; fails if it drops below the floors.

In the recordings, ``<...>`` placeholders and a few literal tokens (``"date"``, ``"snf_role_arn"`` ...)
stand for values the recording replaced (ARNs, times, random numbers), and non-object outputs are
kept as JSON text; :func:`matches` reads them so.
"""

from __future__ import annotations

import collections
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.workflows.errors import DefinitionError, WorkflowError
from bot.workflows.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CREWBOT_SHARED") or REPO.parent / "shared")
CASES = SHARED / "corpora" / "asl-aws" / "cases.json"

#: Agreement floors (status, output, error and cause all equal), a little below what the runner reaches.
FLOORS = {"core": 720, "intrinsic": 131, "jsonata": 130}

_PLACEHOLDER = re.compile(r"<[^<>\"]+>")
_ANY_STRING = {"date", "start-time", "entered-time", "snf_role_arn"}  # replaced times and role ARNs
_ACCOUNT = "111111111111"  # the recordings' stand-in for the account id


def matcher(expected: Any) -> Callable[[Any], bool]:
    """A predicate for values that agree with ``expected`` as recorded."""
    if expected == "RandomNumberGenerated":
        return lambda actual: isinstance(actual, int | float) and not isinstance(actual, bool)
    if isinstance(expected, str) and expected in _ANY_STRING:
        return lambda actual: isinstance(actual, str)
    if isinstance(expected, str):
        try:
            parsed = json.loads(expected)  # an output kept as JSON text
        except ValueError:
            pass
        else:
            inner = matcher(parsed)
            return lambda actual: actual == expected or inner(actual)
    if isinstance(expected, str) and (_PLACEHOLDER.search(expected) or _ACCOUNT in expected):
        parts = re.split(rf"(<[^<>\"]+>|{_ACCOUNT})", expected)
        pattern = "".join(
            ".+?" if _PLACEHOLDER.fullmatch(p) else r"\d{12}" if p == _ACCOUNT else re.escape(p) for p in parts
        )
        return lambda actual: isinstance(actual, str) and re.fullmatch(pattern, actual, re.DOTALL) is not None
    if isinstance(expected, dict):
        fields = {key: matcher(value) for key, value in expected.items()}
        return lambda actual: (
            isinstance(actual, dict) and set(actual) == set(fields) and all(fields[k](actual[k]) for k in fields)
        )
    if isinstance(expected, list):
        items = [matcher(value) for value in expected]
        return lambda actual: (
            isinstance(actual, list)
            and len(actual) == len(items)
            and all(m(a) for m, a in zip(items, actual, strict=True))
        )
    return lambda actual: actual == expected and isinstance(actual, bool) == isinstance(expected, bool)


def matches(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    if got["status"] != expected["status"]:
        return False
    if expected["status"] == "SUCCEEDED":
        return matcher(expected.get("output"))(got["output"])
    return matcher(expected.get("error"))(got["error"]) and matcher(expected.get("cause"))(got["cause"])


def replay(sandbox: Sandbox, index: int, case: dict[str, Any]) -> dict[str, Any]:
    try:
        definition = sandbox.load(case["definition"], f"case{index}")
        result = sandbox.run(definition, case["input"])
    except DefinitionError as exc:
        return {"status": "REJECTED", "error": None, "cause": str(exc), "output": None}
    except WorkflowError as exc:
        return {"status": "REFUSED", "error": None, "cause": str(exc), "output": None}
    return {"status": result.status, "output": result.output, "error": result.error, "cause": result.cause}


def groups(case: dict[str, Any]) -> list[str]:
    found = [case["group"]]
    if case["group"] == "core" and "intrinsic_functions" in case["nodeid"]:
        found.append("intrinsic")
    return found


@pytest.mark.skipif(not CASES.exists(), reason=f"the AWS corpus is not present at {CASES}")
def test_agreement_with_executions_recorded_on_aws(capsys: pytest.CaptureFixture[str]) -> None:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    total: collections.Counter[str] = collections.Counter()
    agreed: collections.Counter[str] = collections.Counter()
    rejected: collections.Counter[str] = collections.Counter()
    misses: list[str] = []
    with Sandbox(start=datetime(2026, 1, 5, 9, 0, tzinfo=UTC)) as sandbox:
        for index, case in enumerate(cases):
            got = replay(sandbox, index, case)
            ok = matches(case["expected"], got)
            for group in groups(case):
                total[group] += 1
                agreed[group] += ok
                rejected[group] += got["status"] == "REJECTED"
            if not ok:
                misses.append(f"{case['group']}: {case['nodeid'].split('::', 1)[-1]} → {got['status']} {got['cause']}")
    with capsys.disabled():
        print("\nagreement with AWS Step Functions recordings:")
        for group in ("core", "intrinsic", "jsonata"):
            share = 100 * agreed[group] / max(total[group], 1)
            print(
                f"  {group:<9} {agreed[group]:>4} / {total[group]:<4} ({share:.1f} %), "
                f"{rejected[group]} rejected at load"
            )
    for group, floor in FLOORS.items():
        assert agreed[group] >= floor, f"{group}: {agreed[group]} < {floor}\n" + "\n".join(misses[:40])
