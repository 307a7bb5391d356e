"""``crewbot deploy rollback [--to VERSION]`` and ``deploy promote``: move the ``live`` aliases.

Every ``terraform apply`` that changes a function publishes a version and points its ``live`` alias at
it; every caller (API Gateway, Step Functions, EventBridge, Scheduler, SQS mappings, the lazy listeners)
invokes the alias. State machines are deployed the same way: each definition change publishes a version
and the state machine's ``live`` alias routes every execution to it (the Step Functions adapter and the
event rules start the alias). A rollback moves each alias, of the functions and of the state machines, to
its previous published version (or to ``VERSION``), in seconds and without a package or a plan;
``promote`` moves it forward again (to the newest version, or to ``VERSION``). Running executions finish
on the version they started on; new ones start on the alias's version. Each move is recorded in the
audit log (scope ``operations``).

The next ``terraform apply`` points the aliases at what it publishes again: roll back, fix, apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from bot.deploy.dlq import AUDIT_SCOPE, operator

ALIAS = "live"

Kind = Literal["function", "workflow"]


@dataclass(frozen=True)
class Move:
    """One alias: whose (a function's or a workflow's state machine), where it pointed, where it points now
    (equal: nothing to do), and why it cannot move."""

    name: str
    before: str
    after: str
    problem: str = ""
    kind: Kind = "function"

    @property
    def label(self) -> str:
        """How the report names it: ``bot``, ``workflow meeting_prep``."""
        return self.name if self.kind == "function" else f"workflow {self.name}"


def _versions(lam: Any, name: str) -> list[int]:
    found: list[int] = []
    for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        found += [int(v["Version"]) for v in page.get("Versions", []) if v["Version"].isdigit()]
    return sorted(found)


def _pages(call: Any, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    # boto3 has no paginator for these Step Functions listings: follow nextToken.
    token = None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return


def _machine_versions(sfn: Any, arn: str) -> list[int]:
    found = _pages(sfn.list_state_machine_versions, "stateMachineVersions", stateMachineArn=arn)
    return sorted(int(v["stateMachineVersionArn"].rsplit(":", 1)[-1]) for v in found)


def state_machine_arns(crewbot: Any, sfn: Any) -> dict[str, str]:
    """The deployed state machines' (unqualified) ARNs by workflow name, found by their physical names."""
    from bot.deploy.catalog import build_catalog

    wanted = {crewbot.namer.state_machine(w): w for w in build_catalog(crewbot).workflows}
    return {
        wanted[m["name"]]: m["stateMachineArn"]
        for m in _pages(sfn.list_state_machines, "stateMachines")
        if m["name"] in wanted
    }


def alias_version(sfn: Any, arn: str) -> str:
    """The version the state machine's ``live`` alias routes to (the heaviest route, if it splits)."""
    routes = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:{ALIAS}")["routingConfiguration"]
    heaviest = max(routes, key=lambda r: int(r["weight"]))
    return str(heaviest["stateMachineVersionArn"]).rsplit(":", 1)[-1]


def _target(current: str, versions: list[int], *, forward: bool, to: str | None) -> tuple[str, str]:
    """Where an alias on ``current`` goes, and the problem if it cannot."""
    if to is not None:
        if to.isdigit() and int(to) in versions:
            return to, ""
        return current, f"has no version {to} (versions: {', '.join(map(str, versions)) or 'none'})"
    if forward:
        return (str(versions[-1]), "") if versions else (current, "no published version")
    older = [v for v in versions if current.isdigit() and v < int(current)]
    return (str(older[-1]), "") if older else (current, "")


def _pick(names: list[str], only: str | None, what: str) -> list[str]:
    if only is None:
        return names
    if only not in names:
        raise LookupError(f"no {what} {only!r} is deployed (known: {', '.join(names) or 'none'})")
    return [only]


def plan(
    crewbot: Any,
    lam: Any,
    *,
    forward: bool,
    to: str | None = None,
    only: str | None = None,
    sfn: Any = None,
    workflow: str | None = None,
) -> list[Move]:
    """Where each ``live`` alias would go (nothing is changed).

    Without ``only`` (a function) or ``workflow``, every function's alias and, given ``sfn`` (a Step
    Functions client), every state machine's; with either, just those named.
    """
    from bot.deploy.catalog import build_catalog

    catalog = build_catalog(crewbot)
    everything = only is None and workflow is None
    functions = _pick(sorted(catalog.functions), only, "function") if everything or only else []
    workflows = _pick(sorted(catalog.workflows), workflow, "workflow") if everything or workflow else []
    moves: list[Move] = []
    for logical in functions:
        physical = crewbot.namer.function(logical)
        try:
            current = str(lam.get_alias(FunctionName=physical, Name=ALIAS)["FunctionVersion"])
        except Exception as exc:  # not deployed, or deployed before aliases
            moves.append(Move(logical, "", "", f"has no {ALIAS} alias ({type(exc).__name__}): `terraform apply`"))
            continue
        target, problem = _target(current, _versions(lam, physical), forward=forward, to=to)
        moves.append(Move(logical, current, target, problem))
    if sfn is None or not workflows:
        return moves
    arns = state_machine_arns(crewbot, sfn)
    for name in workflows:
        if name not in arns:
            moves.append(Move(name, "", "", "is not deployed: `terraform apply`", "workflow"))
            continue
        try:
            current = alias_version(sfn, arns[name])
        except Exception as exc:  # deployed before state machine aliases
            problem = f"has no {ALIAS} alias ({type(exc).__name__}): `terraform apply`"
            moves.append(Move(name, "", "", problem, "workflow"))
            continue
        target, problem = _target(current, _machine_versions(sfn, arns[name]), forward=forward, to=to)
        moves.append(Move(name, current, target, problem, "workflow"))
    return moves


def apply(crewbot: Any, lam: Any, moves: list[Move], action: str, *, sfn: Any = None) -> list[Move]:
    """Move the aliases as planned (all or nothing: any problem moves none) and audit each move."""
    if any(m.problem for m in moves):
        return []
    actor = operator(crewbot)
    arns = state_machine_arns(crewbot, sfn) if sfn is not None and any(m.kind == "workflow" for m in moves) else {}
    done = []
    for move in moves:
        if move.after == move.before:
            continue
        if move.kind == "function":
            lam.update_alias(FunctionName=crewbot.namer.function(move.name), Name=ALIAS, FunctionVersion=move.after)
        else:
            arn = arns[move.name]
            sfn.update_state_machine_alias(
                stateMachineAliasArn=f"{arn}:{ALIAS}",
                routingConfiguration=[{"stateMachineVersionArn": f"{arn}:{move.after}", "weight": 100}],
            )
        crewbot.records.audit.record(
            AUDIT_SCOPE, actor, f"deploy.{action}", move.name, before=move.before, after=move.after, kind=move.kind
        )
        done.append(move)
    return done
