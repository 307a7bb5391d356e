"""`crewbot secrets set NAME` (no echo) and `crewbot secrets check`, in AWS (moto) and locally."""

from __future__ import annotations

import getpass
import stat
from pathlib import Path

import boto3
import pytest

from bot.config.secrets import Secrets
from bot.deploy.dlq import AUDIT_SCOPE
from bot.runtime import Crewbot, start
from tests.ops.conftest import REGION, run_cli

VALUE = "xoxb-typed-without-echo"


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return VALUE

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return prompts


def test_set_and_check_in_aws(aws_crewbot: Crewbot, typed: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    for name in ("slack/bot-token", "slack/signing-secret", "google/oauth-client", "microsoft/oauth-client"):
        secrets.create_secret(Name=aws_crewbot.namer.secret(name))  # as Terraform creates them: empty
    status, out, _ = run_cli(aws_crewbot, ["secrets", "check"], capsys)
    assert status == 1 and "✗ secret slack_bot_token" in out and "crewbot secrets set slack_bot_token" in out

    status, out, err = run_cli(aws_crewbot, ["secrets", "set", "slack_bot_token"], capsys)
    assert status == 0 and VALUE not in out + err and "Secrets Manager crewbot/dev/slack/bot-token" in typed[0]
    stored = secrets.get_secret_value(SecretId="crewbot/dev/slack/bot-token")["SecretString"]
    assert stored == VALUE
    status, out, _ = run_cli(aws_crewbot, ["secrets", "check"], capsys)
    assert "✓ secret slack_bot_token" in out and status == 1  # the others are still empty
    (entry,) = aws_crewbot.records.audit.for_scope(AUDIT_SCOPE)
    assert (entry.action, entry.target) == ("secret.set", "slack_bot_token") and VALUE not in str(entry.detail)


def test_set_locally_writes_the_private_env_file(
    tmp_path: Path, typed: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    crewbot = start(env="dev", environ={"CREWBOT_HOME": str(tmp_path)}, setup_logging=False)
    try:
        assert run_cli(crewbot, ["secrets", "set", "slack_signing_secret"], capsys)[0] == 0
        env_file = Path(crewbot.config.home) / ".env"
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        assert Secrets(crewbot.config, environ={}).get("slack_signing_secret") == VALUE
        status, out, _ = run_cli(crewbot, ["secrets", "check"], capsys)
        assert status == 0 and "✓ secret slack_signing_secret: set" in out and VALUE not in out
        status, _, err = run_cli(crewbot, ["secrets", "set", "slack_token"], capsys)
        assert status == 2 and "known:" in err
    finally:
        crewbot.close()
