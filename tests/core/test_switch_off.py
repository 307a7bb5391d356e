"""Every built-in plugin can be switched off: Crewbot still starts, in ``crewbot dev`` and in each Lambda entry
point, and what remains works; dependants are switched off with the reason shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.pluginhost import BUILTIN_PLUGINS
from bot.runtime import start

#: A short script of each feature, run when its plugin is on (with what a denied plugin's absence changes).
SNIPPETS: dict[str, str] = {
    "crewbot_command": "/crewbot help\nexpect /crewbot reset\n",
    "meeting_coordinator": "what can you do?\nexpect get_upcoming_meetings\n",
    "meeting_prep": "/prep sync\nexpect Calendar synced\n",
    "calendar_ics": "",  # the sample calendar is ICS: checked with meeting_prep below
    "calendar_google": "",
    "calendar_microsoft": "",
    "projects": "/project list\nexpect No projects yet\n",
    "supervisor": "",  # its commands are /crewbot sub-commands: checked with crewbot_command below
    "operations": "",  # a schedule only (the waiting-steps gauge): no command to try
}
#: What each plugin needs (its module's ``REQUIRES``), so the test knows which plugins a denial switches off.
DEPENDANTS = {"meeting_coordinator": {"meeting_prep"}}


def script_for(denied: str) -> str:
    off = {denied, *DEPENDANTS.get(denied, ())}
    lines = [SNIPPETS[name] for name in BUILTIN_PLUGINS if name not in off]
    if "meeting_prep" not in off:  # the shipped sample calendar is an ICS file
        lines.insert(
            lines.index(SNIPPETS["meeting_prep"]) + 1,
            "expect 18 events read\n" if denied != "calendar_ics" else "expect ics: no such calendar provider\n",
        )
    if "meeting_coordinator" in off:  # the default agent is gone: the Supervisor (or a clear answer) takes DMs
        lines.append("hello\nexpect " + ("No agent is available\n" if "supervisor" in off else "supervisor\n"))
    if "crewbot_command" not in off:
        if "supervisor" not in off:
            lines.append("/crewbot help\nexpect /crewbot ask\n")
        lines.append("as admin\n/crewbot plugins\n")
        lines.extend(f"expect `{name}` 0.1.0 (builtin, disabled)\n" for name in sorted(off))
        if off != {denied}:
            lines.append(f"expect off: needs plugin '{denied}', which is off\n")
    return "".join(lines)


def test_every_builtin_has_a_snippet() -> None:
    assert set(SNIPPETS) == set(BUILTIN_PLUGINS)


@pytest.mark.parametrize("denied", list(BUILTIN_PLUGINS))
def test_crewbot_dev_runs_without_each_builtin(
    denied: str, crewbot_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CREWBOT_PLUGINS__DENY", f"[{denied}]")
    script = tmp_path / "rest.crewbot"
    script.write_text(script_for(denied))
    assert main(["dev", "--script", str(script)]) == 0, capsys.readouterr()


@pytest.mark.parametrize("denied", list(BUILTIN_PLUGINS))
def test_lambda_entry_points_start_without_each_builtin(
    denied: str, crewbot_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_sdk import WebClient

    from bot.entrypoints import events, queues, slack, workflows

    monkeypatch.setenv("CREWBOT_PLUGINS__DENY", f"[{denied}]")
    for module in (events, queues, workflows):
        module._runtime.cache_clear()
    events._registered.cache_clear()
    try:
        crewbot = workflows._runtime()
        assert crewbot.plugins.errors() == {}
        assert denied not in crewbot.plugins.active()
        crewbot.workflows  # noqa: B018  -- builds the engine: every task a definition names is registered
        crewbot.agents.validate()
        slack.build_request_handler(crewbot, signing_secret="s" * 32, client=WebClient(token="xoxb-test"))
        schedules, _handlers = events._registered()
        assert ("calendar-monitor" in schedules) == ("meeting_prep" in crewbot.plugins.active())
        queues._runtime()
    finally:
        for module in (events, queues, workflows):
            module._runtime.cache_clear()
        events._registered.cache_clear()


def test_a_dependant_is_switched_off_with_the_reason(monkeypatch: pytest.MonkeyPatch, crewbot_home: Path) -> None:
    crewbot = start(environ={"CREWBOT_HOME": str(crewbot_home), "CREWBOT_PLUGINS__DENY": "[meeting_coordinator]"})
    info = crewbot.plugins.plugins["meeting_prep"]
    assert not info.enabled and info.errors == []
    assert info.requires == ["meeting_coordinator"]
    assert info.off_reason.startswith("needs plugin 'meeting_coordinator', which is off: switched off by")
    assert "meeting_prep" not in {c.plugin for c in crewbot.plugins.contributions("register_schedules")}


def test_a_dm_without_any_agent_is_answered(crewbot_emulator_factory: Any) -> None:
    emulator = crewbot_emulator_factory(only=["crewbot_command"])
    assert "No agent is available to talk to here" in emulator.dm("hello").text
