"""Bounded work per calendar: recurring series are expanded lazily and capped (a warning names the cut
series), so a FREQ=SECONDLY calendar costs its own user a warning and the next calendar the same work as alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from plugins.calendar_ics import IcsProvider, read_calendar

from .cal_fakes import NOW, Calendars, calendars, ics

STAMP = "DTSTAMP:20260101T000000Z"
NORMAL = ics(
    f"UID:weekly@t\n{STAMP}\nSUMMARY:Weekly sync\nDTSTART:20260302T150000Z\nDTEND:20260302T160000Z\nRRULE:FREQ=WEEKLY",
    f"UID:daily@t\n{STAMP}\nSUMMARY:Standup\nDTSTART:20260302T090000Z\nDTEND:20260302T091500Z\nRRULE:FREQ=DAILY",
    f"UID:one@t\n{STAMP}\nSUMMARY:Board meeting\nDTSTART:20260305T150000Z\nDTEND:20260305T170000Z",
)
# A million occurrences in the 15-day window (and thousands more from the minutely one).
FLOOD = ics(
    f"UID:tick@t\n{STAMP}\nSUMMARY:Heartbeat\nDTSTART:20260301T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY",
    f"UID:min@t\n{STAMP}\nSUMMARY:Poll\nDTSTART:20260301T000000Z\nDURATION:PT1M\nRRULE:FREQ=MINUTELY;INTERVAL=2",
    f"UID:real@t\n{STAMP}\nSUMMARY:Planning\nDTSTART:20260304T100000Z\nDTEND:20260304T110000Z",
)


@pytest.fixture
def cals(crewbot_home: Path) -> Iterator[Calendars]:
    yield from calendars(crewbot_home, ics=IcsProvider(max_occurrences=100, max_events=2000))


def test_expansion_is_capped_per_series_and_named() -> None:
    parsed = read_calendar(FLOOD, NOW - timedelta(days=1), NOW + timedelta(days=14), max_occurrences=500)
    assert parsed.occurrences == 1001 and len(parsed.events) == 1001  # 500 + 500 + the one real meeting
    assert "Planning" in {e.title for e in parsed.events}
    assert any("'Heartbeat' has more than 500 occurrences" in w for w in parsed.warnings)
    assert any("'Poll' has more than 500 occurrences" in w for w in parsed.warnings)
    capped = read_calendar(FLOOD, NOW - timedelta(days=1), NOW + timedelta(days=14), max_events=700)
    assert len(capped.events) == 700 and any("more than 700 events" in w for w in capped.warnings)


def test_a_secondly_calendar_does_not_cost_the_next_one_anything(cals: Calendars, tmp_path: Path) -> None:
    normal, flood = tmp_path / "normal.ics", tmp_path / "flood.ics"
    normal.write_bytes(NORMAL)
    flood.write_bytes(FLOOD)
    alone = read_calendar(NORMAL, NOW - timedelta(days=1), NOW + timedelta(days=14))

    cals.connect("UALONE", "ics", source=str(normal))
    by_itself = cals.sync("UALONE")
    cals.connect("UFLOOD", "ics", source=str(flood))
    flooded = cals.sync("UFLOOD")
    cals.connect("UNEXT", "ics", source=str(normal))
    after = cals.sync("UNEXT")

    assert flooded.errors == [] and flooded.fetched == 201 and flooded.new == 201  # 100 + 100 + Planning
    assert any("'Heartbeat' has more than 100 occurrences" in w for w in flooded.warnings)
    # The next user's calendar: the same events read, stored and the same requests as on its own.
    same = ("fetched", "new", "updated", "unchanged", "provider_calls", "skipped")
    assert {k: getattr(after, k) for k in same} == {k: getattr(by_itself, k) for k in same}
    assert after.fetched == len(alone.events) == alone.occurrences and after.warnings == []
