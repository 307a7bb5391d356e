"""``crewbot meetings``: run the calendar monitor now, classify a title, list a user's meetings.

crewbot meetings sync [--user U ...] [--json]
crewbot meetings classify --title T [--attendees N] [--description D] [--types FILE]
crewbot meetings list --user U [--days N]
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from bot.api import CliContext, format_time
from plugins.meeting_prep.classify import MeetingTypesError, classify, load_meeting_types
from plugins.meeting_prep.monitor import CalendarMonitor


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("meetings", help="calendar sync and meeting classification (meeting prep)")
    actions = parser.add_subparsers(dest="meetings_command", metavar="ACTION", required=True)
    sync = actions.add_parser("sync", help="run the calendar monitor now")
    sync.add_argument("--user", action="append", help="only this Slack user id (repeatable; default: active users)")
    sync.add_argument("--json", action="store_true", help="machine-readable counts")
    sync.set_defaults(func=run_sync)
    cls = actions.add_parser("classify", help="print a meeting's type and the rule that matched")
    cls.add_argument("--title", required=True)
    cls.add_argument("--attendees", type=int, default=1)
    cls.add_argument("--description", default="")
    cls.add_argument("--types", metavar="FILE", help="meeting types file (default: config/meeting_types.yaml)")
    cls.set_defaults(func=run_classify)
    listing = actions.add_parser("list", help="a user's stored meetings")
    listing.add_argument("--user", required=True)
    listing.add_argument("--days", type=int, default=14)
    listing.set_defaults(func=run_list)


def run_sync(ctx: CliContext) -> int:
    from plugins.meeting_prep.settings import monitor_options

    crewbot = ctx.crewbot
    if crewbot.config.runtime == "local":
        crewbot.workflows.run_due()
    report = CalendarMonitor(crewbot, monitor_options(crewbot)).run(ctx.args.user)
    if ctx.args.json:
        ctx.print(json.dumps(report.as_dict(), indent=2))
    else:
        for user in report.users:
            ctx.print(
                f"{user.user_id}: {user.fetched} read, {user.new} new, {user.updated} updated, "
                f"{user.moved} moved, "
                f"{user.cancelled} cancelled, {user.unchanged} unchanged, {user.prep_events} prep events"
                + (f"; errors: {'; '.join(user.errors)}" if user.errors else "")
            )
        totals: dict[str, Any] = report.totals()
        ctx.print(f"total: {totals['users']} users, {totals['failed_users']} with errors")
    return 1 if report.users and all(u.errors for u in report.users) else 0


def run_classify(ctx: CliContext) -> int:
    try:
        types = load_meeting_types(ctx.args.types)
    except MeetingTypesError as exc:
        ctx.print(f"crewbot: {exc}")
        return 2
    result = classify(types, ctx.args.title, ctx.args.description, ctx.args.attendees)
    ctx.print(f"type: {result.meeting_type} ({types.label(result.meeting_type)})")
    ctx.print(f"rule: {result.rule}")
    ctx.print(f"prep: {result.prep_hours_before:g} hours before")
    return 0


def run_list(ctx: CliContext) -> int:
    crewbot = ctx.crewbot
    now = crewbot.clock.now()
    until = now + timedelta(days=ctx.args.days)
    for m in crewbot.records.meetings.for_user(ctx.args.user, now - timedelta(days=1), until):
        ctx.print(f"{format_time(m.start)}  {m.status:9}  {m.meeting_type or '-':18}  {m.prep_status:11}  {m.title}")
    return 0
