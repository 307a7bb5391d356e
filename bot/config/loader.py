"""Load, merge and validate the configuration, remembering where each value came from.

Order, later wins: ``config/crewbot.yaml`` → ``config/environments/<env>.yaml`` → ``CREWBOT_*``
environment variables (``CREWBOT_SLACK__ADMINS='[U1, U2]'`` sets ``slack.admins``; values are read as
YAML scalars or flow collections). Errors name the file (or variable), the key path and what is wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.config.models import CrewbotConfig
from bot.resources import data_dir

ENV_PREFIX = "CREWBOT_"
#: ``CREWBOT_*`` variables that select things rather than set a configuration key: which plugins load,
#: which file is read, and what a deployed Lambda function runs (bot/entrypoints/workflows.py,
#: bot/entrypoints/events.py).
RESERVED_ENV = {
    "CREWBOT_LOAD_PLUGINS",
    "CREWBOT_CONFIG",
    "CREWBOT_WORKFLOW_TASK",
    "CREWBOT_SCHEDULE",
    "CREWBOT_EVENT_HANDLER",
    "CREWBOT_QUEUE",
}
DEFAULTS = "built-in defaults"

# Values that are unmistakably credentials must never sit in a configuration file.
_SECRET_LOOKING = re.compile(r"(xox[abpres]-[A-Za-z0-9-]{8,}|xapp-\d-|-----BEGIN [A-Z ]*PRIVATE KEY|AKIA[0-9A-Z]{16})")

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration."""

    source: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadedConfig:
    """A validated configuration plus the provenance of its values."""

    config: CrewbotConfig
    files: list[Path]
    raw: dict[str, Any]
    sources: dict[KeyPath, str] = field(default_factory=dict)

    def source_of(self, path: KeyPath) -> str:
        """The file or variable that set ``path`` (or the closest enclosing key that was set)."""
        for end in range(len(path), 0, -1):
            found = self.sources.get(tuple(path[:end]))
            if found:
                return found
        return DEFAULTS

    def validate_section(self, model: type[BaseModel], data: Any, path: KeyPath) -> BaseModel:
        """Validate ``data`` (found at ``path``) against ``model``; errors name file and key."""
        try:
            return model.model_validate(data if data is not None else {})
        except ValidationError as exc:
            raise ConfigError(_problems_from(exc, path, self.source_of)) from None


def default_config_file() -> Path:
    return data_dir("config") / "crewbot.yaml"


def load_config(
    env: str | None = None,
    file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Load the configuration for environment ``env``.

    ``file`` (or ``CREWBOT_CONFIG``) replaces the shipped ``config/crewbot.yaml``; the environment
    overlay is looked up in ``environments/`` beside it.
    """
    environ = os.environ if environ is None else environ
    base_file = Path(file or environ.get("CREWBOT_CONFIG") or default_config_file())
    sources: dict[KeyPath, str] = {}
    merged: dict[str, Any] = {}
    files = [base_file]
    _merge(merged, _read_yaml(base_file), (), str(base_file), sources)

    chosen = env or environ.get("CREWBOT_ENVIRONMENT") or merged.get("environment") or "dev"
    overlay = base_file.parent / "environments" / f"{chosen}.yaml"
    if overlay.is_file():
        files.append(overlay)
        _merge(merged, _read_yaml(overlay), (), str(overlay), sources)
    merged["environment"] = chosen
    sources.setdefault(("environment",), "--env" if env else sources.get(("environment",), DEFAULTS))

    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in RESERVED_ENV:
            continue
        path = tuple(part for part in name[len(ENV_PREFIX) :].lower().split("__") if part)
        if not path:
            continue
        try:
            value = yaml.safe_load(environ[name]) if environ[name] else ""
        except yaml.YAMLError:
            value = environ[name]
        _set_path(merged, path, value)
        sources[path] = f"environment variable {name}"

    problems = [
        Problem(
            sources.get(path, DEFAULTS),
            _dotted(path),
            "looks like a secret; secrets belong in the environment or Secrets Manager, never in a file",
        )
        for path, value in _leaves(merged)
        if isinstance(value, str) and _SECRET_LOOKING.search(value)
    ]
    if problems:
        raise ConfigError(problems)

    loaded = LoadedConfig(config=CrewbotConfig(), files=files, raw=merged, sources=sources)
    try:
        loaded.config = CrewbotConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, (), loaded.source_of)) from None
    return loaded


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), "", "file not found")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), "", f"cannot be read: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError([Problem(where, "", f"invalid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(str(path), "", f"invalid YAML: {exc}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([Problem(str(path), "", f"must be a mapping of keys, not a {type(data).__name__}")])
    return data


def _merge(
    into: dict[str, Any], new: Mapping[str, Any], path: KeyPath, source: str, sources: dict[KeyPath, str]
) -> None:
    for key, value in new.items():
        key_path = (*path, key)
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value, key_path, source, sources)
        else:
            into[key] = _plain(value)
            for known in [p for p in sources if p[: len(key_path)] == key_path]:
                del sources[known]
            sources[key_path] = source
            if isinstance(value, Mapping):
                for leaf, _ in _leaves(value, key_path):
                    sources[leaf] = source


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _set_path(root: dict[str, Any], path: KeyPath, value: Any) -> None:
    node: dict[Any, Any] = root
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def _leaves(value: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _problems_from(exc: ValidationError, prefix: KeyPath, source_of: Any) -> list[Problem]:
    problems = []
    for error in exc.errors():
        path = (*prefix, *error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; `crewbot config schema` lists every key)"
        problems.append(Problem(source_of(path), _dotted(path), message))
    return problems
