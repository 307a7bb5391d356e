"""What counts as a meeting: out of office, focus time, working location, birthdays, free and declined
events and all-day events without others are stored and listed as such but not prepared, unless
meeting_types.yaml says otherwise; and the sample calendar is only for the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.api import Attendee, Meeting
from bot.resources import data_dir
from plugins.meeting_prep.classify import NOT_MEETING_KINDS, MeetingTypesError, classify_meeting, load_meeting_types
from tests.meeting_prep.test_prep_flow import _config


def _event(uid: str, title: str, start: datetime, *extra: str, all_day: bool = False, people: int = 3) -> list[str]:
    if all_day:
        times = [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}"]
    else:
        times = [f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}"]
    attendees = [f"ATTENDEE;CN=P{i}:mailto:p{i}@example.com" for i in range(people)]
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        *times,
        f"SUMMARY:{title}",
        *attendees,
        *extra,
        "END:VEVENT",
    ]


def _calendar(path: Path) -> Path:
    soon = (datetime.now(UTC) + timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN"]
    lines += _event("real", "Budget sync", soon)
    lines += _event("free", "Optional: brown bag talk", soon + timedelta(hours=2), "TRANSP:TRANSPARENT")
    lines += _event("oof", "Dentist", soon + timedelta(hours=4), "X-MICROSOFT-CDO-BUSYSTATUS:OOF", people=0)
    lines += _event("offsite", "Company holiday", soon + timedelta(days=1), all_day=True, people=0)
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n")
    return path


def test_non_meetings_are_listed_but_not_prepared(prep_emulator_factory: Any, tmp_path: Path) -> None:
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _calendar(tmp_path / "c.ics")))
    emulator.play("""
        /prep sync
        expect 4 new
        expect 1 meeting to prepare now
        expect Time to prepare: Budget sync
        /prep
        expect Free time · prep: not prepared
        expect Out of office · prep: not prepared
        expect All-day event · prep: not prepared
        advance 2d
        expect-not Time to prepare
    """)
    meetings = {m.title: m for m in emulator.crewbot.records.meetings.for_user("UDEV")}
    assert meetings["Optional: brown bag talk"].meeting_type == "free"
    assert meetings["Dentist"].meeting_type == "out_of_office"
    assert meetings["Company holiday"].meeting_type == "all_day_alone"
    started = [e.name for e in emulator.crewbot.workflows.list("meeting_prep")]
    assert len(started) == 1 and started[0].startswith(meetings["Budget sync"].meeting_id)


def test_a_kind_can_be_prepared_after_all(prep_emulator_factory: Any, tmp_path: Path) -> None:
    shipped = (data_dir("config") / "meeting_types.yaml").read_text()
    types = tmp_path / "types.yaml"
    types.write_text(
        shipped.replace("free: {label: Free time, prepare: false}", "free: {label: Free time, prepare: true}")
    )
    config = _config(tmp_path, _calendar(tmp_path / "c.ics"))
    config.write_text(
        config.read_text().replace("{sample_calendar:", f"{{meeting_types_file: '{types}', sample_calendar:")
    )
    emulator = prep_emulator_factory(config_file=config)
    emulator.play("""
        /prep sync
        expect 2 meetings to prepare now
    """)
    brown_bag = next(m for m in emulator.crewbot.records.meetings.for_user("UDEV") if m.title.startswith("Optional"))
    assert brown_bag.meeting_type == "default"


@pytest.mark.parametrize(
    ("facts", "kind"),
    [
        ({"kind": "focus_time"}, "focus_time"),
        ({"kind": "working_location"}, "working_location"),
        ({"kind": "birthday"}, "birthday"),
        ({"declined": True}, "declined"),
        ({"show_as": "out_of_office"}, "out_of_office"),
        ({"show_as": "free"}, "free"),
        ({"all_day": True, "attendees": [Attendee(email="me@x", is_self=True)]}, "all_day_alone"),
        ({"all_day": True, "attendees": [Attendee(email="me@x", is_self=True), Attendee(email="b@x")]}, "one_on_one"),
        ({}, "default"),
    ],
)
def test_what_providers_report_decides_the_kind(facts: dict[str, Any], kind: str) -> None:
    start = datetime(2026, 12, 7, 15, tzinfo=UTC)
    fields: dict[str, Any] = {"attendees": [Attendee(email="a@x"), Attendee(email="b@x"), Attendee(email="c@x")]}
    fields.update(facts)
    meeting = Meeting(
        meeting_id="m1",
        user_id="U1",
        provider="google",
        external_id="e1",
        title="Sync",
        start=start,
        end=start,
        **fields,
    )
    types = load_meeting_types()
    result = classify_meeting(types, meeting)
    assert result.meeting_type == kind
    assert types.prepares(result.meeting_type) == (kind not in NOT_MEETING_KINDS)


def test_an_unknown_kind_in_the_file_is_named(tmp_path: Path) -> None:
    shipped = (data_dir("config") / "meeting_types.yaml").read_text()
    bad = tmp_path / "types.yaml"
    bad.write_text(shipped.replace("  birthday: {label: Birthday", "  birthdays: {label: Birthday"))
    with pytest.raises(MeetingTypesError, match=r"not_prepared: .*unknown kinds \['birthdays'\]"):
        load_meeting_types(bad)


def test_the_sample_calendar_is_never_used_with_slack_tokens(prep_emulator_factory: Any, tmp_path: Path) -> None:
    from plugins.meeting_prep.monitor import CalendarMonitor
    from plugins.meeting_prep.settings import monitor_options

    emulator = prep_emulator_factory(config_file=_config(tmp_path, _calendar(tmp_path / "c.ics")))
    assert monitor_options(emulator.crewbot).fallback_ics  # the emulator: the sample calendar
    real = prep_emulator_factory(environ={"SLACK_BOT_TOKEN": "xoxb-real-workspace"})
    assert monitor_options(real.crewbot).fallback_ics is None
    real.crewbot.records.users.get_or_create("UREAL")
    report = CalendarMonitor(real.crewbot, monitor_options(real.crewbot)).run(["UREAL"])
    assert report.totals()["fetched"] == 0 and real.crewbot.records.meetings.for_user("UREAL") == []
