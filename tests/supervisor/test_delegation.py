"""The Supervisor through the real path: Slack DM → Supervisor → worker queue → workers → task.completion →
Supervisor → Slack."""

from __future__ import annotations

import threading
from typing import Any

from tests.supervisor import specialists
from tests.supervisor.conftest import service


def test_two_delegations_run_in_parallel_and_are_aggregated(emu: Any) -> None:
    every = emu.dm("Give me the alpha and beta figures").text
    assert sorted(specialists.SEEN) == ["alpha", "beta"]
    assert "alpha 42" in every and "beta 42" in every, every  # both passed the barrier: they overlapped
    assert "Contributors: alpha, beta" in every
    assert "Asked 2 agents: alpha ✓, beta ✓" in every
    orchestration = service(emu).state.for_user(emu.admin_id)[0]
    assert orchestration["status"] == "completed"
    assert orchestration["contributors"] == ["alpha", "beta"]
    assert not emu.take_errors()


def test_duplicate_and_out_of_order_completions_count_once(emu: Any) -> None:
    supervisor = service(emu)
    state = supervisor.state
    orchestration = state.create(user_id="U1", question="q", channel_id="D1", thread_ts="1.0", conversation="c")
    oid = orchestration["orchestration_id"]
    for delegation, agent in (("d1", "alpha"), ("d2", "beta")):
        assert state.add_delegation(oid, 1, delegation, agent, "task") is not None
    assert state.add_delegation(oid, 1, "d1", "alpha", "task") is None  # a re-run tool does not delegate again
    # d2 completes before the round is sealed (out of order), then again (a duplicate delivery).
    assert state.record_result(oid, "d2", "done", "beta says hi").counted
    assert not state.record_result(oid, "d2", "done", "beta says hi again").counted
    assert not state.seal_round(oid, 1, {"d1": "i1", "d2": "i2"}).round_complete
    first = state.record_result(oid, "d1", "done", "alpha says hi")
    assert first.counted and first.round_complete
    again = state.record_result(oid, "d1", "error", "late failure")
    assert not again.counted and not again.round_complete
    record = state.round(oid, 1)
    assert sorted(record["received"]) == ["d1", "d2"] and record["emitted"]
    assert state.delegation(oid, "d2")["result"] == "beta says hi"
    assert state.delegation(oid, "d1")["status"] == "done"


def test_a_duplicate_task_completion_resumes_once(emu: Any) -> None:
    emu.dm("Give me the alpha and beta figures")
    supervisor = service(emu)
    orchestration = supervisor.state.for_user(emu.admin_id)[0]
    assert orchestration["status"] == "completed"
    answer = orchestration["answer"]
    # The same event again (EventBridge delivers at least once), and a repeated work item.
    emu.crewbot.bus.publish(
        "crewbot.supervisor", "task.completion", {"orchestration_id": orchestration["orchestration_id"], "round": 1}
    )
    delegation = supervisor.state.delegations(orchestration["orchestration_id"])[0]
    supervisor.queue.send(
        {"type": "task.request", **{k: delegation[k] for k in ("orchestration_id", "delegation_id", "agent")}}
    )
    emu.wait()
    after = supervisor.state.get(orchestration["orchestration_id"])
    assert after["answer"] == answer and after["round"] == orchestration["round"]
    assert len(supervisor.state.delegations(orchestration["orchestration_id"])) == 2
    assert not emu.take_errors()


def test_a_failing_worker_ends_in_the_dlq_and_its_error_reaches_the_answer(emu: Any, monkeypatch: Any) -> None:
    agents = emu.crewbot.agents
    real_ask = agents.ask

    def ask(agent: str, **kwargs: Any) -> Any:
        if agent == "beta":
            raise RuntimeError("the beta service is down")
        return real_ask(agent, **kwargs)

    monkeypatch.setattr(agents, "ask", ask)
    specialists.BARRIER = threading.Barrier(1)  # alpha alone: nothing to wait for
    emu.dm("Give me the alpha and beta figures")
    supervisor = service(emu)
    orchestration = supervisor.state.for_user(emu.admin_id)[0]
    assert orchestration["status"] == "waiting"  # beta is retried after a delay
    emu.advance("10s")  # second attempt
    emu.advance("20s")  # third and last attempt: error result, message to the DLQ
    final = supervisor.state.get(orchestration["orchestration_id"])
    assert final["status"] == "completed", final
    assert "*beta* could not help" in final["answer"] and "the beta service is down" in final["answer"]
    assert "alpha 42" in final["answer"]
    assert final["failed"] == ["beta"] and final["contributors"] == ["alpha"]
    dead = supervisor.queue.dead_letters()
    assert [m.body["agent"] for m in dead] == ["beta"]
    beta = next(d for d in supervisor.state.delegations(final["orchestration_id"]) if d["agent"] == "beta")
    assert beta["status"] == "error" and beta["attempts"] == 3
    emu.take_errors()


