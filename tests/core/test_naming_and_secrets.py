"""The AWS naming rule, standard tags, secret resolution and log redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import CrewbotConfig, ResourceNamer, SecretNotFound, Secrets, standard_tags
from bot.logs import RedactingFilter, redact


def test_names_follow_one_rule() -> None:
    namer = ResourceNamer("crewbot", "prod", "123456789012")
    assert namer.table("chat_sessions") == "crewbot-prod-chat-sessions"
    assert namer.function("slack") == "crewbot-prod-slack"
    assert namer.bucket("materials") == "crewbot-prod-materials-123456789012"
    assert namer.secret("slack/bot-token") == "crewbot/prod/slack/bot-token"
    with pytest.raises(ValueError, match="lower-case"):
        namer.table("Bad Name")
    with pytest.raises(ValueError, match="longer than AWS allows"):
        namer.bucket("x" * 60)


def test_standard_tags_include_custom_but_never_override() -> None:
    config = CrewbotConfig.model_validate({"environment": "staging", "tags": {"custom": {"Team": "ops"}}})
    assert standard_tags(config) == {
        "Project": "crewbot",
        "Environment": "staging",
        "Owner": "platform-team",
        "CostCenter": "engineering",
        "ManagedBy": "terraform",
        "Team": "ops",
    }
    clash = CrewbotConfig.model_validate({"tags": {"custom": {"Project": "other"}}})
    with pytest.raises(ValueError, match="Project"):
        standard_tags(clash)


def test_local_secrets_come_from_environment_then_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SLACK_SIGNING_SECRET=from-dotenv-file\n")
    config = CrewbotConfig.model_validate({"home": str(tmp_path / "home")})
    secrets = Secrets(config, environ={"SLACK_BOT_TOKEN": "xoxb-from-environment"})
    assert secrets.get("slack_bot_token") == "xoxb-from-environment"
    assert secrets.get("slack_signing_secret") == "from-dotenv-file"
    assert secrets.get("slack_app_token") is None
    with pytest.raises(SecretNotFound, match="environment variable SLACK_APP_TOKEN"):
        secrets.require("slack_app_token")
    with pytest.raises(SecretNotFound, match="no secret called 'nope'"):
        secrets.get("nope")


def test_aws_secrets_come_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        import boto3

        boto3.client("secretsmanager").create_secret(Name="crewbot/prod/slack/bot-token", SecretString="xoxb-aws-value")
        config = CrewbotConfig.model_validate({"environment": "prod", "runtime": "aws"})
        secrets = Secrets(config, environ={})
        assert secrets.describe("slack_bot_token") == "Secrets Manager crewbot/prod/slack/bot-token"
        assert secrets.get("slack_bot_token") == "xoxb-aws-value"


def test_resolved_secrets_and_token_shapes_are_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    config = CrewbotConfig()
    Secrets(config, environ={"SLACK_SIGNING_SECRET": "s3cr3t-signing-value"}).get("slack_signing_secret")
    assert redact("sig=s3cr3t-signing-value") == "sig=****"
    assert redact("token xoxb-1234-abcd and Bearer abc.def") == "token **** and ****"
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "using %s", ("s3cr3t-signing-value",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "using ****"


def test_json_logs_carry_the_lambda_correlation_id(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import types

    from bot.logs import configure_logging, lambda_log_context

    configure_logging("INFO", json_format=True, service="crewbot")
    try:
        context = types.SimpleNamespace(aws_request_id="req-123", function_name="crewbot-dev-slack")
        with lambda_log_context(context, "apigw-456"):
            logging.getLogger("bot.test").info("handled")
        logging.getLogger("bot.test").info("outside")
    finally:
        configure_logging("INFO", json_format=False)
    inside, outside = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert (inside["correlation_id"], inside["function_request_id"], inside["function_name"]) == (
        "apigw-456",
        "req-123",
        "crewbot-dev-slack",
    )
    assert inside["service"] == "crewbot" and "correlation_id" not in outside
