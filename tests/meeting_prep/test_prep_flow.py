"""The MeetingPrepWorkflow end to end in the emulator: notification, prep chat, materials, reminder; a
non-owner refused; a second press; a failing context branch; the 24-hour timeout; skip, snooze, SMS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl
from bot.resources import data_dir

DEMO = data_dir("config").parent / "docs" / "meeting-prep-demo.crewbot"


def _ics(path: Path, *events: tuple[str, datetime, int]) -> Path:
    """A calendar with meetings at absolute times (the emulator's clock starts at the real time)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN"]
    for index, (title, start, attendees) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:e{index}@t",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{title}",
            *(f"ATTENDEE;CN=P{i}:mailto:p{i}@example.com" for i in range(attendees)),
            "END:VEVENT",
        ]
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n")
    return path


def _config(tmp_path: Path, calendar: Path, context_dir: Path | None = None) -> Path:
    settings = f"      meeting_prep: {{sample_calendar: '{calendar}'}}\n"
    if context_dir is not None:
        settings += f"      meeting_coordinator: {{context_dir: '{context_dir}'}}\n"
    config = tmp_path / "crewbot.yaml"
    config.write_text(f"project: crewbot\nenvironment: dev\nruntime: local\nplugins:\n  settings:\n{settings}")
    return config


def _leadership_in(hours: float) -> tuple[str, datetime, int]:
    start = (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)
    return ("Leadership team weekly", start, 11)


def _materials(emulator: Any) -> str:
    blobs = emulator.crewbot.store.blobs("materials")
    keys = [k for k in blobs.list() if k.endswith(".md")]
    assert len(keys) == 1, keys
    return blobs.get(keys[0]).decode()


def test_demo_script(prep_emulator: Any) -> None:
    transcript = prep_emulator.play(DEMO.read_text())
    assert "Materials ready" in transcript and "Reminder:" in transcript


def test_prep_chat_materials_and_reminder(prep_emulator_factory: Any, tmp_path: Path) -> None:
    calendar = _ics(tmp_path / "c.ics", _leadership_in(30))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect 1 meeting to prepare now
        expect Time to prepare: Leadership team weekly
        expect budget ✓
        click Start prep
        expect question 1 of 5
        Two over-budget cost centers and the platform migration
        expect question 2 of 5
        skip
        expect question 3 of 5
        Cloud infrastructure is 11.7% over
        skip
        skip
        expect Generating your materials
        expect Materials ready: Leadership team weekly
        advance 1m
        click Start prep
        expect already done
    """)
    meeting = emulator.crewbot.records.meetings.for_user("UDEV")[0]
    assert meeting.prep_status == "ready"
    assert meeting.prep_responses["What are your top 3 priorities for this meeting?"]["response"].startswith("Two")
    assert meeting.prep_responses["Any incidents or reliability concerns from this week?"]["skipped"] is True
    text = _materials(emulator)
    assert "## Agenda" in text and "Points you prepared" in text and "## Question bank" in text
    assert "Cloud infrastructure: +11.7% over budget" in text and "## Notes template" in text
    html = emulator.crewbot.store.blobs("materials").get(meeting.materials["html"]).decode()
    assert html.startswith("<!doctype html>") and "<h2>Agenda</h2>" in html
    assert all(k.startswith(f"UDEV/{meeting.meeting_id}/") for k in emulator.crewbot.store.blobs("materials").list())
    # The reminder: 2 hours before the meeting, with the materials link.
    emulator.play("""
        advance 29h
        expect Reminder: *Leadership team weekly* starts
        expect materials.html
        expect You prepared 2 answers
    """)
    # Prep now after a finished prep prepares the same meeting again (a new execution, a new notification).
    emulator.play("""
        /prep
        click Prep now
        expect Preparing Leadership team weekly now
        expect Time to prepare: Leadership team weekly
    """)
    assert len(emulator.crewbot.workflows.list("meeting_prep")) == 2


def test_a_non_owner_cannot_press_the_buttons(prep_emulator_factory: Any, tmp_path: Path) -> None:
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(30))))
    # Notified in a channel mallory is in too (a DM's buttons are only ever shown to its owner).
    emulator.crewbot.records.users.get_or_create("UDEV")
    emulator.crewbot.records.users.update("UDEV", settings={"meeting_prep": {"notification_channel": "C0GENERAL"}})
    emulator.play("""
        /prep sync
        as mallory
        click Start prep
        expect Only @dev can prepare this meeting
        advance 1m
        click Skip
        expect Only @dev can prepare this meeting
    """)
    meeting = emulator.crewbot.records.meetings.for_user("UDEV")[0]
    assert meeting.prep_status == "notified" and not getattr(meeting, "prep_chat", None)
    refusals = emulator.crewbot.records.audit.page("user#UDEV").items
    assert [e.action for e in refusals].count("meeting_prep.refused") == 2


def test_a_failing_context_branch_still_yields_materials(prep_emulator_factory: Any, tmp_path: Path) -> None:
    class Failing:
        name, topics = "finance_api", ("budget",)

        def fetch(self, topic: str, user_id: str, meeting: Any = None, **options: Any) -> dict[str, Any]:
            raise ConnectionError("finance API is down")

    @hookimpl
    def register_context_providers() -> list[Any]:
        return [Failing()]

    empty = tmp_path / "context"
    empty.mkdir()
    (empty / "big_rocks.yaml").write_text((data_dir("config") / "context" / "big_rocks.yaml").read_text())
    failing = SimpleNamespace(register_context_providers=register_context_providers)
    emulator = prep_emulator_factory(
        [("failing", failing)], config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(30)), empty)
    )
    emulator.play("""
        /prep sync
        expect budget ✗ unavailable
        expect big rocks ✓
        click Start prep
        done
        expect Materials ready
    """)
    text = _materials(emulator)
    assert "budget context was unavailable (Context.Unavailable)" in text
    assert "incidents context was unavailable (Context.NoProvider)" in text
    assert "## Agenda" in text


def test_the_24_hour_timeout_generates_materials_from_what_is_known(prep_emulator_factory: Any, tmp_path: Path) -> None:
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(40))))
    emulator.play("""
        /prep sync
        expect Time to prepare
        click Start prep
        My one priority: the budget
        advance 23h
        expect-not Materials ready
        advance 2h
        expect Materials ready: Leadership team weekly
    """)
    text = _materials(emulator)
    assert "not completed in time" in text and "My one priority: the budget" in text
    meeting = emulator.crewbot.records.meetings.for_user("UDEV")[0]
    assert meeting.prep_chat["state"] == "closed"
    # Answering after the timeout says so instead of resuming anything.
    emulator.play("""
        click Start prep
        expect already done
    """)


def test_skip_ends_the_workflow_and_snooze_comes_back(prep_emulator_factory: Any, tmp_path: Path) -> None:
    one_on_one = ("1:1 Ann / Dev", datetime.now(UTC) + timedelta(hours=20), 2)
    calendar = _ics(tmp_path / "c.ics", _leadership_in(30), one_on_one)
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect 2 meetings to prepare now
        click Snooze
        expect Snoozed
        advance 61m
        expect Time to prepare: Leadership team weekly
        click Skip
        expect Skipped the prep for Leadership team weekly
    """)
    executions = {e.status for e in emulator.crewbot.workflows.list("meeting_prep")}
    assert "SUCCEEDED" in executions
    skipped = [m for m in emulator.crewbot.records.meetings.for_user("UDEV") if m.prep_status == "skipped"]
    assert [m.title for m in skipped] == ["Leadership team weekly"]


