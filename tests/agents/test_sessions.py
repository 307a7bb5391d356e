"""Sessions: history survives a new runtime, turns in one session are serialised, reset starts fresh."""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.agents.scripted import ScriptedModel
from bot.agents.sessions import SessionLocks
from bot.storage.tables import CHAT_SESSIONS

from .conftest import MakeCrewbot, add_meeting


def test_conversation_survives_a_new_runtime_on_the_same_home(make_crewbot: MakeCrewbot) -> None:
    first = make_crewbot()
    add_meeting(first, "U1", "m1", "Board prep", 1)
    answer = first.agents.ask(
        "meeting_coordinator",
        user_id="U1",
        conversation="T-D1-1_0",
        text="my meetings?",
        channel_id="D1",
        thread_ts="1.0",
    )
    assert "Board prep" in answer.text
    first.close()

    second = make_crewbot()  # a restarted process: nothing in memory
    recap = second.agents.ask(
        "meeting_coordinator",
        user_id="U1",
        conversation="T-D1-1_0",
        text="what did I ask earlier?",
        channel_id="D1",
        thread_ts="1.0",
    )
    assert "my meetings?" in recap.text and "get_upcoming_meetings" in recap.text
    record = second.store.table(CHAT_SESSIONS).get({"session_id": "T-D1-1_0"})
    assert record is not None
    assert record["user_id"] == "U1" and record["message_count"] == 2 and record["state"] == "active"
    assert record["last_message"] == "what did I ask earlier?" and record["tokens"] > 0
    assert record["expires_at"] > 0 and record["agent"] == "meeting_coordinator"
    assert [s["session_id"] for s in second.agents.chat_sessions.for_user("U1")] == ["T-D1-1_0"]
    typed = second.records.chat_sessions.get("T-D1-1_0")  # the storage layer's typed view agrees
    assert typed is not None and typed.message_count == 2 and typed.agent == "meeting_coordinator"
    assert [s.session_id for s in second.records.chat_sessions.for_user("U1")] == ["T-D1-1_0"]


def test_concurrent_messages_in_one_session_are_serialised(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    active = 0
    overlaps: list[int] = []
    guard = threading.Lock()

    def slow_answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        nonlocal active
        with guard:
            active += 1
            overlaps.append(active)
        time.sleep(0.05)  # widen the window in which an unserialised second turn would overlap
        with guard:
            active -= 1
        return f"seen {len(messages)} messages"

    model = ScriptedModel([slow_answer], repeat_last=True)
    crewbot.agents.models.override("offline", lambda: model)
    errors: list[BaseException] = []
    answers: list[str] = []

    def send(text: str) -> None:
        try:
            answers.append(crewbot.agents.ask("meeting_coordinator", user_id="U1", conversation="same", text=text).text)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(f"message {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert max(overlaps) == 1, "two turns of one session ran at the same time"
    # Each turn saw the whole history of the turns before it: 1, 3, 5, 7 messages.
    assert sorted(answers) == ["seen 1 messages", "seen 3 messages", "seen 5 messages", "seen 7 messages"]
    assert crewbot.store.table(CHAT_SESSIONS).get({"session_id": "same"})["message_count"] == 4
    assert len(crewbot.agents.locks) == 0


def test_different_sessions_run_in_parallel() -> None:
    locks = SessionLocks()
    inside = threading.Event()
    release = threading.Event()

    def hold_a() -> None:
        with locks.hold("a"):
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold_a)
    holder.start()
    assert inside.wait(5)
    with locks.hold("b"):  # not blocked by "a"
        pass
    release.set()
    holder.join()
    assert len(locks) == 0


def test_reset_starts_a_fresh_session_and_keeps_the_old_one(make_crewbot: MakeCrewbot) -> None:
    crewbot = make_crewbot()
    agents = crewbot.agents
    agents.ask(
        "meeting_coordinator",
        user_id="U1",
        conversation="T-D1-main",
        text="remember the rocks",
        channel_id="D1",
        thread_ts="",
    )
    agents.ask("meeting_coordinator", user_id="U1", conversation="T-D9-x", text="other channel", channel_id="D9")

    crewbot.conversations.reset("U1", "D1")

    fresh = agents.ask(
        "meeting_coordinator",
        user_id="U1",
        conversation="T-D1-main",
        text="what did I ask before?",
        channel_id="D1",
        thread_ts="",
    )
    assert "start of our conversation" in fresh.text
    table = crewbot.store.table(CHAT_SESSIONS)
    old = table.get({"session_id": "T-D1-main"})
    assert old["state"] == "reset" and old["successor"] == "T-D1-main~1"
    assert table.get({"session_id": "T-D1-main~1"})["state"] == "active"
    assert table.get({"session_id": "T-D9-x"})["state"] == "active", "other conversations are untouched"
    # A second reset moves on again; history of both old sessions is still stored.
    crewbot.conversations.reset("U1", "D1")
    assert agents.chat_sessions.active_id("T-D1-main") == "T-D1-main~2"
    assert (crewbot.home / "sessions" / "session_T-D1-main").is_dir()
    assert (crewbot.home / "sessions" / "session_T-D1-main~1").is_dir()


def test_turns_are_serialised_across_processes(make_crewbot: MakeCrewbot) -> None:
    # Two runtimes on one home stand for two processes (two Lambdas): no shared in-process lock.
    runtimes = [make_crewbot(), make_crewbot()]
    active = 0
    overlaps: list[int] = []
    guard = threading.Lock()

    def slow_answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        nonlocal active
        with guard:
            active += 1
            overlaps.append(active)
        time.sleep(0.05)
        with guard:
            active -= 1
        return f"seen {len(messages)} messages"

    for runtime in runtimes:
        runtime.agents.models.override("offline", lambda: ScriptedModel([slow_answer], repeat_last=True))
    answers: list[str] = []
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            answers.append(
                runtimes[i % 2]
                .agents.ask("meeting_coordinator", user_id="U1", conversation="shared", text=f"message {i}")
                .text
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and max(overlaps) == 1
    assert sorted(answers) == ["seen 1 messages", "seen 3 messages", "seen 5 messages", "seen 7 messages"]
    record = runtimes[0].store.table(CHAT_SESSIONS).get({"session_id": "shared"})
    assert record["message_count"] == 4 and "lease_owner" not in record


def test_a_held_lease_makes_the_next_turn_wait_then_fail(make_crewbot: MakeCrewbot) -> None:
    from bot.agents.sessions import SessionBusy

    sessions = make_crewbot().agents.chat_sessions
    with sessions.lease("busy", user_id="U1", agent="a"):
        try:
            with sessions.lease("busy", user_id="U1", agent="a", wait=0.1):
                raise AssertionError("a second holder got in")
        except SessionBusy as exc:
            assert "still busy" in str(exc)
    with sessions.lease("busy", user_id="U1", agent="a", wait=0.1):  # released: free again
        pass
    # An expired lease (a crashed holder) does not block the next turn.
    with (
        sessions.lease("stale", user_id="U1", agent="a", seconds=0),
        sessions.lease("stale", user_id="U1", agent="a", wait=1),
    ):
        pass