def _workers_down(emu: Any, monkeypatch: Any) -> None:
    """As if the process crashed before any worker picked the work items up."""
    workers = emu.crewbot.queues.workers
    monkeypatch.setattr(workers, "notify", lambda queue: None)
    monkeypatch.setattr(workers, "run_due", lambda now=None: None)


def test_a_restart_mid_orchestration_resumes_it(start: Any, monkeypatch: Any) -> None:
    first = start()
    first.act_as("admin")
    first.command("/crewbot agents use supervisor")
    _workers_down(first, monkeypatch)
    first.dm("Give me the alpha and beta figures")
    waiting = service(first).state.for_user(first.admin_id)[0]
    assert waiting["status"] == "waiting"
    assert [d["status"] for d in service(first).state.delegations(waiting["orchestration_id"])] == ["pending"] * 2
    first.close()
    monkeypatch.undo()

    second = start()  # same CREWBOT_HOME: the store, the queue and the Supervisor's session survive
    second.advance("1s")  # the second process's workers pick the queued work items up
    done = service(second).state.get(waiting["orchestration_id"])
    assert done["status"] == "completed", done
    assert "alpha 42" in done["answer"] and "beta 42" in done["answer"]
    assert not second.take_errors()


def test_an_orchestration_past_its_deadline_completes_with_what_it_has(emu: Any, monkeypatch: Any) -> None:
    from bot.api import RetryLater

    supervisor = service(emu)

    def stuck(message: Any) -> None:  # workers that never get to the work items
        raise RetryLater(86_400, "busy")

    monkeypatch.setattr(supervisor, "work", stuck)
    emu.dm("Give me the alpha and beta figures")
    orchestration = supervisor.state.for_user(emu.admin_id)[0]
    emu.advance("31m")  # past the 30-minute default: the deadline event fires
    final = supervisor.state.get(orchestration["orchestration_id"])
    assert final["status"] == "completed", final
    assert "timed out" in final["answer"]
    assert sorted(final["failed"]) == ["alpha", "beta"]


def test_the_sweep_times_out_an_orchestration_whose_deadline_event_was_lost(emu: Any, monkeypatch: Any) -> None:
    from bot.api import RetryLater

    supervisor = service(emu)

    def stuck(message: Any) -> None:
        raise RetryLater(86_400, "busy")

    monkeypatch.setattr(supervisor, "work", stuck)
    monkeypatch.setattr(emu.crewbot.scheduler, "once", lambda *args, **kwargs: None)  # the event is lost
    emu.dm("Give me the alpha and beta figures")
    orchestration = supervisor.state.for_user(emu.admin_id)[0]
    emu.advance("31m")
    assert supervisor.state.get(orchestration["orchestration_id"])["status"] == "waiting"
    emu.advance("15m")  # the sweep's next run
    assert supervisor.state.get(orchestration["orchestration_id"])["status"] == "completed"


def test_crewbot_ask_and_orchestrations(emu: Any) -> None:
    turn = emu.command("/crewbot ask Give me the alpha and beta figures")
    assert "On it" in turn.text
    emu.wait()
    shown = "\n".join(emu.render(emu.new_outputs())) + turn.text
    assert "Contributors: alpha, beta" in shown, shown
    listing = emu.command("/crewbot orchestrations").text
    assert "completed" in listing and "alpha ✓, beta ✓" in listing, listing
    assert "/crewbot ask" in emu.command("/crewbot help").text


def test_a_delegation_past_its_agents_timeout_fails_like_any_failure(emu: Any, monkeypatch: Any) -> None:
    agents = emu.crewbot.agents
    registry = agents.registry
    beta = registry.agents["beta"]
    # A fraction of a second instead of the spec's minimum of 5 s, so the test does not wait.
    registry.agents["beta"] = beta.model_copy(
        update={"delegation": beta.delegation.model_copy(update={"timeout_s": 0.2})}
    )
    release = threading.Event()
    real_ask = agents.ask

    def ask(agent: str, **kwargs: Any) -> Any:
        if agent == "beta":
            release.wait(10)  # a model that hangs
        return real_ask(agent, **kwargs)

    monkeypatch.setattr(agents, "ask", ask)
    specialists.BARRIER = threading.Barrier(1)
    try:
        emu.dm("Give me the alpha and beta figures")
        emu.advance("10s")
        emu.advance("20s")
        final = service(emu).state.for_user(emu.admin_id)[0]
        assert final["status"] == "completed", final
        assert "no answer within 0.2 s" in final["answer"] and final["failed"] == ["beta"]
    finally:
        release.set()
    emu.take_errors()
