"""Prep on time, in the emulator: the prompt at the exact prep time (not the next monitor run), a
reminder even with a short prep lead, an unanswered chat closing before the meeting, nothing for a
meeting under way, and a late reminder skipped and logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.api import parse_time
from tests.meeting_prep.test_prep_flow import _config, _ics, _materials


def _at(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def test_the_prompt_comes_at_the_exact_prep_time(prep_emulator_factory: Any, tmp_path: Path) -> None:
    # An incident review 5 hours ahead (2 h prep): its prompt is due in 3 hours, between two monitor runs.
    calendar = _ics(tmp_path / "c.ics", ("SEV2 incident review", _at(5), 4))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect 0 meetings to prepare now
        advance 170m
        expect-not Time to prepare
        advance 20m
        expect Time to prepare: SEV2 incident review
    """)
    [meeting] = emulator.crewbot.records.meetings.for_user("UDEV")
    assert meeting.prep_status == "notified"


def test_a_moved_meeting_is_prompted_for_its_new_time_only(prep_emulator_factory: Any, tmp_path: Path) -> None:
    title, start = "SEV2 incident review", _at(5)
    calendar = _ics(tmp_path / "c.ics", (title, start, 4))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.command("/prep sync")
    _ics(calendar, (title, start + timedelta(hours=4), 4))
    emulator.play("""
        /prep sync
        expect 1 moved
        advance 190m
        expect-not Time to prepare
        advance 4h
        expect Time to prepare: SEV2 incident review
    """)
    assert len(emulator.crewbot.workflows.list("meeting_prep")) == 1


def test_a_short_prep_lead_still_gets_its_reminder(prep_emulator_factory: Any, tmp_path: Path) -> None:
    # Prep 2 h before, reminder 2 h before: the reminder comes 5 minutes after the materials.
    calendar = _ics(tmp_path / "c.ics", ("SEV2 incident review", _at(1.5), 4))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect Time to prepare: SEV2 incident review
        click Start prep
        Checkout was down for 12 minutes
        done
        expect Materials ready
        advance 6m
        expect Reminder: *SEV2 incident review* starts
        expect You prepared 1 answer
    """)


def test_an_unanswered_chat_closes_30_minutes_before_the_meeting(prep_emulator_factory: Any, tmp_path: Path) -> None:
    # A leadership meeting 10 hours ahead (72 h prep: due at once); nobody answers.
    calendar = _ics(tmp_path / "c.ics", ("Leadership team weekly", _at(10), 11))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect Time to prepare: Leadership team weekly
        advance 560m
        expect-not Materials ready
        advance 15m
        expect Materials ready: Leadership team weekly
    """)
    [meeting] = emulator.crewbot.records.meetings.for_user("UDEV")
    assert meeting.prep_status == "ready" and parse_time(meeting.materials_at) < meeting.start
    assert "not completed in time" in _materials(emulator)


def test_nothing_is_sent_for_a_meeting_that_has_started(prep_emulator_factory: Any, tmp_path: Path) -> None:
    # The process was paused across the prep time and the meeting's start (the clock jumps in one step).
    calendar = _ics(tmp_path / "c.ics", ("SEV2 incident review", _at(5), 4))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.command("/prep sync")
    emulator.crewbot.clock.advance(timedelta(hours=6))
    emulator.wait()
    assert not any("Time to prepare" in (o.text or "") for o in emulator.new_outputs())
    assert emulator.crewbot.workflows.list("meeting_prep") == []


def test_a_late_reminder_is_skipped_and_logged(prep_emulator_factory: Any, tmp_path: Path) -> None:
    calendar = _ics(tmp_path / "c.ics", ("Leadership team weekly", _at(10), 11))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        click Start prep
        done
        expect Materials ready
    """)
    # The reminder is due 2 hours before the meeting; the clock jumps past the meeting's start.
    emulator.crewbot.clock.advance(timedelta(hours=11))
    emulator.wait()
    assert not any("Reminder:" in (o.text or "") for o in emulator.new_outputs())
    [meeting] = emulator.crewbot.records.meetings.for_user("UDEV")
    skipped = [
        e
        for e in emulator.crewbot.records.audit.page(f"user#{meeting.user_id}").items
        if e.action == "reminder.skipped"
    ]
    assert [e.target for e in skipped] == [meeting.meeting_id]


def test_new_lead_times_replan_a_prompt_not_sent_yet(prep_emulator_factory: Any, tmp_path: Path) -> None:
    calendar = _ics(tmp_path / "c.ics", ("SEV2 incident review", _at(5), 4))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect 0 meetings to prepare now
        /prep settings
        submit lead_times="incident_review=1"
        advance 190m
        expect-not Time to prepare
        advance 60m
        expect Time to prepare: SEV2 incident review
    """)
    assert len(emulator.crewbot.workflows.list("meeting_prep")) == 1
