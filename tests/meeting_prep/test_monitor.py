"""The calendar monitor: diffing by external id (new / moved / cancelled / recurring exception), batch
writes, MeetingRequiresPrep once per meeting version, isolation of a failing user, counts per run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl
from bot.calendars.connections import ConnectionRepository
from bot.calendars.events import CalendarEvent, SyncResult
from bot.clock import ManualClock
from bot.events import EventHandler
from bot.runtime import Crewbot, start
from plugins.meeting_prep.monitor import PREP_EVENT, CalendarMonitor, MonitorOptions, meeting_id_for

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def ics(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, start: str, end: str, title: str, *extra: str, attendees: int = 2) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start}",
        f"DTEND:{end}",
        f"SUMMARY:{title}",
        *extra,
        *(f"ATTENDEE:mailto:p{i}@example.com" for i in range(attendees)),
        "END:VEVENT",
    ]
    return "\r\n".join(lines) + "\r\n"


class Broken:
    """A provider that always fails (for the isolation test)."""

    name, label, uses_oauth = "broken", "Broken", False

    def sync(self, *args: Any) -> SyncResult:
        raise RuntimeError("calendar server on fire")


@pytest.fixture
def runtime(crewbot_home: Path) -> Iterator[tuple[Crewbot, list[dict[str, Any]]]]:
    published: list[dict[str, Any]] = []

    @hookimpl
    def register_event_handlers() -> list[EventHandler]:
        return [EventHandler("record", {"detail-type": [PREP_EVENT]}, lambda e: published.append(e.detail))]

    @hookimpl
    def register_calendar_providers() -> list[Any]:
        return [Broken()]

    probe = SimpleNamespace(
        register_event_handlers=register_event_handlers, register_calendar_providers=register_calendar_providers
    )
    crewbot = start(
        environ={"CREWBOT_HOME": str(crewbot_home), "CREWBOT_LOAD_PLUGINS": "calendar_ics,probe"},
        extra_plugins=[("probe", probe)],
        setup_logging=False,
    )
    crewbot.__dict__["clock"] = ManualClock(NOW)  # before anything reads the clock
    yield crewbot, published
    crewbot.close()


def _set(crewbot: Crewbot, when: datetime) -> None:
    crewbot.clock.advance(when - crewbot.clock.now())


def _connect(crewbot: Crewbot, user: str, path: Path, text: str) -> None:
    path.write_text(text)
    crewbot.records.users.get_or_create(user)
    ConnectionRepository(crewbot).connect(user, "ics", source=str(path))


def _monitor(crewbot: Crewbot) -> CalendarMonitor:
    return CalendarMonitor(crewbot, MonitorOptions(days_ahead=21, days_behind=1))


def test_new_moved_cancelled_and_recurring_exception(runtime: Any, tmp_path: Path) -> None:
    crewbot, _ = runtime
    cal = tmp_path / "cal.ics"
    weekly = vevent(
        "w@t", "20260303T090000Z", "20260303T100000Z", "Vendor sync", "RRULE:FREQ=WEEKLY;COUNT=3", attendees=5
    )
    one = vevent("one@t", "20260304T090000Z", "20260304T093000Z", "1:1 Ann / Dev")
    gone = vevent("gone@t", "20260305T090000Z", "20260305T093000Z", "Design review", attendees=4)
    _connect(crewbot, "U1", cal, ics(weekly, one, gone))
    report = _monitor(crewbot).run()
    counts = report.users[0]
    assert (counts.fetched, counts.new, counts.moved, counts.cancelled) == (5, 5, 0, 0)
    meetings = crewbot.records.meetings
    one_id = meeting_id_for("U1", "ics", "one@t")
    assert meetings.get(one_id).meeting_type == "one_on_one"  # type: ignore[union-attr]

    # Second sync, same calendar: nothing changes.
    assert _monitor(crewbot).run().users[0].unchanged == 5

    # Move the 1:1, delete the design review, cancel one instance and move another (exceptions).
    moved_one = vevent("one@t", "20260304T150000Z", "20260304T153000Z", "1:1 Ann / Dev")
    cancelled = vevent(
        "w@t",
        "20260310T090000Z",
        "20260310T100000Z",
        "Vendor sync",
        "RECURRENCE-ID:20260310T090000Z",
        "STATUS:CANCELLED",
        attendees=5,
    )
    exception = vevent(
        "w@t",
        "20260317T110000Z",
        "20260317T120000Z",
        "Vendor sync (later)",
        "RECURRENCE-ID:20260317T090000Z",
        attendees=5,
    )
    cal.write_text(ics(weekly, moved_one, cancelled, exception))
    counts = _monitor(crewbot).run().users[0]
    assert (counts.new, counts.moved, counts.cancelled, counts.unchanged) == (0, 2, 2, 1)
    assert meetings.get(one_id).start == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # type: ignore[union-attr]
    assert meetings.get(meeting_id_for("U1", "ics", "gone@t")).status == "cancelled"  # type: ignore[union-attr]
    assert meetings.get(meeting_id_for("U1", "ics", "w@t#20260310T090000Z")).status == "cancelled"  # type: ignore[union-attr]
    later = meetings.get(meeting_id_for("U1", "ics", "w@t#20260317T090000Z"))
    assert later is not None and later.title == "Vendor sync (later)"
    assert later.start == datetime(2026, 3, 17, 11, 0, tzinfo=UTC)


def test_prep_event_once_per_meeting_version(runtime: Any, tmp_path: Path) -> None:
    crewbot, published = runtime
    cal = tmp_path / "cal.ics"
    _connect(
        crewbot,
        "U1",
        cal,
        ics(
            vevent("one@t", "20260303T090000Z", "20260303T093000Z", "1:1 Ann / Dev"),
            vevent("far@t", "20260310T090000Z", "20260310T093000Z", "1:1 far away"),
        ),
    )
    _monitor(crewbot).run()
    assert [d["meeting_id"] for d in published] == [meeting_id_for("U1", "ics", "one@t")]  # 21 h ahead, prep 24 h
    event = published[0]
    assert event["meeting_type"] == "one_on_one" and event["prep_trigger_time"] == "2026-03-02T09:00:00Z"
    _monitor(crewbot).run()
    assert len(published) == 1  # the same version is not announced twice
    cal.write_text(
        ics(
            vevent("one@t", "20260303T110000Z", "20260303T113000Z", "1:1 Ann / Dev"),
            vevent("far@t", "20260310T090000Z", "20260310T093000Z", "1:1 far away"),
        )
    )
    _monitor(crewbot).run()
    assert len(published) == 2 and published[1]["prep_version"] != published[0]["prep_version"]  # moved: re-planned
    _set(crewbot, datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    _monitor(crewbot).run()
    assert published[-1]["meeting_id"] == meeting_id_for("U1", "ics", "far@t")


def test_quiet_hours_hold_prep_events_back(runtime: Any, tmp_path: Path) -> None:
    crewbot, published = runtime
    _connect(crewbot, "U1", tmp_path / "c.ics", ics(vevent("one@t", "20260303T090000Z", "20260303T093000Z", "1:1")))
    crewbot.records.users.update("U1", settings={"meeting_prep": {"quiet_hours": {"start": "11:00", "end": "13:00"}}})
    _monitor(crewbot).run()
    assert published == []
    _set(crewbot, NOW + timedelta(hours=1, minutes=5))
    _monitor(crewbot).run()
    assert len(published) == 1


def test_one_users_failure_never_stops_the_others(runtime: Any, tmp_path: Path) -> None:
    crewbot, _ = runtime
    crewbot.records.users.get_or_create("UBAD")
    ConnectionRepository(crewbot).connect("UBAD", "broken")
    _connect(crewbot, "UGOOD", tmp_path / "c.ics", ics(vevent("x@t", "20260303T090000Z", "20260303T093000Z", "Sync")))
    report = _monitor(crewbot).run()
    by_user = {u.user_id: u for u in report.users}
    # Told as a sentence (the exception is in the log, not in what the user reads).
    assert by_user["UBAD"].errors == [
        "Broken: the calendar could not be synced because of an internal error (it was logged)"
    ]
    assert by_user["UGOOD"].new == 1 and not by_user["UGOOD"].errors
    connection = ConnectionRepository(crewbot).get("UBAD", "broken")
    assert connection is not None and connection.status == "error" and "internal error" in (connection.last_error or "")
    totals = report.totals()
    assert totals["failed_users"] == 1 and totals["new"] == 1
    logged = crewbot.records.audit.page("system#calendar-monitor").items
    assert logged and logged[-1].detail["new"] == 1 and logged[-1].detail["failed_users"] == 1


def test_incremental_changes_only_touch_what_changed(runtime: Any) -> None:
    crewbot, _ = runtime
    repo = crewbot.records.meetings
    monitor = _monitor(crewbot)
    start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    first = [
        CalendarEvent(external_id="a", title="A", start=start, end=start + timedelta(hours=1)),
        CalendarEvent(external_id="b", title="B", start=start, end=start + timedelta(hours=1)),
    ]
    counts = SimpleNamespace(new=0, updated=0, moved=0, cancelled=0, unchanged=0)
    window = (NOW - timedelta(days=1), NOW + timedelta(days=21))
    monitor._apply("U1", None, "google", first, True, *window, counts)  # type: ignore[arg-type]
    # A delta: only "b" was deleted (reported by id alone); "a" is absent but must stay.
    monitor._apply("U1", None, "google", [CalendarEvent(external_id="b", status="cancelled")], False, *window, counts)  # type: ignore[arg-type]
    assert repo.get(meeting_id_for("U1", "google", "a")).status == "confirmed"  # type: ignore[union-attr]
    b = repo.get(meeting_id_for("U1", "google", "b"))
    assert b is not None and b.status == "cancelled" and b.title == "B"


def test_counts_become_cloudwatch_metrics_in_aws(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from plugins.meeting_prep.monitor import emit_metrics

    emit_metrics("crewbot", {"fetched": 7, "new": 2, "prep_events": 1, "failed_users": 1})
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "crewbot"
    assert (line["CalendarEventsRead"], line["MeetingsNew"], line["PrepEvents"], line["UsersFailed"]) == (
        [7.0],
        [2.0],
        [1.0],
        [1.0],
    )


def test_a_prep_that_never_reached_the_user_is_announced_again(runtime: Any, tmp_path: Path) -> None:
    crewbot, published = runtime
    _connect(crewbot, "U1", tmp_path / "c.ics", ics(vevent("one@t", "20260303T080000Z", "20260303T083000Z", "1:1")))
    _monitor(crewbot).run()
    _set(crewbot, NOW + timedelta(hours=1))
    _monitor(crewbot).run()
    assert [e["attempt"] for e in published] == [1]  # too soon to call it stalled
    for hours in (3, 6, 9, 12):
        _set(crewbot, NOW + timedelta(hours=hours))
        _monitor(crewbot).run()
    assert [e["attempt"] for e in published] == [1, 2, 3]  # at most three attempts
    crewbot.records.meetings.update(published[0]["meeting_id"], prep_status="notified", prep_request_attempt=1)
    _set(crewbot, NOW + timedelta(hours=15))
    _monitor(crewbot).run()
    assert len(published) == 3  # it reached the user: never again for this version
