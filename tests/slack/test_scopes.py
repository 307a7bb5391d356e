"""Least privilege, derived: the manifest asks for exactly the scopes the code's Web API calls and events
need; a new call without its scope, or a scope nothing uses, fails."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.pluginhost import BUILTIN_PLUGINS
from bot.runtime import start
from bot.slack.manifest import default_path, derive_scopes
from bot.slack.scopes import METHOD_SCOPES, UnknownMethod, derive, methods_used, scopes_for_call


def _committed_scopes() -> set[str]:
    manifest = json.loads(default_path().read_text(encoding="utf-8"))
    return set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_committed_manifest_has_exactly_the_derived_scopes(crewbot_home: Path) -> None:
    derived = derive_scopes(start(environ={"CREWBOT_HOME": str(crewbot_home)}, setup_logging=False))
    committed = _committed_scopes()
    assert committed - derived.scopes == set(), "scopes nothing uses"
    assert derived.scopes - committed == set(), "scopes the code needs that the manifest lacks"
    for scope in committed:
        assert derived.reasons[scope], scope


def test_scopes_no_code_needs_are_gone(crewbot_home: Path) -> None:
    # Nothing reads DM metadata (conversations.info on DMs): the hand-written list had im:read anyway.
    assert "im:read" not in _committed_scopes()


def test_the_scan_finds_calls_helpers_and_api_call(tmp_path: Path) -> None:
    source = tmp_path / "plugin.py"
    source.write_text(
        textwrap.dedent("""
            def handler(client, file):
                client.chat_postMessage(channel="C1", text="x")
                client.files_upload_v2(channel="C1", content="x")
                client.api_call("reactions.add", json={})
                return file["url_private_download"]
        """)
    )
    found = methods_used([tmp_path])
    assert set(found) == {
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "reactions.add",
        "files.download",
    }
    derived = derive([tmp_path], ["app_mention"], has_commands=False)
    assert derived.scopes == {"chat:write", "files:write", "reactions:write", "files:read", "app_mentions:read"}


def test_an_unknown_method_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "plugin.py").write_text("def f(client):\n    client.api_call('admin.apps.approve')\n")
    with pytest.raises(UnknownMethod, match=r"admin\.apps\.approve"):
        derive([tmp_path], [], has_commands=False)


def test_conversation_type_decides_the_scope() -> None:
    assert scopes_for_call("conversations.info", "public") == ("channels:read",)
    assert scopes_for_call("conversations.info", "private") == ("groups:read",)
    assert scopes_for_call("views.open") == ()
    assert scopes_for_call("not.a.method") == ("unknown:not.a.method",)
    assert all(isinstance(k, str) and "." in k for k in METHOD_SCOPES)


def test_a_new_call_without_regenerating_fails_the_check(
    crewbot_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plugin that starts adding reactions needs reactions:write: the committed manifest is out of date."""
    monkeypatch.setitem(BUILTIN_PLUGINS, "reactor", "tests.slack.scope_extra_plugin")
    assert main(["manifest", "--check"]) == 1
    assert '"reactions:write"' in capsys.readouterr().err
