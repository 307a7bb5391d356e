"""``crewbot deploy catalog | verify | rollback | promote | destroy``: what Terraform deploys (from the enabled
plugins), whether the deployment answers, moving the functions' and state machines' ``live`` aliases, and tearing
it down."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("deploy", help="the AWS deployment: catalog, verify, rollback, promote, destroy")
    commands = parser.add_subparsers(dest="deploy_command", metavar="STEP", required=True)
    catalog = commands.add_parser(
        "catalog", help="the functions, workflows, schedules, rules, queues and tables the enabled plugins deploy"
    )
    catalog.add_argument("--json", action="store_true", help="print the catalog file Terraform reads")
    catalog.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        help="write DIR/catalog.json and DIR/workflows/ (what `make package` does)",
    )
    catalog.set_defaults(func=run_catalog)
    verify = commands.add_parser(
        "verify", help="after terraform apply: signed Slack checks, every function's health check, alarms, resources"
    )
    verify.add_argument("--url", help="the Slack request URL (default: the deployed HTTP API's)")
    verify.add_argument(
        "--package", type=Path, default=Path("dist/lambda"), metavar="DIR", help="the `make package` output to compare"
    )
    verify.set_defaults(func=run_verify)
    for step, text in (
        ("rollback", "point every function's and state machine's `live` alias at its previous version (or --to)"),
        ("promote", "point every function's and state machine's `live` alias at its newest version (or --to)"),
    ):
        move = commands.add_parser(step, help=text)
        move.add_argument("--to", metavar="VERSION", help="this published version of each alias moved")
        move.add_argument("--function", metavar="NAME", help="only this function (logical name, e.g. bot)")
        move.add_argument("--workflow", metavar="NAME", help="only this workflow's state machine (e.g. meeting_prep)")
        move.add_argument("--dry-run", action="store_true", help="say where the aliases would go, change nothing")
        move.set_defaults(func=run_move, step=step)
    destroy = commands.add_parser(
        "destroy", help="terraform destroy: everything but the data (--keep-data) or everything (--force)"
    )
    mode = destroy.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--keep-data", action="store_true", help="keep tables, buckets, the KMS key and the secrets (in AWS and state)"
    )
    mode.add_argument("--force", action="store_true", help="destroy the data too, after typing the deployment's name")
    destroy.add_argument("--dir", type=Path, default=Path("infra/terraform"), help="the Terraform root module")
    destroy.add_argument("--var-file", action="append", default=[], metavar="FILE", help="passed to terraform")
    destroy.add_argument("--terraform", default="terraform", metavar="PATH", help="the terraform executable")
    destroy.add_argument("--dry-run", action="store_true", help="print what would be kept and run, change nothing")
    destroy.set_defaults(func=run_destroy)


def run_destroy(ctx: CliContext) -> int:
    from bot.deploy.destroy import execute, plan_destroy, state_list

    args = ctx.args
    try:
        state = state_list(args.terraform, args.dir)
    except (RuntimeError, OSError) as exc:
        print(f"crewbot deploy destroy: {exc}", file=sys.stderr)
        return 2
    var_args = [f"-var-file={f}" for f in args.var_file]
    plan = plan_destroy(state, keep_data=args.keep_data, var_args=var_args)
    ctx.print(f"destroys {len(plan.destroyed)} resources, keeps {len(plan.kept)}:")
    for address in plan.kept:
        ctx.print(f"  keep {address}")
    for command in plan.commands:
        ctx.print(f"  run  terraform {' '.join(command[:2])} ...")
    if args.dry_run or not plan.commands:
        ctx.print("nothing destroyed" + (" (dry run)" if args.dry_run else ": only kept resources are left"))
        return 0
    if args.force:
        # The data cannot come back: the operator types the deployment's name, not just "yes".
        name = f"{ctx.crewbot.config.project}-{ctx.crewbot.config.environment}"
        answer = input(f"This deletes every table, bucket, secret and the KMS key of {name}. Type {name}: ")
        if answer.strip() != name:
            print("crewbot deploy destroy: not confirmed, nothing destroyed", file=sys.stderr)
            return 1
    return execute(plan, args.terraform, args.dir)


def run_move(ctx: CliContext) -> int:
    import boto3

    from bot.deploy.rollback import apply, plan

    crewbot, args = ctx.crewbot, ctx.args
    region = crewbot.config.aws.region
    lam = boto3.client("lambda", region_name=region)
    sfn = boto3.client("stepfunctions", region_name=region)
    try:
        moves = plan(
            crewbot,
            lam,
            forward=args.step == "promote",
            to=args.to,
            only=args.function,
            sfn=sfn,
            workflow=args.workflow,
        )
    except LookupError as exc:
        print(f"crewbot deploy {args.step}: {exc}", file=sys.stderr)
        return 2
    problems = [m for m in moves if m.problem]
    for move in problems:
        print(f"crewbot deploy {args.step}: {move.label} {move.problem}", file=sys.stderr)
    if problems:
        print(f"crewbot deploy {args.step}: nothing moved", file=sys.stderr)
        return 1
    done = moves if args.dry_run else apply(crewbot, lam, moves, args.step, sfn=sfn)
    for move in done:
        if move.after != move.before:
            ctx.print(f"{move.label}: live {move.before} -> {move.after}" + (" (dry run)" if args.dry_run else ""))
    if not any(m.after != m.before for m in done):
        ctx.print("nothing to move: every live alias is already there")
    return 0


def run_verify(ctx: CliContext) -> int:
    from bot.deploy.doctor import FAIL, Doctor
    from bot.deploy.verify import Verifier

    checks = Verifier(Doctor(ctx.crewbot, package_dir=ctx.args.package), url=ctx.args.url).run()
    for check in checks:
        ctx.print(check.line())
    failed = sum(1 for c in checks if c.status == FAIL)
    ctx.print(f"verify: {failed} problem{'s' if failed != 1 else ''}" if failed else "verify: the deployment answers")
    return 1 if failed else 0


def run_catalog(ctx: CliContext) -> int:
    from bot.deploy.catalog import CatalogError, build_catalog

    try:
        catalog = build_catalog(ctx.crewbot)
    except CatalogError as exc:
        print("crewbot deploy catalog: the registrations cannot be deployed:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if ctx.args.output:
        ctx.print(f"wrote {catalog.write(ctx.args.output)}")
        return 0
    if ctx.args.json:
        ctx.print(json.dumps(catalog.as_json(), indent=1, sort_keys=True))
        return 0
    ctx.print(f"functions ({len(catalog.functions)}):")
    for name, spec in sorted(catalog.functions.items()):
        ctx.print(f"  {name:<32} {spec.trigger:<14} {spec.memory_mb:>5} MB {spec.timeout_s:>4} s  {spec.handler}")
    for title, names in (
        ("workflows", [f"{n} (tasks: {', '.join(w.tasks) or '-'})" for n, w in sorted(catalog.workflows.items())]),
        ("schedules", [f"{n}: {s['expression']} -> {s['function']}" for n, s in sorted(catalog.schedules.items())]),
        ("event rules", [f"{n} -> {r['function']}" for n, r in sorted(catalog.event_rules.items())]),
        ("queues", [f"{n} (+ {n}-dlq) -> {q.consumer}" for n, q in sorted(catalog.queues.items())]),
        ("container tasks", sorted(catalog.tasks)),
        ("tables", sorted(catalog.tables)),
    ):
        ctx.print(f"{title} ({len(names)}):")
        for line in names:
            ctx.print(f"  {line}")
    return 0
