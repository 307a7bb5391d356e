"""``crewbot agents list | show NAME | chat NAME``: the declared agents, and a terminal chat with one."""

from __future__ import annotations

import argparse
import json
from functools import partial

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("agents", help="list agents, show one, or chat with one in the terminal")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every agent: model, tools, who may use it")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=list_agents)
    show = actions.add_parser("show", help="one agent's spec, resolved model chain, tools and prompt")
    show.add_argument("name")
    show.set_defaults(func=show_agent)
    chat = actions.add_parser("chat", help="talk to an agent in the terminal (same sessions as Slack)")
    chat.add_argument("name")
    chat.add_argument("--user", default="UCLI", help="the Slack user id to act as (default UCLI)")
    chat.add_argument("--session", default=None, help="conversation name (default: one per user and agent)")
    chat.add_argument(
        "-m",
        "--message",
        action="append",
        default=[],
        help="send this message instead of reading the terminal (repeatable)",
    )
    chat.add_argument("--new", action="store_true", help="start a fresh session first")
    chat.set_defaults(func=chat_with)
    sessions = actions.add_parser("sessions", help="a user's conversations, most recent first")
    sessions.add_argument("--user", required=True, help="Slack user id")
    sessions.add_argument("--limit", type=int, default=20)
    sessions.add_argument("--json", action="store_true", help="machine-readable output")
    sessions.set_defaults(func=list_sessions)
    sample = actions.add_parser(
        "sample-meetings", help="store a few sample meetings for a user (a demo until a calendar is connected)"
    )
    sample.add_argument("--user", required=True, help="Slack user id, or an emulator user name like alice")
    sample.set_defaults(func=sample_meetings)


def list_agents(ctx: CliContext) -> int:
    service = ctx.crewbot.agents
    registry = service.validate(deep=True)
    rows = []
    for name, spec in sorted(registry.agents.items()):
        resolution = service.models.resolve(spec.model)
        rows.append(
            {
                "name": name,
                "description": spec.description,
                "model": spec.model,
                "resolved_model": resolution.label,
                "tools": spec.tools,
                "source": spec.source,
                "access": spec.access.model_dump(),
            }
        )
    if ctx.args.json:
        ctx.print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        ctx.print("no agents are registered")
    for row in rows:
        ctx.print(f"{row['name']}: {row['description']}")
        ctx.print(f"  model: {row['model']} → {row['resolved_model']}")
        ctx.print(f"  tools: {', '.join(row['tools']) or 'none'}")
    return 0


def show_agent(ctx: CliContext) -> int:
    service = ctx.crewbot.agents
    registry = service.validate(deep=True)
    spec = registry.get(ctx.args.name)
    resolution = service.models.resolve(spec.model)
    ctx.print(f"{spec.name}  ({spec.source})")
    ctx.print(f"  {spec.description}")
    ctx.print(f"  model: {spec.model} → {resolution.label}" + (f" — {resolution.reason}" if resolution.reason else ""))
    conv = spec.conversation
    window = f"window {conv.window}" if conv.manager == "sliding_window" else f"preserve {conv.preserve_recent}"
    ctx.print(f"  conversation: {conv.manager} ({window})")
    budget = spec.budget
    ctx.print(
        f"  budget: {budget.tokens_per_session or 'no'} tokens/session, {budget.tokens_per_user_day or 'no'} "
        f"tokens/user/day, warn at {budget.warn_at:.0%}, at most {budget.max_cycles} model calls per message"
    )
    who = ", ".join(spec.access.roles + spec.access.users) or "everyone"
    ctx.print(f"  access: {who}")
    ctx.print("  tools:")
    for name in spec.tools:
        tool = registry.tools[name]
        role = f", needs role {tool.required_role}" if tool.required_role else ""
        ctx.print(f"    {name} [{tool.side_effects}{role}] {tool.summary}")
    ctx.print("  prompt:")
    for line in (spec.system_prompt or "").splitlines()[:12]:
        ctx.print(f"    {line}")
    return 0


