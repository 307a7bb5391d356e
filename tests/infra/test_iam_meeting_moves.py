"""The calendar-sync worker's policy covers a meeting that moves and one that is cancelled, in
``runtime: aws`` against moto: the worker then deletes the meeting's scheduled prompt and reminder
(``scheduler:DeleteSchedule``) and ends the prep waiting for the old time (``states:SendTaskFailure``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.api import ConnectionRepository, Message
from plugins.meeting_prep import fanout
from tests.infra.test_iam_runtime import _check, aws, recorder

__all__ = ["aws", "recorder"]  # the fixtures this module borrows

WORKER = "queue_calendar_sync"


def _calendar(path: Path, start: datetime | None) -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN"]
    if start is not None:
        lines += [
            "BEGIN:VEVENT",
            "UID:review@t",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            "SUMMARY:Budget review",
            "ATTENDEE;CN=A:mailto:a@example.com",
            "ATTENDEE;CN=B:mailto:b@example.com",
            "ATTENDEE;CN=C:mailto:c@example.com",
            "END:VEVENT",
        ]
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n")


def _sync(crewbot: Any) -> None:
    fanout.sync_message(crewbot, Message(message_id="1", body={"user_id": "U1"}, receipt="r"))


def _waiting(crewbot: Any) -> str:
    """Pretend the meeting's prep is waiting for its chat (a task token on the meeting)."""
    [meeting] = crewbot.records.meetings.for_user("U1")
    crewbot.records.meetings.update(meeting.meeting_id, prep_token="AAAA-task-token", prep_status="notified")
    return meeting.meeting_id


def _ops(calls: list[Any]) -> set[str]:
    return {f"{service}:{operation}" for service, operation, _ in calls}


def test_a_moved_and_a_cancelled_meeting_stay_within_the_workers_policy(
    aws: Any, recorder: list[Any], tmp_path: Path
) -> None:
    calendar = tmp_path / "calendar.ics"
    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    _calendar(calendar, start)
    seed = aws()
    seed.records.users.get_or_create("U1")
    ConnectionRepository(seed).connect("U1", "ics", source=str(calendar))
    crewbot = aws()
    recorder.clear()
    _sync(crewbot)  # first sight: stored, its prompt scheduled for its prep time
    problems = _check(WORKER, recorder, crewbot)
    assert "scheduler:CreateSchedule" in _ops(recorder)

    _waiting(crewbot)
    _calendar(calendar, start + timedelta(hours=3))  # moved
    crewbot = aws()
    recorder.clear()
    _sync(crewbot)
    problems += _check(WORKER, recorder, crewbot)
    assert {"scheduler:DeleteSchedule", "stepfunctions:SendTaskFailure"} <= _ops(recorder)

    _waiting(crewbot)
    _calendar(calendar, None)  # cancelled
    crewbot = aws()
    recorder.clear()
    _sync(crewbot)
    problems += _check(WORKER, recorder, crewbot)
    assert {"scheduler:DeleteSchedule", "stepfunctions:SendTaskFailure"} <= _ops(recorder)
    [meeting] = crewbot.records.meetings.for_user("U1")
    assert meeting.status == "cancelled"
    assert not problems, "calls outside the worker's policy:\n" + "\n".join(problems)
