"""The local runner when its process is SIGKILLed: committed answers are applied, tokens handed out
before a crash stay valid, one broken execution does not stop the recovery of the others, and a
seeded chaos run ends every execution as Step Functions would (see ``chaos_child``)."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.workflows.errors import TaskTokenAnswered
from tests.workflows import chaos_child
from tests.workflows.chaos_child import answer_for, asks, expected_output

REPO = Path(__file__).resolve().parents[2]


def child(home: Path, *args: str, **kill: str) -> subprocess.CompletedProcess[str]:
    """Run ``chaos_child`` in its own process; ``kill`` sets where it SIGKILLs itself."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **kill}
    return subprocess.run(
        [sys.executable, "-m", "tests.workflows.chaos_child", str(home), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def killed(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == -signal.SIGKILL


def token_of(home: Path, step: str) -> str:
    return next(item["taskToken"] for item in asks(home) if item["step"] == step)


def effects(home: Path) -> collections.Counter[str]:
    path = home / "effects.log"
    return collections.Counter(path.read_text().splitlines() if path.exists() else [])


@pytest.mark.parametrize("resume", ["recover", "run_due"])
def test_an_answer_committed_just_before_a_crash_is_applied(tmp_path: Path, resume: str) -> None:
    assert child(tmp_path, "start", "x").returncode == 0
    token = token_of(tmp_path, "a")
    assert killed(child(tmp_path, "answer", token, CHAOS_KILL_AFTER_ANSWER="1"))

    runner = chaos_child.engine(tmp_path)
    # The long-running process resumes it at start; a CLI process applies it on its next run_due().
    getattr(runner, resume)()
    assert effects(tmp_path)["x a"] == 1  # the answer was applied: the branch went on to its next task
    with pytest.raises(TaskTokenAnswered):
        runner.send_task_success(token, {"by": "someone else"})
    runner.send_task_success(token_of(tmp_path, "b"), answer_for("x", "b"))
    done = runner.describe("chaos:x")
    assert (done.status, done.output) == ("SUCCEEDED", expected_output("x"))


def test_a_token_handed_out_before_a_crash_stays_valid(tmp_path: Path) -> None:
    assert killed(child(tmp_path, "start", "x", CHAOS_KILL_IN_ASK="1"))
    handed_out = token_of(tmp_path, "a")

    runner = chaos_child.engine(tmp_path)
    runner.recover()  # the human step's handler is called again, with the same token
    assert {item["taskToken"] for item in asks(tmp_path) if item["step"] == "a"} == {handed_out}
    runner.send_task_success(handed_out, answer_for("x", "a"))
    runner.send_task_success(token_of(tmp_path, "b"), answer_for("x", "b"))
    done = runner.describe("chaos:x")
    assert (done.status, done.output) == ("SUCCEEDED", expected_output("x"))


def test_one_broken_execution_does_not_stop_the_recovery_of_the_others(tmp_path: Path) -> None:
    from bot.events.ticker import start_ticker
    from tests.workflows.test_durability import ASKED, runtime

    crewbot = runtime(tmp_path)
    broken = crewbot.workflows.start("approval", {"project": "broken"}, name="broken")
    broken_token = ASKED[-1]["taskToken"]
    fine = crewbot.workflows.start("approval", {"project": "fine"}, name="fine")
    fine_token = ASKED[-1]["taskToken"]
    tokens = crewbot.store.table("workflow_tokens")
    tokens.delete({"token": broken_token})  # its stored data is damaged
    # The other one's answer was committed by a process that stopped before applying it.
    item = tokens.get({"token": fine_token})
    assert item is not None
    tokens.put({**item, "status": "SUCCEEDED", "output": {"approved": True}}, expected_version=item["version"])
    crewbot.close()

    restarted = runtime(tmp_path)
    ticker = start_ticker(restarted, interval=60)
    assert ticker is not None
    ticker.stop()
    assert restarted.workflows.describe(fine.execution_id).status == "SUCCEEDED"
    failed = restarted.workflows.describe(broken.execution_id)
    assert (failed.status, failed.error) == ("FAILED", "States.Runtime")
    assert "could not be recovered" in (failed.cause or "")
    restarted.close()


def test_chaos_random_kills_end_every_execution_as_step_functions_would(tmp_path: Path) -> None:
    rng = random.Random(1313)
    names = [f"e{i}" for i in range(4)]
    kills = 0
    for _ in range(10):  # bounded: ten processes that each die at a random write (if not done by then)
        result = child(tmp_path, "cycle", *names, CHAOS_KILL_AFTER_WRITES=str(rng.randint(1, 25)))
        kills += killed(result)
    assert kills >= 5  # the seed does kill processes mid-way
    result = child(tmp_path, "cycle", *names)
    assert (result.returncode, result.stdout.strip()) == (0, "DONE"), result.stderr

    runner = chaos_child.engine(tmp_path)
    counts = effects(tmp_path)
    for name in names:
        execution = runner.describe(f"chaos:{name}")
        assert (execution.status, execution.output) == ("SUCCEEDED", expected_output(name))
        applied: collections.Counter[Any] = collections.Counter(
            event.details["state"] for event in runner.history(execution.execution_id) if event.type == "TaskSucceeded"
        )
        assert applied["AskA"] == applied["AskB"] == 1  # each answer applied exactly once
        for key in ("prepare", "a", "b", "finish"):
            assert counts[f"{name} {key}"] >= 1  # every side effect happened
    # At least once: a side effect repeats only when a process died during its step.
    assert sum(counts.values()) - 4 * len(names) <= kills
