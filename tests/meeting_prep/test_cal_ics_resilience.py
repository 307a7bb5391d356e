"""Resilient ICS: a bad event or series is skipped and named, the rest imports; events without a UID get a
stable id; RANGE=THISANDFUTURE edits keep one meeting per instance; users read sentences, never exception
names, reprs or raw bytes — also for every file of the public corpus in ../shared/corpora/ics."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.calendar_ics import read_calendar
from plugins.meeting_prep import slack_ui

from .cal_fakes import NOW, Calendars, calendars, ics

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("CREWBOT_SHARED") or REPO.parent / "shared") / "corpora" / "ics"
#: What a user must never read: exception class names, reprs, tracebacks, raw bytes.
CRASH_LIKE = re.compile(
    r"\b[A-Z]\w*(?:Error|Exception|NotFound)\b|Traceback|\bb'|\\x[0-9a-f]{2}|<[\w.]+ object at|\bKeyError\b"
)
STAMP = "DTSTAMP:20260101T000000Z"


@pytest.fixture
def cals(crewbot_home: Path) -> Iterator[Calendars]:
    yield from calendars(crewbot_home)


def _reply(cals: Calendars, user_id: str, path: Path) -> str:
    cals.connect(user_id, "ics", source=str(path))
    return slack_ui.sync_text(cals.crewbot, user_id)


def test_bad_events_are_skipped_and_named_the_rest_imports(cals: Calendars, tmp_path: Path) -> None:
    path = tmp_path / "board.ics"
    path.write_bytes(
        ics(
            f"UID:dinner@t\n{STAMP}\nSUMMARY:Board dinner\nLOCATION:Town hall",
            f"UID:retro@t\n{STAMP}\nSUMMARY:Retro\nDTSTART:20260303T150000Z\nDTEND:20260303T160000Z\nRRULE:FREQ=SOMETIMES",
            f"UID:lunch@t\n{STAMP}\nSUMMARY:Team lunch\nDTSTART:20260304T120000Z\nDTEND:20260304T130000Z",
        )
    )
    reply = _reply(cals, "U1", path)
    assert "1 new" in reply and "Problems" not in reply
    assert "2 events skipped: 'Board dinner' has no start; 'Retro' has a repeat rule that cannot be read" in reply
    assert not CRASH_LIKE.search(reply), reply  # was: "Problems: ics: KeyError: 'DTSTART'"


def test_events_without_uid_get_a_stable_id(cals: Calendars, tmp_path: Path) -> None:
    path = tmp_path / "podcast.ics"
    episodes = [
        f"{STAMP}\nSUMMARY:Episode {n}\nDTSTART:2026030{n}T150000Z\nDTEND:2026030{n}T160000Z" for n in (3, 4, 5)
    ]
    path.write_bytes(ics(*episodes, episodes[0]))  # the same episode twice: two events, two ids
    cals.connect("U1", "ics", source=str(path))
    first = cals.sync("U1")
    assert first.new == 4  # was: 0 (events without UID were dropped)
    again = cals.sync("U1")
    assert (again.new, again.unchanged, again.cancelled) == (0, 4, 0)  # the same ids on every read


def test_this_and_future_edits_keep_one_meeting_per_instance(cals: Calendars, tmp_path: Path) -> None:
    path = tmp_path / "weekly.ics"
    path.write_bytes(
        ics(
            f"UID:weekly@t\n{STAMP}\nSUMMARY:Weekly\nDTSTART:20260302T150000Z\nDTEND:20260302T160000Z\n"
            "RRULE:FREQ=DAILY;COUNT=10",
            # From the 5th on, every instance moves one hour later.
            f"UID:weekly@t\n{STAMP}\nSUMMARY:Weekly (later)\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260306T150000Z\n"
            "DTSTART:20260306T160000Z\nDTEND:20260306T170000Z\nSEQUENCE:1",
        )
    )
    data = path.read_bytes()
    events = read_calendar(data, NOW, NOW.replace(day=14)).events
    ids = sorted(e.external_id for e in events)
    assert len(ids) == len(set(ids)) == 10  # March 2..11, each its own meeting (was: one id for the last 6)
    later = sorted(e.start for e in events if e.title == "Weekly (later)")
    assert [t.hour for t in later] == [16] * 6
    assert "weekly@t#20260308T150000Z" in ids  # the id names the instance's original start
    cals.connect("U1", "ics", source=str(path))
    assert cals.sync("U1").new == 10


def test_unreadable_files_are_told_in_a_sentence(cals: Calendars, tmp_path: Path) -> None:
    path = tmp_path / "garbage.ics"
    path.write_bytes(
        b"BEGIN:VCALENDAR\r\n\xff\xfe\x00BEGIN:VEVENT\r\nDTSTART:2026-99-99\r\nEND:VEVENT\r\n\x00\x01END:VCALENDAR"
    )
    reply = _reply(cals, "U1", path)
    assert "Problems: ICS calendar: " in reply or "skipped" in reply
    assert not CRASH_LIKE.search(reply), reply
    html = tmp_path / "page.ics"
    html.write_bytes(b"<!doctype html><html><body>Sign in</body></html>")
    reply = _reply(cals, "U2", html)
    assert "is not an iCalendar (.ics) file that can be read" in reply and not CRASH_LIKE.search(reply)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared ICS corpus is not present")
def test_every_corpus_file_imports_or_fails_with_a_sentence(cals: Calendars) -> None:
    files = sorted(CORPUS.rglob("*.ics"))
    crash_like = []
    for n, path in enumerate(files):
        reply = _reply(cals, f"U{n}", path)
        # An internal error is told politely but is a defect all the same.
        if CRASH_LIKE.search(reply) or "internal error" in reply:
            crash_like.append(f"{path.name}: {reply}")
    assert len(files) >= 200 and crash_like == []