def test_sms_fallback_when_slack_fails(
    prep_emulator_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_sdk.errors import SlackApiError

    from plugins.meeting_prep import notify

    emulator = prep_emulator_factory(config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(30))))
    emulator.crewbot.records.users.get_or_create("UDEV")
    emulator.crewbot.records.users.update("UDEV", phone="+15551234567")

    def down(*args: Any, **kwargs: Any) -> Any:
        raise SlackApiError("Slack is down", {"ok": False, "error": "service_unavailable"})

    with monkeypatch.context() as patch:
        patch.setattr(notify, "post", down)
        emulator.command("/prep sync")
    sms = [e for e in emulator.crewbot.records.audit.page("user#UDEV").items if e.action == "sms.sent"]
    assert len(sms) == 1 and sms[0].detail["via"] == "local-log" and sms[0].target == "+15…67"
    assert "Leadership team weekly" in sms[0].detail["message"]
    # Slack is back: /prep → Prep now brings the Start prep button of the waiting prep.
    emulator.play("""
        /prep
        click Prep now
        expect Time to prepare: Leadership team weekly
        click Start prep
        expect question 1 of 5
        done
        expect Materials ready
    """)


def test_a_moved_meeting_supersedes_its_waiting_prep(prep_emulator_factory: Any, tmp_path: Path) -> None:
    title, start, attendees = _leadership_in(30)
    calendar = _ics(tmp_path / "c.ics", (title, start, attendees))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect Time to prepare: Leadership team weekly
    """)
    _ics(calendar, (title, start + timedelta(hours=3), attendees))
    emulator.play("""
        /prep sync
        expect 1 moved
        expect Time to prepare: Leadership team weekly
    """)
    runs = emulator.crewbot.workflows.list("meeting_prep")
    assert sorted(e.status for e in runs) == ["RUNNING", "SUCCEEDED"]
    finished = next(e for e in runs if e.status == "SUCCEEDED")
    history = emulator.crewbot.workflows.history(finished.execution_id)
    assert any(
        h.details.get("name") == "PrepSuperseded" or "PrepSuperseded" in json.dumps(h.as_dict(), default=str)
        for h in history
    )
    assert "superseded" in (finished.output or {})
    meeting = emulator.crewbot.records.meetings.for_user("UDEV")[0]
    assert meeting.start == start + timedelta(hours=3) and meeting.prep_status == "notified"


def test_notified_in_a_channel_the_chat_happens_in_the_dm(prep_emulator_factory: Any, tmp_path: Path) -> None:
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(30))))
    emulator.crewbot.records.users.get_or_create("UDEV")
    emulator.crewbot.records.users.update("UDEV", settings={"meeting_prep": {"notification_channel": "C0GENERAL"}})
    emulator.play("""
        /prep sync
        click Start prep
        expect I opened the prep chat in our DM
        expect question 1 of 5
        done
        expect Materials ready
    """)
    posted = [c.args for c in emulator.fake.calls_to("chat.postMessage")]
    assert any(a["channel"] == "C0GENERAL" and "Time to prepare" in a["text"] for a in posted)


def test_prep_now_and_settings(prep_emulator_factory: Any, tmp_path: Path) -> None:
    calendar = _ics(tmp_path / "c.ics", ("1:1 Ann / Dev", datetime.now(UTC) + timedelta(days=3), 2))
    emulator = prep_emulator_factory(config_file=_config(tmp_path, calendar))
    emulator.play("""
        /prep sync
        expect 0 meetings to prepare now
        /prep
        expect One-on-one · prep: not started
        click Prep now
        expect Preparing 1:1 Ann / Dev now
        expect Time to prepare: 1:1 Ann / Dev
        /prep settings
        submit lead_times="one_on_one=banana" quiet_start=22:00 quiet_end=7
        expect one_on_one=banana
        submit lead_times="one_on_one=80" quiet_start=22:00 quiet_end=07:00 channel=C0GENERAL
    """)
    user = emulator.crewbot.records.users.get("UDEV")
    assert user is not None
    assert user.settings["meeting_prep"] == {
        "prep_hours": {"one_on_one": 80.0},
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "notification_channel": "C0GENERAL",
    }


def test_with_a_model_the_coordinator_saves_and_asks(prep_emulator_factory: Any, tmp_path: Path) -> None:
    from bot.agents.model_events import ToolCall
    from bot.agents.scripted import ScriptedModel

    emulator = prep_emulator_factory(config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(30))))
    emulator.command("/prep sync")
    meeting = emulator.crewbot.records.meetings.for_user("UDEV")[0]
    first = "What are your top 3 priorities for this meeting?"
    second = "Any incidents or reliability concerns from this week?"
    model = ScriptedModel(
        [
            ToolCall(
                "save_prep_response", {"meeting_id": meeting.meeting_id, "question": first, "response": "Ship it"}
            ),
            f"Noted: shipping comes first. {second}",
            "Thanks, that helps.",  # this turn forgets to save: the chat saves the answer itself
        ],
        repeat_last=True,
    )
    models = emulator.crewbot.agents.models
    models.override(models.config.preferred, lambda: model)
    emulator.play("""
        click Start prep
        Ship it
        expect Noted: shipping comes first
        expect question 2 of 5
        Two SEV2s last week
        expect Thanks, that helps
        expect question 3 of 5
        done
        expect Materials ready
    """)
    answers = emulator.crewbot.records.meetings.get(meeting.meeting_id).prep_responses  # type: ignore[union-attr]
    assert answers[first]["response"] == "Ship it" and answers[first]["source"] == "meeting_coordinator"
    assert answers[second]["response"] == "Two SEV2s last week"
    assert "## Briefing" in _materials(emulator) and "Meeting Coordinator" in _materials(emulator)
    assert "save_prep_response" in model.requests[0].tool_names


def test_the_demo_runs_as_make_dev_would(crewbot_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``crewbot dev --script docs/meeting-prep-demo.crewbot`` with every default plugin, on a fresh home."""
    from bot.cli.main import main

    assert main(["dev", "--emulator", "--script", str(DEMO)]) == 0, capsys.readouterr().out[-3000:]
    out = capsys.readouterr().out
    assert "Time to prepare" in out and "Materials ready" in out and "Reminder:" in out


def test_an_agent_conversation_in_another_thread_is_not_taken_for_answers(
    prep_emulator_factory: Any, tmp_path: Path
) -> None:
    emulator = prep_emulator_factory(config_file=_config(tmp_path, _ics(tmp_path / "c.ics", _leadership_in(30))))
    emulator.play("""
        hello
        expect [offline model]
        /prep sync
        click Start prep
        expect question 1 of 5
        what is my budget variance?
        expect [offline model]
        expect-not question 2 of 5
        new
        Hiring plan first
        expect question 2 of 5
        Nothing new on incidents
        expect question 3 of 5
    """)
    meeting = emulator.crewbot.records.meetings.for_user("UDEV")[0]
    assert [a["response"] for a in meeting.prep_responses.values()] == ["Hiring plan first", "Nothing new on incidents"]
