"""``crewbot usage``: tokens, latency and tool calls of agent turns, by agent and user."""

from __future__ import annotations

import argparse
import json

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("usage", help="summarise agent usage (tokens, latency, tool calls) by agent and user")
    parser.add_argument("--days", type=int, default=7, help="how many days back, today included (default 7)")
    parser.add_argument(
        "--by",
        choices=("agent-user", "agent", "user"),
        default="agent-user",
        help="group by agent and user (default), agent only, or user only",
    )
    parser.add_argument("--agent", help="only this agent")
    parser.add_argument("--user", help="only this user")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(ctx: CliContext) -> int:
    from bot.agents.usage import UsageLedger, summarise

    args = ctx.args
    if args.days < 1:
        ctx.print("crewbot usage: --days must be at least 1")
        return 2
    records = UsageLedger.for_runtime(ctx.crewbot).records(args.days)
    records = [
        r
        for r in records
        if (not args.agent or r.get("agent") == args.agent) and (not args.user or r.get("user_id") == args.user)
    ]
    by = {"agent-user": ("agent", "user_id"), "agent": ("agent",), "user": ("user_id",)}[args.by]
    rows = summarise(records, by)
    if args.json:
        ctx.print(json.dumps([row.as_dict() for row in rows], indent=2))
        return 0
    if not rows:
        ctx.print(f"no agent usage in the last {args.days} day(s)")
        return 0
    ctx.print(
        f"{'agent':<24} {'user':<14} {'turns':>6} {'tokens in':>10} {'tokens out':>10} {'avg ms':>8} "
        f"{'tools':>6} {'failed':>6}"
    )
    for row in rows:
        ctx.print(
            f"{row.agent:<24} {row.user_id:<14} {row.turns:>6} {row.input_tokens:>10,} {row.output_tokens:>10,} "
            f"{row.average_latency_ms:>8,} {row.tool_calls:>6} {row.tool_errors:>6}"
        )
    total_in = sum(r.input_tokens for r in rows)
    total_out = sum(r.output_tokens for r in rows)
    ctx.print(f"{'total':<24} {'':<14} {sum(r.turns for r in rows):>6} {total_in:>10,} {total_out:>10,}")
    return 0