def list_sessions(ctx: CliContext) -> int:
    found = ctx.crewbot.agents.chat_sessions.for_user(ctx.args.user, limit=max(1, ctx.args.limit))
    if ctx.args.json:
        ctx.print(json.dumps(found, indent=2, default=str))
        return 0
    if not found:
        ctx.print(f"no conversations for {ctx.args.user}")
    for item in found:
        successor = f" → {item['successor']}" if item.get("successor") else ""
        ctx.print(
            f"{item['session_id']} [{item.get('state')}{successor}] {item.get('agent', '')} · "
            f"{item.get('message_count', 0)} messages · {item.get('tokens', 0):,} tokens · "
            f"updated {item.get('updated_at', '')}"
        )
        if item.get("last_message"):
            ctx.print(f"    last: {item['last_message']}")
    return 0


#: (title, days from now, hour UTC, minutes, meeting type, attendees) of the sample meetings.
SAMPLE_MEETINGS = (
    ("Leadership staff meeting", 1, 9, 60, "leadership", ["Ana Lopez", "Bo Chen", "Chris Diaz"]),
    ("Budget review with finance", 2, 14, 45, "budget_review", ["Dana Finch"]),
    ("1:1 with Ana", 3, 10, 30, "one_on_one", ["Ana Lopez"]),
    ("Customer QBR: Northwind", 4, 16, 60, "qbr", ["Erin Walsh", "Frank Ng"]),
)


def sample_meetings(ctx: CliContext) -> int:
    """Meetings with fixed ids per user, so running it again refreshes them instead of adding more."""
    import re
    from datetime import UTC, timedelta

    from bot.storage.records import Attendee, Meeting

    user = ctx.args.user.strip().lstrip("@")
    if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
        from bot.emulator.workspace import user_id_for

        user = user_id_for(user)
    crewbot = ctx.crewbot
    today = crewbot.clock.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    meetings = []
    for i, (title, days, hour, minutes, kind, people) in enumerate(SAMPLE_MEETINGS, 1):
        start = today.replace(hour=hour) + timedelta(days=days)
        meetings.append(
            Meeting(
                meeting_id=f"sample-{user.lower()}-{i}",
                user_id=user,
                provider="sample",
                external_id=f"sample-{i}",
                title=title,
                start=start,
                end=start + timedelta(minutes=minutes),
                meeting_type=kind,
                attendees=[Attendee(name=p) for p in people],
            )
        )
    crewbot.records.meetings.save_many(meetings)
    for meeting in meetings:
        ctx.print(f"{meeting.meeting_id}: {meeting.title} ({meeting.meeting_type}) {meeting.start:%a %d %b %H:%M} UTC")
    ctx.print(f"stored {len(meetings)} sample meetings for {user}")
    return 0


def _show(ctx: CliContext, streamed: list[str], chunk: str) -> None:
    streamed.append(chunk)
    ctx.out.write(chunk)
    ctx.out.flush()


def chat_with(ctx: CliContext) -> int:
    args = ctx.args
    service = ctx.crewbot.agents
    spec = service.validate().get(args.name)
    conversation = args.session or f"cli-{args.user}-{spec.name}"
    channel = f"cli-{args.user}"
    if args.new:
        service.reset(args.user, channel)
    messages = list(args.message)
    interactive = not messages
    if interactive:
        ctx.print(f"Chatting with {spec.name} as {args.user} (empty line or Ctrl-D to quit).")
    while True:
        if interactive:
            try:
                text = input("you> ").strip()
            except EOFError:
                break
        else:
            if not messages:
                break
            text = messages.pop(0)
            ctx.print(f"you> {text}")
        if not text:
            break
        ctx.out.write(f"{spec.name}> ")
        streamed: list[str] = []
        result = service.ask(
            spec.name,
            user_id=args.user,
            conversation=conversation,
            text=text,
            channel_id=channel,
            on_text=partial(_show, ctx, streamed),
        )
        if not streamed:  # answers that never went through the model (a budget stop) are not streamed
            ctx.out.write(result.text or "(no answer)")
        ctx.print()
        if result.notice:
            ctx.print(result.notice)
        ctx.print(f"  ({result.summary})")
    return 0
