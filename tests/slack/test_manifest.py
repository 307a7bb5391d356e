"""The committed Slack manifests: valid against Slack's schema and current with the registered plugins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.cli.main import main
from bot.pluginhost import BUILTIN_PLUGINS
from bot.runtime import start
from bot.slack.manifest import build_manifest, default_path

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "manifest_schema" / "manifest.schema.1.0.0.json"
SHARED_SCHEMA = HERE.parents[2] / "shared" / "schemas" / "slack-manifest" / "manifest.schema.1.0.0.json"


def _validate(manifest: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


def test_schema_copy_matches_the_shared_schema() -> None:
    if not SHARED_SCHEMA.is_file():
        pytest.skip(f"{SHARED_SCHEMA} is not present in this checkout")
    assert json.loads(SCHEMA.read_text()) == json.loads(SHARED_SCHEMA.read_text())


@pytest.mark.parametrize("socket_mode", [False, True])
def test_committed_manifest_is_valid(socket_mode: bool) -> None:
    manifest = json.loads(default_path(socket_mode).read_text())
    assert _validate(manifest) == []
    assert manifest["settings"]["socket_mode_enabled"] is socket_mode
    assert "agent_view" in manifest["features"]
    assert {"message.im", "app_mention", "app_home_opened"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


@pytest.mark.parametrize("args", [[], ["--socket-mode"]])
def test_check_passes_for_the_committed_files(
    crewbot_home: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["manifest", "--check", *args]) == 0, capsys.readouterr().err


def test_check_fails_when_a_command_is_added_without_regenerating(
    crewbot_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(BUILTIN_PLUGINS, "standup", "tests.slack.manifest_extra_plugin")
    assert main(["manifest", "--check"]) == 1
    err = capsys.readouterr().err
    assert "out of date" in err and '"command": "/standup"' in err


def test_written_manifest_has_the_request_url_everywhere_and_plugin_scopes(
    crewbot_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(BUILTIN_PLUGINS, "standup", "tests.slack.manifest_extra_plugin")
    out = tmp_path / "manifest.json"
    url = "https://abc123.lambda-url.us-east-1.on.aws/slack/events"
    assert main(["manifest", "--request-url", url, "--output", str(out)]) == 0
    manifest = json.loads(out.read_text())
    assert _validate(manifest) == []
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) >= {"/crewbot", "/standup"}
    assert all(c["url"] == url for c in commands.values())
    assert manifest["settings"]["event_subscriptions"]["request_url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url


def test_plugin_events_shortcuts_and_scopes_reach_the_manifest(crewbot_home: Path) -> None:
    from tests.slack.conftest import DemoPlugin

    crewbot = start(
        environ={"CREWBOT_HOME": str(crewbot_home), "CREWBOT_LOAD_PLUGINS": "demo"},
        extra_plugins=[("demo", DemoPlugin())],
        setup_logging=False,
    )
    manifest = build_manifest(crewbot, socket_mode=True)
    assert _validate(manifest) == []
    assert "reaction_added" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "reactions:read" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["features"]["shortcuts"][0]["callback_id"] == "demo_shortcut"
    assert all("url" not in c for c in manifest["features"]["slash_commands"])


def test_bad_request_url_is_refused(crewbot_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--request-url", "ftp://nope", "--output", "-"]) == 2
    assert "http(s) URL" in capsys.readouterr().err
