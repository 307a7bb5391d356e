"""Configuration: validated models, the file/env loader, secrets and the AWS naming rule."""

from bot.config.loader import ConfigError, LoadedConfig, Problem, load_config
from bot.config.models import CrewbotConfig
from bot.config.naming import ResourceNamer, standard_tags
from bot.config.secrets import SecretNotFound, Secrets

__all__ = [
    "ConfigError",
    "CrewbotConfig",
    "LoadedConfig",
    "Problem",
    "ResourceNamer",
    "SecretNotFound",
    "Secrets",
    "load_config",
    "standard_tags",
]
