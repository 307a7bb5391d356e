"""``crewbot workflows``: list, start and inspect workflow executions; answer task tokens.

    crewbot workflows list [--json]
    crewbot workflows start NAME [--input JSON] [--name EXECUTION_NAME]
    crewbot workflows status ID
    crewbot workflows history ID
    crewbot workflows send-success TOKEN [--output JSON]
    crewbot workflows send-failure TOKEN --error E [--cause C]
    crewbot workflows stop ID [--error E] [--cause C]

Works in both runtimes; locally it first runs whatever fell due on the clock (Waits, retries, timeouts).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.context import CliContext
from bot.workflows.errors import TaskTokenError, WorkflowError

EXIT_USAGE = 2


class _PositionalDashParser(argparse.ArgumentParser):
    """A parser that takes an argument starting with ``-`` which is not one of its options as a
    positional value: task tokens are URL-safe base64 and may begin with ``-``."""

    def _parse_optional(self, arg_string: str) -> Any:
        if arg_string.startswith("-") and arg_string != "-" and arg_string != "--":
            name = arg_string.split("=", 1)[0]
            if not any(option.startswith(name) for option in self._option_string_actions):
                return None
        return super()._parse_optional(arg_string)


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("workflows", help="start, inspect and answer workflow executions")
    actions = parser.add_subparsers(
        dest="workflows_command", metavar="ACTION", required=True, parser_class=_PositionalDashParser
    )

    listing = actions.add_parser("list", help="workflows and their recent executions")
    listing.add_argument("--limit", type=int, default=10, help="executions shown per workflow (default 10)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    start = actions.add_parser("start", help="start an execution")
    start.add_argument("workflow", metavar="NAME")
    start.add_argument("--input", default="{}", help="the execution input, as JSON (default {})")
    start.add_argument("--name", help="execution name (unique per workflow; default a UUID)")

    status = actions.add_parser("status", help="an execution's status, output or error")
    status.add_argument("execution_id", metavar="ID")

    history = actions.add_parser("history", help="an execution's events")
    history.add_argument("execution_id", metavar="ID")
    history.add_argument("--json", action="store_true", help="machine-readable output")

    success = actions.add_parser("send-success", help="complete a waiting task")
    success.add_argument("token", metavar="TOKEN")
    success.add_argument("--output", default="{}", help="the task's result, as JSON (default {})")

    failure = actions.add_parser("send-failure", help="fail a waiting task")
    failure.add_argument("token", metavar="TOKEN")
    failure.add_argument("--error", required=True, help="error name, matched by Retry / Catch")
    failure.add_argument("--cause", default="", help="a human-readable cause")

    stop = actions.add_parser("stop", help="abort a running execution")
    stop.add_argument("execution_id", metavar="ID")
    stop.add_argument("--error", default="", help="error name recorded on the execution")
    stop.add_argument("--cause", default="", help="a human-readable cause")

    parser.set_defaults(func=run)


def _json_option(ctx: CliContext, option: str, text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.print(f"crewbot workflows: {option} is not valid JSON ({exc.msg} at character {exc.pos}): {text!r}")
        return False, None


def run(ctx: CliContext) -> int:
    args = ctx.args
    engine = ctx.crewbot.workflows
    engine.run_due()
    action = args.workflows_command
    try:
        if action == "list":
            return _list(ctx, engine, args)
        if action == "start":
            ok, data = _json_option(ctx, "--input", args.input)
            if not ok:
                return EXIT_USAGE
            execution = engine.start(args.workflow, data, name=args.name)
            ctx.print(json.dumps(execution.as_dict(), indent=2))
            return 0
        if action == "status":
            ctx.print(json.dumps(engine.describe(args.execution_id).as_dict(), indent=2))
            return 0
        if action == "history":
            events = engine.history(args.execution_id)
            if args.json:
                ctx.print(json.dumps([event.as_dict() for event in events], indent=2))
            for event in [] if args.json else events:
                details = ", ".join(f"{k}={json.dumps(v)}" for k, v in event.details.items() if k != "input")
                ctx.print(f"{event.id:>4} {event.timestamp.isoformat()} {event.type} {details}")
            return 0
        if action == "send-success":
            ok, data = _json_option(ctx, "--output", args.output)
            if not ok:
                return EXIT_USAGE
            engine.send_task_success(args.token, data)
            ctx.print("task completed")
            return 0
        if action == "stop":
            ctx.print(json.dumps(engine.stop(args.execution_id, args.error, args.cause).as_dict(), indent=2))
            return 0
        engine.send_task_failure(args.token, args.error, args.cause)
        ctx.print("task failed")
        return 0
    except TaskTokenError as exc:
        ctx.print(f"crewbot workflows: cannot answer that task token: {exc}")
        return 1
    except WorkflowError as exc:
        ctx.print(f"crewbot workflows: {exc}")
        return 1


def _list(ctx: CliContext, engine: Any, args: argparse.Namespace) -> int:
    listing = {name: [e.as_dict() for e in engine.list(name, limit=args.limit)] for name in engine.workflows()}
    if args.json:
        ctx.print(json.dumps(listing, indent=2))
        return 0
    if not listing:
        ctx.print("no workflows are registered")
    for name, executions in listing.items():
        ctx.print(f"{name}: {len(executions)} recent execution(s)")
        for item in executions:
            ctx.print(f"  {item['status']:<9} {item['execution_id']}  started {item['started_at']}")
    return 0
