"""Every Block Kit builder's output passes the fake Slack's validator (slack_sdk's models and Slack's
limits), with long inputs where the builder is supposed to cut them to size. The emulator flows send
the rest (every message and view of the demos and of the plugins' tests goes through the same fake)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.emulator.validation import block_problems, message_problems, view_problems

LONG = "word " * 2000


def _views(crewbot: Any) -> dict[str, Callable[[], dict[str, Any]]]:
    from bot.slack.app import home_view
    from bot.slack.registry import collect_registrations
    from plugins.meeting_prep.slack_ui import settings_view
    from plugins.projects import slack_ui as projects

    return {
        "home tab": lambda: home_view(crewbot, collect_registrations(crewbot.plugins)),
        "project ratings": lambda: projects.ratings_view("p1:g1", "discovery"),
        "project feedback": lambda: projects.feedback_view("p1:g1", "architecture"),
        "project answer": lambda: projects.answer_view("p1:q1", LONG),
        "new project": lambda: projects.new_project_view("C0GENERAL"),
        "new project progress": lambda: projects.progress_view(LONG[:2000]),
        "meeting prep settings": lambda: settings_view(crewbot, "UDEV"),
    }


def _messages(crewbot: Any) -> dict[str, Callable[[], list[dict[str, Any]]]]:
    from plugins.crewbot_command import agents_message
    from plugins.meeting_prep.notify import notification_blocks

    meeting = {
        "meeting_id": "m1",
        "title": LONG,
        "start": "2026-12-03T10:00:00+00:00",
        "end": "2026-12-03T11:00:00+00:00",
        "questions": ["q"] * 5,
        "attendees": ["a@example.com"] * 40,
    }
    return {
        "agents list": lambda: agents_message(crewbot, "UDEV")[1],
        "meeting prep notification": lambda: notification_blocks(meeting, [{"topic": "budget", "status": "ok"}]),
    }


@pytest.fixture
def crewbot(crewbot_emulator_factory: Any) -> Any:
    return crewbot_emulator_factory().crewbot


def test_every_view_builder_makes_a_view_slack_accepts(crewbot: Any) -> None:
    problems = {name: view_problems(build()) for name, build in _views(crewbot).items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_every_message_builder_makes_blocks_slack_accepts(crewbot: Any) -> None:
    problems = {name: block_problems(build()) for name, build in _messages(crewbot).items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_the_validator_refuses_what_slack_refuses() -> None:
    assert view_problems({"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []})
    assert block_problems([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    assert message_problems({"text": "x" * 40_001}) == ("msg_too_long", [])
