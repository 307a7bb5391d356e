"""Prompt tokens, turn wall time and budget state over one long DM conversation.

Runs the Meeting Coordinator as shipped (its spec, tools, prompt, conversation manager and budgets) on
the offline model against a throwaway home with a few meetings, one message every 15 minutes of the
runtime clock, and prints per block of turns the prompt tokens of the largest model call, the median
turn wall time, the session the turn ran in (the conversation rolls over into fresh sessions) and the
budget state. The first turns are then replayed with no conversation manager, to show what the window
saves. The closing lines compare the last block with the first as ``ratio: X.XX`` (flat is 1.00).

    .venv/bin/python benchmarks/context_tokens.py [--turns 500] [--manager sliding_window|summarizing|none]

Token counts are Strands' estimate of the prompt (tiktoken when installed, else characters / 4 for text
and / 2 for JSON), the same figure the offline model reports as ``inputTokens``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.agents.offline import OfflineModel
from bot.runtime import Crewbot, start
from bot.storage.tables import MEETINGS

QUESTIONS = [
    "What meetings do I have this week?",
    "How is the budget looking?",
    "Build an agenda for the leadership meeting",
    "How are the big rocks doing?",
    "What did I ask earlier?",
    "Any meetings in the next 3 days?",
    "Which cost centers are over budget?",
    "Make an agenda for the budget review",
]


class RecordingOffline(OfflineModel):
    """The offline model, remembering the prompt size of every call."""

    calls: list[int] = []

    async def stream(
        self, messages: Any, tool_specs: Any = None, system_prompt: str | None = None, **kwargs: Any
    ) -> Any:
        RecordingOffline.calls.append(await self.count_tokens(messages, tool_specs, system_prompt))
        async for event in super().stream(messages, tool_specs, system_prompt, **kwargs):
            yield event


def seed(crewbot: Crewbot) -> None:
    now = crewbot.clock.now().astimezone(UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    for i, (title, kind) in enumerate(
        [
            ("Leadership sync", "leadership"),
            ("Budget review", "budget_review"),
            ("1:1 with Ana", "one_on_one"),
            ("Customer QBR", "qbr"),
        ]
    ):
        start_at = now + timedelta(days=1 + i, hours=2)
        crewbot.store.table(MEETINGS).put(
            {
                "meeting_id": f"m{i}",
                "user_id": "UBENCH",
                "title": title,
                "meeting_type": kind,
                "start": start_at.strftime(fmt),
                "end": (start_at + timedelta(minutes=45)).strftime(fmt),
                "attendees": ["Ana", "Bo", "Chen"],
            }
        )


TURN_SECONDS: dict[str, list[float]] = {}


@dataclass
class Turn:
    turn: int
    calls: int
    tokens: int  # largest prompt of the turn
    stored: int  # messages stored in the turn's session
    session: str
    answered: bool
    budget: str


def run(turns: int, manager: str, budgets: bool = True) -> list[Turn]:
    """One row per turn of one conversation."""
    with tempfile.TemporaryDirectory() as home:
        crewbot = start(environ={"CREWBOT_HOME": home}, setup_logging=False)
        seed(crewbot)
        agents = crewbot.agents
        spec = agents.registry.get("meeting_coordinator")
        conversation = spec.conversation.model_copy(update={"manager": manager})
        update: dict[str, Any] = {"conversation": conversation}
        if not budgets:
            update["budget"] = spec.budget.model_copy(update={"tokens_per_session": None, "tokens_per_user_day": None})
        agents.registry.agents[spec.name] = spec.model_copy(update=update)
        agents.models.override("offline", lambda: RecordingOffline(reason="benchmark"))
        rows = []
        for turn in range(1, turns + 1):
            before = len(RecordingOffline.calls)
            started = time.perf_counter()
            result = agents.ask(
                "meeting_coordinator",
                user_id="UBENCH",
                conversation="bench",
                text=QUESTIONS[(turn - 1) % len(QUESTIONS)],
            )
            TURN_SECONDS.setdefault(manager, []).append(time.perf_counter() - started)
            calls = RecordingOffline.calls[before:]
            kept = len(_stored_messages(crewbot, result.session_id))
            state = agents.ledger.check(agents.registry.get(spec.name).budget, "UBENCH")
            answered = bool(result.text) and "⛔" not in result.text
            rows.append(Turn(turn, len(calls), max(calls, default=0), kept, result.session_id, answered, state.state))
            crewbot.clock.advance(timedelta(minutes=15))
        crewbot.close()
        return rows


def _stored_messages(crewbot: Crewbot, session_id: str) -> list[Any]:
    from bot.agents.sessions import session_manager

    manager = session_manager(crewbot, session_id)
    return manager.list_messages(session_id, "meeting_coordinator")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--block", type=int, default=50, help="turns per printed line")
    parser.add_argument("--manager", default="sliding_window", choices=("sliding_window", "summarizing", "none"))
    args = parser.parse_args()

    rows = run(args.turns, args.manager)
    seconds = TURN_SECONDS[args.manager]
    compare = min(args.turns, 40)
    unbounded = run(compare, "none", budgets=False)
    print(
        f"Meeting Coordinator as shipped, {args.turns} turns in one DM thread, one every 15 min, offline model; "
        "prompt tokens = largest model call of the turn"
    )
    print(f"{'turns':>9} {'max prompt':>10} {'median ms':>9} {'stored':>6} {'sessions':>8} {'answered':>8}  budget")
    blocks = [rows[i : i + args.block] for i in range(0, len(rows), args.block)]
    for block in blocks:
        times = seconds[block[0].turn - 1 : block[-1].turn]
        states = sorted({r.budget for r in block})
        print(
            f"{block[0].turn:>4}-{block[-1].turn:<4} {max(r.tokens for r in block):>10,} "
            f"{statistics.median(times) * 1000:>9.0f} {max(r.stored for r in block):>6} "
            f"{len({r.session for r in block}):>8} {sum(r.answered for r in block):>8}  {','.join(states)}"
        )
    first, last = blocks[0], blocks[-1]
    first_ms = statistics.median(seconds[: len(first)])
    last_ms = statistics.median(seconds[-len(last) :])
    first_tokens, last_tokens = max(r.tokens for r in first), max(r.tokens for r in last)
    print()
    answered, sessions = sum(r.answered for r in rows), len({r.session for r in rows})
    print(f"turns answered: {answered} of {len(rows)}; sessions used: {sessions}")
    print(
        f"prompt tokens: first {len(first)} turns max {first_tokens:,}, last {len(last)} turns max {last_tokens:,}, "
        f"overall max {max(r.tokens for r in rows):,} ratio: {last_tokens / first_tokens:.2f}"
    )
    print(
        f"turn wall time: first median {first_ms * 1000:.0f} ms, last median {last_ms * 1000:.0f} ms "
        f"ratio: {last_ms / first_ms:.2f}"
    )
    print(
        f"no manager ({compare} turns, budgets off): prompt grows to {unbounded[-1].tokens:,} tokens "
        f"({unbounded[-1].stored} stored messages)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
