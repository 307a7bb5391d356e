"""The meeting-prep handlers through the AWS Lambda entry points (the handlers are bound to the runtime the
entry point starts, and must keep working once nothing else refers to it): a workflow task and the
calendar-monitor schedule."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.entrypoints import events as event_entry
from bot.entrypoints import workflows as task_entry


@pytest.fixture
def fresh_entries(crewbot_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for cached in (task_entry._runtime, task_entry._tasks, event_entry._runtime, event_entry._registered):
        cached.cache_clear()
    yield
    for cached in (task_entry._runtime, task_entry._tasks, event_entry._runtime, event_entry._registered):
        cached.cache_clear()


def test_workflow_task_lambda_reaches_its_runtime(fresh_entries: None, monkeypatch: pytest.MonkeyPatch) -> None:
    task_entry._tasks()
    gc.collect()
    monkeypatch.setenv("CREWBOT_WORKFLOW_TASK", "LoadMeeting")  # nothing but the entry point keeps the runtime alive
    with pytest.raises(Exception) as caught:
        task_entry.handler({"meeting_id": "nope", "prep_version": "v"}, None)
    assert type(caught.value).__name__ == "Meeting.NotFound"  # the handler ran against the store


def test_schedule_lambda_runs_the_calendar_monitor(fresh_entries: None, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = event_entry._runtime()
    event_entry._registered()
    runtime.records.users.get_or_create("U1")
    gc.collect()
    monkeypatch.setenv("CREWBOT_SCHEDULE", "calendar-monitor")
    event_entry.schedule_handler({"time": "2026-03-02T12:00:00Z"}, None)
    logged = runtime.records.audit.page("system#calendar-monitor").items
    assert logged and logged[-1].action == "calendar.enqueue" and logged[-1].detail["users"] == 1
    # The schedule only enqueued; the local calendar-sync workers synced U1 (on the sample calendar).
    assert runtime.queues.workers is not None and runtime.queues.workers.wait()
    assert runtime.records.meetings.for_user("U1")
