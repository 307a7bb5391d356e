"""``crewbot workflows``: list, start and inspect workflow executions; answer task tokens.

    crewbot workflows list [--json]
    crewbot workflows start NAME [--input JSON] [--name EXECUTION_NAME]
    crewbot workflows status ID
    crewbot workflows history ID
    crewbot workflows send-success TOKEN [--output JSON]
    crewbot workflows send-failure TOKEN --error E [--cause C]
    crewbot workflows stop ID [--error E] [--cause C]
    crewbot workflows run FILE.asl.json [--input JSON|@FILE] [--inputs FILE.jsonl] [--mock STATE=JSON ...] [--json]

Works in both runtimes; locally it first runs whatever fell due on the clock (Waits, retries, timeouts).
``run`` needs nothing but the file: it runs the definition on a local runner of its own (a temporary
store, a clock it advances through every Wait) and prints one JSON line per input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
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

    run_file = actions.add_parser("run", help="run any definition locally, Task states mocked or registered")
    run_file.add_argument("file", metavar="FILE.asl.json")
    run_file.add_argument("--input", help="the execution input: JSON, or @FILE to read it from a file")
    run_file.add_argument("--inputs", metavar="FILE.jsonl", help="one execution per line of this file")
    run_file.add_argument(
        "--mock",
        action="append",
        default=[],
        metavar="STATE=JSON",
        help='the result of Task state STATE, or {"Return": ...} / {"Throw": {"Error": ..., "Cause": ...}}',
    )
    run_file.add_argument("--json", action="store_true", help="add the input and the full history to each line")

    parser.set_defaults(func=run)


def _json_option(ctx: CliContext, option: str, text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.print(f"crewbot workflows: {option} is not valid JSON ({exc.msg} at character {exc.pos}): {text!r}")
        return False, None


def run(ctx: CliContext) -> int:
    args = ctx.args
    if args.workflows_command == "run":
        return _run_file(ctx, args)
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


def _inputs(ctx: CliContext, args: argparse.Namespace) -> list[Any] | None:
    inputs: list[Any] = []
    try:
        if args.input is not None:
            text = Path(args.input[1:]).read_text(encoding="utf-8") if args.input.startswith("@") else args.input
            inputs.append(json.loads(text))
        if args.inputs:
            lines = Path(args.inputs).read_text(encoding="utf-8").splitlines()
            inputs += [json.loads(line) for line in lines if line.strip()]
    except OSError as exc:
        ctx.print(f"crewbot workflows run: cannot read {exc.filename}: {exc.strerror}")
        return None
    except json.JSONDecodeError as exc:
        ctx.print(f"crewbot workflows run: an input is not valid JSON ({exc.msg} at character {exc.pos})")
        return None
    return inputs if inputs else [{}]


def _run_file(ctx: CliContext, args: argparse.Namespace) -> int:
    from bot.workflows.sandbox import Sandbox, machine_name, parse_mock
    from bot.workflows.tasks import TaskRegistry

    try:
        mocks = dict(parse_mock(text) for text in args.mock)
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except ValueError as exc:  # a bad --mock, or the file is not JSON
        ctx.print(f"crewbot workflows run: {exc}")
        return EXIT_USAGE
    except OSError as exc:
        ctx.print(f"crewbot workflows run: cannot read {args.file}: {exc.strerror}")
        return EXIT_USAGE
    inputs = _inputs(ctx, args)
    if inputs is None:
        return EXIT_USAGE
    with Sandbox() as sandbox:
        try:
            definition = sandbox.load(document, machine_name(args.file), args.file)
        except WorkflowError as exc:
            ctx.print(f"crewbot workflows run: {exc}")
            return 1
        unknown = sorted(set(mocks) - {name for _, name, state in _task_states(definition)})
        if unknown:
            ctx.print(f"crewbot workflows run: --mock names no Task state of {args.file}: {', '.join(unknown)}")
            return EXIT_USAGE
        if sandbox.unbound(definition, mocks):
            # Only now is a runtime needed: for the handlers plugins register.
            from bot.workflows.service import registered_tasks

            sandbox.engine.tasks = registered_tasks(ctx.crewbot) if definition.tasks else TaskRegistry()
            unbound = sandbox.unbound(definition, mocks)
            if unbound:
                ctx.print(
                    f"crewbot workflows run: Task state(s) {', '.join(unbound)} have no registered handler; "
                    f"give each a --mock STATE=JSON"
                )
                return EXIT_USAGE
        for data in inputs:
            try:
                result = sandbox.run(definition, data, mocks)
            except WorkflowError as exc:
                ctx.print(json.dumps({"status": "REFUSED", "error": type(exc).__name__, "cause": str(exc)}))
                continue
            line = result.as_dict()
            if args.json:
                history = sandbox.engine.history(result.execution_id)
                line = {"input": data, **line, "history": [event.as_dict() for event in history]}
            ctx.print(json.dumps(line, default=str))
    return 0


def _task_states(definition: Any) -> list[tuple[Any, str, dict[str, Any]]]:
    from bot.workflows.definitions import iter_states

    return [item for item in iter_states(definition) if item[2].get("Type") == "Task"]
