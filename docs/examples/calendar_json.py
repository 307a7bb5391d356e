"""A calendar provider that reads a user's events from a JSON file (``[{"id", "title", "start", "end"}]``)."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.api import CalendarEvent, Connection, Crewbot, ProviderError, SyncResult, hookimpl


class JsonCalendar:
    name = "json"  # stored on the user's connection: /prep connect json PATH
    label = "JSON file"
    uses_oauth = False  # the connection's ``source`` (the path) is all it needs

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        try:
            rows: list[dict[str, Any]] = json.loads(Path(str(connection.source)).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProviderError(f"cannot read {connection.source}: {exc}") from exc
        events = [
            CalendarEvent(external_id=row["id"], title=row["title"], start=row["start"], end=row["end"]) for row in rows
        ]
        in_window = [e for e in events if e.start is not None and start <= e.start < end]
        return SyncResult(events=in_window, complete=True)  # complete: absent meetings were deleted


@hookimpl
def register_calendar_providers() -> list[JsonCalendar]:
    return [JsonCalendar()]
