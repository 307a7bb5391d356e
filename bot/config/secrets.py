"""Secrets: resolved at run time, cached, never stored in files and never logged.

Locally a secret is an environment variable (or a line of ``.env`` in the working directory or
``CREWBOT_HOME``); in ``runtime: aws`` it is read from Secrets Manager or SSM Parameter Store through
Powertools Parameters, which caches it. Every value handed out is registered with the log redactor.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from bot.config.models import CrewbotConfig, SecretSpec
from bot.config.naming import ResourceNamer
from bot.logs import redact_value

#: Seconds a value read from AWS is reused before it is fetched again (rotation picks up after this).
AWS_CACHE_SECONDS = 300


class SecretNotFound(Exception):
    """A required secret has no value where it should come from."""


class Secrets:
    """Resolves the secrets named in ``config.secrets``."""

    def __init__(self, config: CrewbotConfig, environ: Mapping[str, str] | None = None):
        self._config = config
        self._environ = os.environ if environ is None else environ
        self._namer = ResourceNamer.from_config(config)
        self._dotenv: dict[str, str] | None = None
        self._lock = threading.Lock()

    def spec(self, name: str) -> SecretSpec:
        try:
            return self._config.secrets[name]
        except KeyError:
            known = ", ".join(sorted(self._config.secrets)) or "none"
            raise SecretNotFound(f"no secret called {name!r} is configured (known: {known})") from None

    def get(self, name: str) -> str | None:
        """The secret's value, or ``None`` when it is not set (an error if it is ``required``)."""
        spec = self.spec(name)
        value = self._from_aws(spec) if self._config.runtime == "aws" else self._from_environment(spec)
        if value:
            redact_value(value)
            return value
        if spec.required:
            raise SecretNotFound(f"secret {name!r} is required but not set ({self.describe(name)})")
        return None

    def require(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise SecretNotFound(f"secret {name!r} is not set ({self.describe(name)})")
        return value

    def describe(self, name: str) -> str:
        """Where the secret is looked up, for messages and ``crewbot config show``."""
        spec = self.spec(name)
        if self._config.runtime == "aws":
            store = "Secrets Manager" if spec.source == "secretsmanager" else "SSM parameter"
            return f"{store} {self._aws_name(spec)}"
        return f"environment variable {spec.env}"

    def is_set(self, name: str) -> bool:
        spec = self.spec(name)
        if self._config.runtime == "aws":
            return True  # unknown without a network call; resolved on first use
        return bool(self._from_environment(spec))

    def _aws_name(self, spec: SecretSpec) -> str:
        path = self._namer.secret(spec.name)
        return path if spec.source == "secretsmanager" else f"/{path}"

    def _from_environment(self, spec: SecretSpec) -> str | None:
        value = self._environ.get(spec.env)
        if value:
            return value
        return self._dotenv_values().get(spec.env) or None

    def _dotenv_values(self) -> dict[str, str]:
        with self._lock:
            if self._dotenv is None:
                values: dict[str, str] = {}
                for folder in (Path.cwd(), Path(self._config.home)):
                    env_file = folder / ".env"
                    if env_file.is_file():
                        loaded = dotenv_values(env_file)
                        values.update({k: v for k, v in loaded.items() if v is not None and k not in values})
                self._dotenv = values
            return self._dotenv

    def _from_aws(self, spec: SecretSpec) -> str | None:
        # Imported here: Powertools Parameters pulls in boto3, which the local path never needs.
        from aws_lambda_powertools.utilities import parameters

        if spec.source == "secretsmanager":
            value = parameters.get_secret(self._aws_name(spec), max_age=AWS_CACHE_SECONDS)
        else:
            value = parameters.get_parameter(self._aws_name(spec), decrypt=True, max_age=AWS_CACHE_SECONDS)
        return value if isinstance(value, str) else None
