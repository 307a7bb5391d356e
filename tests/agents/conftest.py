"""Fixtures for the agent tests: a runtime on a throwaway home, meetings, test plugins, a recording Reply."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import hookimpl
from bot.agents.spec import AgentSpec
from bot.agents.tools import ToolRegistration
from bot.runtime import Crewbot, start
from bot.storage.records import Meeting


class AgentPlugin:
    """A test plugin contributing agent specs and tools."""

    def __init__(self, specs: Iterable[AgentSpec] = (), tools: Iterable[ToolRegistration] = ()):
        self.specs = list(specs)
        self.tools = list(tools)

    @hookimpl
    def register_agents(self) -> list[AgentSpec]:
        return self.specs

    @hookimpl
    def register_tools(self) -> list[ToolRegistration]:
        return self.tools


MakeCrewbot = Callable[..., Crewbot]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def make_crewbot(home: Path, tmp_path: Path) -> Iterator[MakeCrewbot]:
    """Start runtimes on the same home (``config``: YAML used instead of the shipped file; defaults fill the rest)."""
    made: list[Crewbot] = []

    def make(*plugins: AgentPlugin, config: str = "", environ: dict[str, str] | None = None) -> Crewbot:
        config_file = None
        if config:
            config_file = tmp_path / f"crewbot-{len(made)}.yaml"
            config_file.write_text(config)
        env = {"CREWBOT_HOME": str(home), **(environ or {})}
        crewbot = start(
            config_file=config_file,
            environ=env,
            setup_logging=False,
            extra_plugins=[(f"test{i}", p) for i, p in enumerate(plugins)],
        )
        made.append(crewbot)
        return crewbot

    yield make
    for crewbot in made:
        crewbot.close()


@pytest.fixture
def crewbot(make_crewbot: MakeCrewbot) -> Crewbot:
    return make_crewbot()


def add_meeting(
    crewbot: Crewbot,
    user_id: str,
    meeting_id: str,
    title: str,
    in_days: float,
    minutes: int = 60,
    meeting_type: str = "general",
    **extra: Any,
) -> Meeting:
    """Store a meeting as the calendar sync would."""
    start = crewbot.clock.now().astimezone(UTC) + timedelta(days=in_days)
    return crewbot.records.meetings.save(
        Meeting(
            meeting_id=meeting_id,
            user_id=user_id,
            provider="test",
            external_id=meeting_id,
            title=title,
            start=start,
            end=start + timedelta(minutes=minutes),
            meeting_type=meeting_type,
            **extra,
        )
    )


class RecordingReply:
    """A :class:`bot.slack.conversation.Reply` that records what the agent did, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.chunks: list[str] = []

    def status(self, text: str) -> None:
        self.events.append(("status", text))

    def stream(self, chunks: Iterable[str]) -> str:
        for chunk in chunks:
            self.chunks.append(chunk)
        text = "".join(self.chunks)
        self.events.append(("stream", text))
        return text

    def post(self, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        self.events.append(("post", text))
        return f"{len(self.events)}.000"

    def context(self, text: str) -> None:
        self.events.append(("context", text))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def text(self, kind: str) -> str:
        return "\n".join(text for k, text in self.events if k == kind)
