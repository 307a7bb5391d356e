from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.entrypoints.events import event_handler, run_event_handler, run_schedule
from bot.events.bus import Event, EventHandler
from bot.events.schedules import Schedule, ScheduledCall


def test_a_scheduled_event_runs_the_registered_schedule():
    calls: list[ScheduledCall] = []
    schedules = {"monitor": Schedule("monitor", "rate(2 hours)", calls.append, payload={"scope": "all"})}
    run_schedule(schedules, "monitor", {"detail-type": "Scheduled Event", "time": "2026-01-05T10:00:00Z"})
    assert calls == [ScheduledCall("monitor", datetime(2026, 1, 5, 10, tzinfo=UTC), {"scope": "all"})]
    with pytest.raises(LookupError, match="known: monitor"):
        run_schedule(schedules, "other", {})


def test_an_eventbridge_event_runs_the_registered_handler_when_it_matches():
    got: list[Event] = []
    handlers = {"prep": EventHandler("prep", {"detail-type": ["MeetingRequiresPrep"]}, got.append)}
    envelope = {
        "version": "0",
        "id": "e1",
        "source": "crewbot.calendar",
        "detail-type": "MeetingRequiresPrep",
        "time": "2026-01-05T10:00:00Z",
        "detail": {"meeting_id": "m1"},
    }
    run_event_handler(handlers, "prep", envelope)
    assert [(e.id, e.detail) for e in got] == [("e1", {"meeting_id": "m1"})]
    with pytest.raises(ValueError, match="rule and the registration disagree"):
        run_event_handler(handlers, "prep", {**envelope, "detail-type": "Other"})


def test_the_entry_points_need_their_names(monkeypatch):
    monkeypatch.delenv("CREWBOT_EVENT_HANDLER", raising=False)
    with pytest.raises(LookupError, match="CREWBOT_EVENT_HANDLER"):
        event_handler({}, None)
