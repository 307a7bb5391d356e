"""Model profiles → Strands models, with fallback chains and the offline default.

A profile (``models.profiles.<name>`` in the configuration) names a provider and its settings. An
agent's ``model`` is a profile name or ``default``. Resolving it gives the chain ``[profile, *fallback]``
(fallbacks of fallbacks included, each once); profiles whose credentials are not configured are left
out, and when nothing is left the agent gets the ``offline`` model, which says why in every reply.

A chain of more than one model becomes a Strands ``ModelRouter`` (ordered failover): a throttled or
unavailable model hands the call to the next one. Profiles are validated at start
(:meth:`ModelManager.validate`): known provider, its SDK installed, fallbacks that exist, API-key
secrets that are declared.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Problem
from bot.config.models import ModelProfile

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)

OFFLINE = "offline"


@dataclass(frozen=True)
class Provider:
    """How to build a Strands model for one provider."""

    module: str  # the Strands module holding the class
    cls: str
    sdk: str | None  # the client library that must be installed (None: ships with Strands)
    key_env: tuple[str, ...] = ()  # environment variables that carry its API key


PROVIDERS: dict[str, Provider] = {
    "bedrock": Provider("strands.models.bedrock", "BedrockModel", None),
    "anthropic": Provider("strands.models.anthropic", "AnthropicModel", "anthropic", ("ANTHROPIC_API_KEY",)),
    "openai": Provider("strands.models.openai", "OpenAIModel", "openai", ("OPENAI_API_KEY",)),
    "ollama": Provider("strands.models.ollama", "OllamaModel", "ollama"),
    "litellm": Provider("strands.models.litellm", "LiteLLMModel", "litellm", ("LITELLM_API_KEY", "OPENAI_API_KEY")),
    OFFLINE: Provider("bot.agents.offline", "OfflineModel", None),
}

_AWS_CREDENTIAL_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_BEARER_TOKEN_BEDROCK",
)


@dataclass(frozen=True)
class Resolution:
    """Which profiles an agent's model name resolved to, and why (for ``crewbot agents show``)."""

    requested: str
    chain: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    reason: str = ""

    @property
    def short(self) -> str:
        """The chain only (``nova-lite → nova-micro``), for context lines and usage records."""
        return " → ".join(self.chain)

    @property
    def label(self) -> str:
        text = self.short
        if self.skipped:
            text += f" (skipped, no credentials: {', '.join(self.skipped)})"
        return text


