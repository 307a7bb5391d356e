"""`crewbot run` and `crewbot dev` choose Socket Mode when, and only when, both Slack tokens are set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.slack import socket_mode


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []
    monkeypatch.setattr(socket_mode, "run_socket_mode", made.append)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return made


def test_run_without_tokens_explains_what_is_missing(
    crewbot_home: Path, connections: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "SLACK_APP_TOKEN" in err and "crewbot dev" in err
    assert connections == []


def test_run_and_dev_connect_over_socket_mode_with_both_tokens(
    crewbot_home: Path, connections: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-value")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test-token-value")
    assert main(["run"]) == 0
    assert main(["dev"]) == 0
    assert len(connections) == 2


def test_dev_uses_the_emulator_with_one_token_or_when_forced(
    crewbot_home: Path, connections: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "s.crewbot"
    script.write_text("/crewbot help\nexpect /crewbot\n")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-value")
    assert main(["dev", "--script", str(script)]) == 0
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test-token-value")
    assert main(["dev", "--emulator", "--script", str(script)]) == 0
    assert connections == []
