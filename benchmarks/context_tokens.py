"""Prompt tokens sent to the model per turn over a 40-turn conversation (issue 4).

Runs the Meeting Coordinator as shipped (its spec, tools, prompt and conversation manager) on the
offline model against a throwaway home with a few meetings, and prints, per turn, the prompt tokens of
the largest model call of that turn and the messages stored in the session. The same conversation is then
replayed with no conversation manager, to show what the window saves.

    .venv/bin/python benchmarks/context_tokens.py [--turns 40] [--manager sliding_window|summarizing|none]

Token counts are Strands' estimate of the prompt (tiktoken when installed, else characters / 4 for text
and / 2 for JSON), the same figure the offline model reports as ``inputTokens``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
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


def run(turns: int, manager: str) -> list[tuple[int, int, int, int]]:
    """(turn, model calls, largest prompt tokens, messages stored in the session) for each turn."""
    with tempfile.TemporaryDirectory() as home:
        crewbot = start(environ={"CREWBOT_HOME": home}, setup_logging=False)
        seed(crewbot)
        agents = crewbot.agents
        spec = agents.registry.get("meeting_coordinator")
        # Budgets off: this measures the context, and 40 turns would spend the session budget.
        budget = spec.budget.model_copy(update={"tokens_per_session": None, "tokens_per_user_day": None})
        conversation = spec.conversation.model_copy(update={"manager": manager})
        agents.registry.agents[spec.name] = spec.model_copy(update={"conversation": conversation, "budget": budget})
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
            rows.append((turn, len(calls), max(calls, default=0), kept))
        crewbot.close()
        return rows


def _stored_messages(crewbot: Crewbot, session_id: str) -> list[Any]:
    from bot.agents.sessions import session_manager

    manager = session_manager(crewbot, session_id)
    return manager.list_messages(session_id, "meeting_coordinator")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--manager", default="sliding_window", choices=("sliding_window", "summarizing", "none"))
    args = parser.parse_args()

    bounded = run(args.turns, args.manager)
    unbounded = run(args.turns, "none")
    print(f"Meeting Coordinator, {args.turns} turns, offline model; prompt tokens = largest model call of the turn")
    print(
        f"{'turn':>4} {'calls':>5} {args.manager + ' tokens':>22} {'stored':>6} {'no manager tokens':>18} {'stored':>6}"
    )
    for (turn, calls, tokens, kept), (_, _, raw_tokens, raw_kept) in zip(bounded, unbounded, strict=True):
        print(f"{turn:>4} {calls:>5} {tokens:>22,} {kept:>6} {raw_tokens:>18,} {raw_kept:>6}")
    first_half = max(t for _, _, t, _ in bounded[: args.turns // 2])
    second_half = max(t for _, _, t, _ in bounded[args.turns // 2 :])
    print(
        f"\n{args.manager}: max prompt {max(t for _, _, t, _ in bounded):,} tokens "
        f"(first half max {first_half:,}, second half max {second_half:,}); "
        f"the session store keeps all {bounded[-1][3]} messages (nothing is lost; only the prompt is windowed)"
    )
    print(
        f"no manager: prompt grows to {unbounded[-1][2]:,} tokens at turn {args.turns} "
        f"({unbounded[-1][3]} stored messages)"
    )
    seconds = sorted(TURN_SECONDS[args.manager])
    print(
        f"turn wall time on the offline model ({args.manager}; session restore, tools, store, usage): median "
        f"{statistics.median(seconds) * 1000:.0f} ms, p95 {seconds[int(len(seconds) * 0.95) - 1] * 1000:.0f} ms, "
        f"last {TURN_SECONDS[args.manager][-1] * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