class ModelManager:
    """Builds the model (or router) for an agent from the configured profiles."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot
        self.config = crewbot.config.models
        self.environ: Mapping[str, str] = crewbot.environ
        self._overrides: dict[str, Callable[[], Any]] = {}

    # -- validation ----------------------------------------------------------------------------

    def validate(self) -> None:
        """Check every profile; :class:`ConfigError` lists each problem with its configuration key."""
        problems: list[Problem] = []
        profiles = self.config.profiles
        source = self.crewbot.loaded.source_of

        def problem(path: tuple[str | int, ...], message: str) -> None:
            problems.append(Problem(source(path), ".".join(str(p) for p in path), message))

        for name, profile in profiles.items():
            path: tuple[str | int, ...] = ("models", "profiles", name)
            provider = PROVIDERS.get(profile.provider)
            if provider is None:
                problem(
                    (*path, "provider"),
                    f"unknown provider {profile.provider!r} (known: {', '.join(sorted(PROVIDERS))})",
                )
                continue
            if provider.sdk and importlib.util.find_spec(provider.sdk) is None:
                problem(
                    (*path, "provider"),
                    f"provider {profile.provider!r} needs its client library: "
                    f"pip install 'strands-agents[{profile.provider}]'",
                )
            if profile.provider not in (OFFLINE, "ollama") and not profile.model_id:
                problem((*path, "model_id"), "is required for this provider")
            for i, fallback in enumerate(profile.fallback):
                if fallback not in profiles:
                    problem((*path, "fallback", i), f"unknown profile {fallback!r}")
                elif fallback == name:
                    problem((*path, "fallback", i), "a profile cannot fall back to itself")
            if profile.api_key_secret and profile.api_key_secret not in self.crewbot.config.secrets:
                problem((*path, "api_key_secret"), f"no secret {profile.api_key_secret!r} in `secrets`")
        if self.config.default != "auto" and self.config.default not in profiles:
            problem(("models", "default"), f"unknown profile {self.config.default!r} (use `auto` or a profile)")
        if self.config.default == "auto" and self.config.preferred not in profiles:
            problem(("models", "preferred"), f"unknown profile {self.config.preferred!r}")
        if problems:
            raise ConfigError(problems)

    def knows(self, name: str) -> bool:
        return name == "default" or name in self.config.profiles or name == OFFLINE

    # -- credentials -----------------------------------------------------------------------------

    def has_credentials(self, profile: ModelProfile) -> bool:
        """Whether ``profile`` can be used here without asking anyone for a key."""
        provider = profile.provider
        if provider in (OFFLINE, "ollama"):
            return True
        if profile.api_key_secret:
            return bool(self.crewbot.secrets.get(profile.api_key_secret))
        if provider == "bedrock":
            return self._aws_credentials()
        return any(self.environ.get(var) for var in PROVIDERS[provider].key_env)

    def _aws_credentials(self) -> bool:
        # Only cheap checks: asking boto3 could wait on the instance-metadata endpoint off AWS.
        if self.crewbot.config.runtime == "aws" or any(self.environ.get(v) for v in _AWS_CREDENTIAL_ENV):
            return True
        files = [self.environ.get("AWS_SHARED_CREDENTIALS_FILE"), self.environ.get("AWS_CONFIG_FILE")]
        home = self.environ.get("HOME")
        if home:
            files += [str(Path(home) / ".aws" / "credentials")]
        return any(f and Path(f).is_file() for f in files)

    # -- resolution ------------------------------------------------------------------------------

    def resolve(self, requested: str) -> Resolution:
        """The chain of profiles ``requested`` (a profile name or ``default``) stands for here."""
        name = requested
        if requested == "default":
            name = self.config.default
            if name == "auto":
                preferred = self.config.profiles.get(self.config.preferred)
                if preferred is None or not self._usable(self.config.preferred):
                    return Resolution(
                        requested,
                        (OFFLINE,),
                        (self.config.preferred,),
                        f"no credentials are configured for {self.config.preferred!r}",
                    )
                name = self.config.preferred
        if name == OFFLINE and OFFLINE not in self.config.profiles:
            return Resolution(requested, (OFFLINE,))
        if name not in self.config.profiles:
            raise ConfigError([Problem("agent spec", "model", f"unknown model profile {name!r}")])
        chain: list[str] = []
        pending = [name]
        while pending:
            current = pending.pop(0)
            if current in chain:
                continue
            chain.append(current)
            pending.extend(self.config.profiles[current].fallback)
        usable = tuple(p for p in chain if self._usable(p))
        skipped = tuple(p for p in chain if p not in usable)
        if not usable:
            return Resolution(requested, (OFFLINE,), skipped, f"no credentials are configured for {name!r}")
        return Resolution(requested, usable, skipped)

    def _usable(self, name: str) -> bool:
        if name in self._overrides:
            return True
        profile = self.config.profiles.get(name)
        return profile is not None and self.has_credentials(profile)

    def build(self, requested: str) -> tuple[Any, Resolution]:
        """A fresh Strands model (or ``ModelRouter`` over the chain) for an agent, and the resolution."""
        resolution = self.resolve(requested)
        models = [self._instantiate(name, resolution.reason) for name in resolution.chain]
        if len(models) == 1:
            return models[0], resolution
        from strands.models.routing import ModelRouter, RoutingCandidate

        candidates = [RoutingCandidate(model=m, name=n) for m, n in zip(models, resolution.chain, strict=True)]
        return ModelRouter(candidates), resolution

    def retry_strategy(self, resolution: Resolution) -> Any:
        """Retries for one model; none with a chain, so a throttled model hands over at once."""
        from strands import ModelRetryStrategy

        if len(resolution.chain) > 1:
            return None
        return ModelRetryStrategy(max_attempts=3, initial_delay=2, max_delay=8)

    def override(self, profile: str, factory: Callable[[], Any]) -> None:
        """Use ``factory()`` for ``profile`` (tests and demos: e.g. a :class:`~bot.agents.scripted.ScriptedModel`)."""
        self._overrides[profile] = factory

    def _instantiate(self, name: str, reason: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]()
        profile = self.config.profiles.get(name) or ModelProfile(provider=OFFLINE)
        provider = PROVIDERS[profile.provider]
        module = importlib.import_module(provider.module)
        cls = getattr(module, provider.cls)
        params = dict(profile.params)
        if profile.provider == OFFLINE:
            return cls(reason=reason or "the offline profile was chosen")
        if profile.provider == "bedrock":
            region = profile.region or self.crewbot.config.aws.region
            return cls(model_id=profile.model_id, region_name=region, **params)
        client_args: dict[str, Any] = {}
        if profile.api_key_secret:
            client_args["api_key"] = self.crewbot.secrets.require(profile.api_key_secret)
        if profile.provider == "ollama":
            return cls(params.pop("host", "http://localhost:11434"), model_id=profile.model_id, **params)
        return cls(client_args=client_args or None, model_id=profile.model_id, **params)
