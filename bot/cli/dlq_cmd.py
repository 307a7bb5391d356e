"""``crewbot dlq list | show NAME | redrive NAME``: dead letters, locally and in AWS (``--env``)."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dlq", help="dead-letter queues: list, show and redrive what failed")
    commands = parser.add_subparsers(dest="dlq_command", metavar="STEP", required=True)
    listing = commands.add_parser("list", help="every dead-letter queue and how many messages wait in it")
    listing.set_defaults(func=run_list)
    show = commands.add_parser("show", help="the messages waiting in one dead-letter queue")
    show.add_argument("name", help="<queue>-dlq or <function>-async-dlq (see `crewbot dlq list`)")
    show.add_argument("--max", type=int, default=10, metavar="N", help="at most N messages (default 10)")
    show.add_argument("--json", action="store_true", help="print the messages as JSON")
    show.set_defaults(func=run_show)
    redrive = commands.add_parser("redrive", help="send the messages back to their queue or function")
    redrive.add_argument("name", help="<queue>-dlq or <function>-async-dlq")
    redrive.add_argument("--max", type=int, default=100, metavar="N", help="at most N messages (default 100)")
    redrive.set_defaults(func=run_redrive)


def run_list(ctx: CliContext) -> int:
    from bot.deploy.dlq import backend, dead_letter_queues

    queues = dead_letter_queues(ctx.crewbot)
    if not queues:
        ctx.print("no dead-letter queues (no queue consumers registered)")
        return 0
    letters = backend(ctx.crewbot)
    width = max(len(q.name) for q in queues)
    for queue in queues:
        source = queue.source if queue.kind == "schedule" else f"{queue.kind} {queue.source}"
        ctx.print(f"{queue.name:<{width}}  {letters.count(queue):>5}  from {source}")
    return 0


def run_show(ctx: CliContext) -> int:
    from bot.deploy.dlq import UnknownQueue, backend, find

    try:
        queue = find(ctx.crewbot, ctx.args.name)
    except UnknownQueue as exc:
        print(f"crewbot dlq: {exc}", file=sys.stderr)
        return 2
    letters = backend(ctx.crewbot).peek(queue, max(1, ctx.args.max))
    if ctx.args.json:
        rows = [{"message_id": m.message_id, "error": m.error, "body": m.body} for m in letters]
        ctx.print(json.dumps(rows, indent=1, default=str))
        return 0
    if not letters:
        ctx.print(f"{queue.name} is empty")
    for letter in letters:
        ctx.print(f"-- {letter.message_id}" + (f"  ({letter.error})" if letter.error else ""))
        ctx.print(json.dumps(letter.payload, indent=1, default=str))
    return 0


def run_redrive(ctx: CliContext) -> int:
    from bot.deploy.dlq import NotRedrivable, UnknownQueue, backend, find, operator, record_redrive

    crewbot = ctx.crewbot
    try:
        queue = find(crewbot, ctx.args.name)
    except UnknownQueue as exc:
        print(f"crewbot dlq: {exc}", file=sys.stderr)
        return 2
    try:
        moved = backend(crewbot).redrive(queue, max(1, ctx.args.max))
    except NotRedrivable as exc:
        print(f"crewbot dlq: {exc}", file=sys.stderr)
        return 1
    if moved:
        record_redrive(crewbot, queue, moved, operator(crewbot))
    target = f"queue {queue.source}" if queue.kind == "queue" else f"function {queue.source} (asynchronously)"
    ctx.print(f"redrove {moved} message{'s' if moved != 1 else ''} from {queue.name} to {target}")
    return 0
