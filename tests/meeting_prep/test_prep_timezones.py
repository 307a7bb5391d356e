"""The user's time zone: read from Slack (users.info) after the first request's acknowledgement, updated
by user_change, overridden in /prep settings; times shown, all-day events and quiet hours use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from plugins.meeting_prep.timing import in_quiet_hours
from tests.meeting_prep.test_prep_flow import _config

NEW_YORK = ZoneInfo("America/New_York")


def _calendar(path: Path, day: datetime) -> Path:
    """A meeting given in Paris time, and an all-day offsite (with attendees) the next day."""
    paris = f"{day:%Y%m%d}T150000"
    following = day + timedelta(days=1)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//t//EN",
        "BEGIN:VEVENT",
        "UID:paris@t",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID=Europe/Paris:{paris}",
        f"DTEND;TZID=Europe/Paris:{day:%Y%m%d}T160000",
        "SUMMARY:Vendor call",
        "ATTENDEE;CN=A:mailto:a@example.com",
        "ATTENDEE;CN=B:mailto:b@example.com",
        "ATTENDEE;CN=C:mailto:c@example.com",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:offsite@t",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;VALUE=DATE:{following:%Y%m%d}",
        f"DTEND;VALUE=DATE:{following + timedelta(days=1):%Y%m%d}",
        "SUMMARY:Team offsite",
        "ATTENDEE;CN=A:mailto:a@example.com",
        "ATTENDEE;CN=B:mailto:b@example.com",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_times_all_day_events_and_quiet_hours_use_the_zone_slack_gives(
    prep_emulator_factory: Any, tmp_path: Path
) -> None:
    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _calendar(tmp_path / "c.ics", day)))
    emulator.fake.users[emulator.current_user]["tz"] = "America/New_York"
    emulator.play("""
        /prep sync
        expect Calendar synced
        /prep
        expect 09:00-10:00 America/New_York (15:00-16:00 Europe/Paris)
    """)
    user = emulator.crewbot.records.users.get(emulator.current_user)
    assert user is not None and user.timezone == "America/New_York"
    assert [c.args["user"] for c in emulator.fake.calls_to("users.info")] == [emulator.current_user]
    offsite = next(m for m in emulator.crewbot.records.meetings.for_user(user.user_id) if m.all_day)
    # The all-day offsite starts at midnight in New York, not at 19:00 the day before.
    assert offsite.start.astimezone(NEW_YORK).hour == 0
    assert offsite.start.astimezone(NEW_YORK).date() == (day + timedelta(days=1)).date()
    # Quiet hours 22:00-07:00 in the user's zone: 18:00 in New York is not quiet, 23:00 is.
    user = user.with_changes(settings={"meeting_prep": {"quiet_hours": {"start": "22:00", "end": "07:00"}}})
    six_pm = datetime(2026, 12, 3, 18, 0, tzinfo=NEW_YORK)
    assert not in_quiet_hours(user, six_pm) and in_quiet_hours(user, six_pm + timedelta(hours=5))


def test_user_change_updates_the_zone_and_settings_override_it(prep_emulator_factory: Any, tmp_path: Path) -> None:
    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _calendar(tmp_path / "c.ics", day)))
    user_id = emulator.current_user
    emulator.command("/prep")
    users = emulator.crewbot.records.users
    assert users.get(user_id).timezone == "UTC"  # type: ignore[union-attr]
    emulator.send_event({"type": "user_change", "user": {"id": user_id, "tz": "Asia/Tokyo"}})
    assert users.get(user_id).timezone == "Asia/Tokyo"  # type: ignore[union-attr]
    emulator.play("""
        /prep settings
        submit timezone=Mars/Olympus
        expect not a time zone name
        submit timezone=Europe/Berlin
    """)
    user = users.get(user_id)
    assert user is not None and user.timezone == "Europe/Berlin" and user.settings["meeting_prep"]["timezone"]
    # Slack's zone changes again: remembered, but the user's own choice stays in effect.
    emulator.send_event({"type": "user_change", "user": {"id": user_id, "tz": "America/Chicago"}})
    user = users.get(user_id)
    assert user is not None and (user.timezone, user.slack_timezone) == ("Europe/Berlin", "America/Chicago")
    emulator.play("""
        /prep sync
        /prep
        expect 15:00-16:00 Europe/Berlin
    """)
