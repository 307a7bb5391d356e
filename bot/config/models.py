"""The validated shape of Crewbot's configuration (``config/crewbot.yaml`` + environment overrides)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

Environment = Literal["dev", "staging", "prod"]
Runtime = Literal["local", "aws"]

_NAME_PART = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


class _Strict(BaseModel):
    # A misspelt key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class AwsConfig(_Strict):
    """Where Crewbot runs in AWS. Resource names come from :class:`bot.config.naming.ResourceNamer`."""

    region: str = "us-east-1"
    account_id: str | None = Field(default=None, pattern=r"^\d{12}$")


class TagsConfig(_Strict):
    """Inputs to the standard tags put on every AWS resource (see :func:`bot.config.naming.standard_tags`)."""

    owner: str = "platform-team"
    cost_center: str = "engineering"
    custom: dict[str, str] = Field(default_factory=dict)


class FeaturesConfig(_Strict):
    """Optional AWS features, mirrored by Terraform variables."""

    xray: bool = False
    alarms: bool = True
    vpc: bool = False


class LoggingConfig(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Structured JSON lines; ``None`` means JSON in ``runtime: aws`` and readable lines locally.
    json_format: bool | None = None


class PluginsConfig(_Strict):
    """Which plugins load, and their settings.

    ``allow`` (when set) is the only plugins that load; ``deny`` removes plugins. The environment
    variable ``CREWBOT_LOAD_PLUGINS`` (comma separated, empty for none) overrides both.
    """

    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    settings: dict[str, dict[str, Any]] = Field(default_factory=dict)


class SlackConfig(_Strict):
    """Who is who in Slack."""

    #: Slack user ids with admin rights (``/crewbot`` admin commands, any approval).
    admins: list[str] = Field(default_factory=list)
    #: The agent a DM goes to unless the user picked another.
    default_agent: str = "meeting_coordinator"
    #: The name the bot shows in the manifest.
    app_name: str = "Crewbot"

    @field_validator("admins")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        for user_id in value:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id):
                raise ValueError(f"{user_id!r} is not a Slack user id (like U0123ABCD)")
        return value


class SecretSpec(_Strict):
    """Where one secret comes from: never its value.

    Locally the value is read from the environment variable ``env`` (or a ``.env`` file); in
    ``runtime: aws`` from Secrets Manager (``source: secretsmanager``) or SSM Parameter Store, under
    ``name`` relative to the project's secret prefix (``<project>/<environment>/``).
    """

    env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9/_-]*$")
    source: Literal["secretsmanager", "ssm"] = "secretsmanager"
    required: bool = False


def _default_secrets() -> dict[str, SecretSpec]:
    return {
        "slack_signing_secret": SecretSpec(env="SLACK_SIGNING_SECRET", name="slack/signing-secret"),
        "slack_bot_token": SecretSpec(env="SLACK_BOT_TOKEN", name="slack/bot-token"),
        "slack_app_token": SecretSpec(env="SLACK_APP_TOKEN", name="slack/app-token"),
        # Calendar OAuth clients (meeting prep): JSON {"client_id", "client_secret"[, "tenant"]}.
        "google_oauth_client": SecretSpec(env="GOOGLE_OAUTH_CLIENT", name="google/oauth-client"),
        "microsoft_oauth_client": SecretSpec(env="MICROSOFT_OAUTH_CLIENT", name="microsoft/oauth-client"),
    }


class ModelProfile(_Strict):
    """One model an agent can use (``models.profiles.<name>``), see docs/agents.md.

    ``provider`` is ``bedrock`` (the default), ``offline`` (deterministic, needs nothing), or any installed
    Strands provider (``anthropic``, ``openai``, ``ollama``, ``litellm``). ``params`` go to the provider's
    Strands model class as keyword arguments; ``api_key_secret`` names an entry of ``secrets``.
    """

    provider: str = "bedrock"
    model_id: str | None = None
    region: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    api_key_secret: str | None = None
    #: Profiles tried in order when this one is throttled or unavailable.
    fallback: list[str] = Field(default_factory=list)


def _default_profiles() -> dict[str, ModelProfile]:
    return {
        "nova-lite": ModelProfile(provider="bedrock", model_id="us.amazon.nova-lite-v1:0", fallback=["nova-micro"]),
        "nova-micro": ModelProfile(provider="bedrock", model_id="us.amazon.nova-micro-v1:0"),
        "offline": ModelProfile(provider="offline"),
    }


class ModelPrice(_Strict):
    """What one model costs, in USD per 1000 tokens (``models.prices.<model id>``): both are required."""

    input_per_1k: float = Field(ge=0, strict=True, allow_inf_nan=False)
    output_per_1k: float = Field(ge=0, strict=True, allow_inf_nan=False)


def _default_prices() -> dict[str, ModelPrice]:
    return {
        "us.amazon.nova-lite-v1:0": ModelPrice(input_per_1k=0.00006, output_per_1k=0.00024),
        "us.amazon.nova-micro-v1:0": ModelPrice(input_per_1k=0.000035, output_per_1k=0.00014),
        "offline": ModelPrice(input_per_1k=0, output_per_1k=0),
    }


class ModelsConfig(_Strict):
    """Model profiles and which one agents get by default (``model: default`` in a spec).

    ``default: auto`` picks ``preferred`` when credentials for it are configured, else ``offline``.
    ``prices`` (by model id; a provider without model ids, like ``offline``, by provider name) give each
    agent turn an estimated cost; a turn on a model missing there is counted as not estimated.
    """

    default: str = "auto"
    preferred: str = "nova-lite"
    profiles: dict[str, ModelProfile] = Field(default_factory=_default_profiles)
    prices: dict[str, ModelPrice] = Field(default_factory=_default_prices)

    @field_validator("prices")
    @classmethod
    def _model_ids(cls, value: dict[str, ModelPrice]) -> dict[str, ModelPrice]:
        for model_id in value:
            if not model_id.strip():
                raise ValueError("a price needs a model id as its key")
        return value


class CrewbotConfig(_Strict):
    """The whole configuration, after merging files and ``CREWBOT_*`` overrides."""

    project: str = "crewbot"
    environment: Environment = "dev"
    runtime: Runtime = "local"
    #: Local data directory (SQLite, blobs, sessions); ``CREWBOT_HOME`` overrides it.
    home: Path = Path(".crewbot")
    timezone: str = "UTC"
    aws: AwsConfig = Field(default_factory=AwsConfig)
    tags: TagsConfig = Field(default_factory=TagsConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    slack: SlackConfig = Field(default_factory=SlackConfig)
    secrets: dict[str, SecretSpec] = Field(default_factory=_default_secrets)
    models: ModelsConfig = Field(default_factory=ModelsConfig)

    @field_validator("project")
    @classmethod
    def _project_name(cls, value: str) -> str:
        if not _NAME_PART.match(value):
            raise ValueError("must be lower-case letters, digits and '-', starting with a letter, at most 20")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/London)") from None
        return value
