"""The Meeting Coordinator's agenda tool uses the agenda of the meeting's type in config/meeting_types.yaml,
and DMs outside a prep chat still go to the agent (the prep-chat route claims only its own threads)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.storage.records import Meeting


def test_agenda_tool_uses_the_configured_meeting_type(prep_emulator: Any) -> None:
    crewbot = prep_emulator.crewbot
    start = crewbot.clock.now().replace(microsecond=0) + timedelta(days=1)
    crewbot.records.meetings.save(
        Meeting(
            meeting_id="m-lt",
            user_id="UDEV",
            provider="ics",
            external_id="lt",
            title="Leadership team weekly",
            start=start,
            end=start + timedelta(minutes=90),
            meeting_type="leadership_meeting",
        )
    )
    turn = prep_emulator.dm("Build the agenda for the leadership team weekly")
    assert "generate_meeting_agenda" in turn.text
    assert "Incidents and reliability" in turn.text  # a section only config/meeting_types.yaml defines
    assert "Cloud infrastructure" in turn.text  # budget context in the budget section
