"""``crewbot deploy rollback [--to VERSION]`` and ``deploy promote``: move the functions' ``live`` alias.

Every ``terraform apply`` that changes a function publishes a version and points its ``live`` alias at
it; every caller (API Gateway, Step Functions, EventBridge, Scheduler, SQS mappings, the lazy listeners)
invokes the alias. A rollback moves each alias to the function's previous published version (or to
``VERSION``), in seconds and without a package or a plan; ``promote`` moves it forward again (to the
newest version, or to ``VERSION``). Each move is recorded in the audit log (scope ``operations``).

The next ``terraform apply`` points the aliases at what it publishes again: roll back, fix, apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.deploy.dlq import AUDIT_SCOPE, operator

ALIAS = "live"


@dataclass(frozen=True)
class Move:
    """One function's alias: where it pointed, where it points now (equal: nothing to do), and why not."""

    function: str
    before: str
    after: str
    problem: str = ""


def _versions(lam: Any, name: str) -> list[int]:
    found: list[int] = []
    for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        found += [int(v["Version"]) for v in page.get("Versions", []) if v["Version"].isdigit()]
    return sorted(found)


def plan(crewbot: Any, lam: Any, *, forward: bool, to: str | None = None, only: str | None = None) -> list[Move]:
    """Where each deployed function's ``live`` alias would go (nothing is changed)."""
    from bot.deploy.catalog import build_catalog

    names = sorted(build_catalog(crewbot).functions)
    if only is not None:
        if only not in names:
            raise LookupError(f"no function {only!r} is deployed (known: {', '.join(names)})")
        names = [only]
    moves: list[Move] = []
    for logical in names:
        physical = crewbot.namer.function(logical)
        try:
            current = str(lam.get_alias(FunctionName=physical, Name=ALIAS)["FunctionVersion"])
        except Exception as exc:  # not deployed, or deployed before aliases
            moves.append(Move(logical, "", "", f"has no {ALIAS} alias ({type(exc).__name__}): `terraform apply`"))
            continue
        versions = _versions(lam, physical)
        if to is not None:
            target = to if to.isdigit() and int(to) in versions else ""
            problem = "" if target else f"has no version {to} (versions: {', '.join(map(str, versions))})"
        elif forward:
            target, problem = (str(versions[-1]), "") if versions else (current, "no published version")
        else:
            older = [v for v in versions if current.isdigit() and v < int(current)]
            target, problem = (str(older[-1]), "") if older else (current, "")
        moves.append(Move(logical, current, target or current, problem))
    return moves


def apply(crewbot: Any, lam: Any, moves: list[Move], action: str) -> list[Move]:
    """Move the aliases as planned (all or nothing: any problem moves none) and audit each move."""
    if any(m.problem for m in moves):
        return []
    actor = operator(crewbot)
    done = []
    for move in moves:
        if move.after == move.before:
            continue
        lam.update_alias(FunctionName=crewbot.namer.function(move.function), Name=ALIAS, FunctionVersion=move.after)
        crewbot.records.audit.record(
            AUDIT_SCOPE, actor, f"deploy.{action}", move.function, before=move.before, after=move.after
        )
        done.append(move)
    return done
