"""Context providers: where agents get organisation facts (budget, big rocks, incidents ...).

A plugin returns :class:`ContextProvider` objects from ``register_context_providers``. Each provides one
or more *topics* (``budget``, ``big_rocks`` ...); :meth:`ContextProvider.fetch` returns a JSON-like dict
for a user and, optionally, a meeting. Tools ask every provider of a topic in parallel
(:func:`bot.agents.parallel.fetch_all`) and merge the answers, so a company can add its own sources
(a finance system, Jira ...) without touching the tools.

The built-in :class:`YamlContextProvider` reads ``config/context/<topic>.yaml``, so an organisation can
plug in its own numbers without code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from bot.config import ConfigError, Problem


@runtime_checkable
class ContextProvider(Protocol):
    """A source of context for agents."""

    #: Unique name, shown in listings and in the ``sources`` of merged results.
    name: str
    #: The topics this provider answers (``budget``, ``big_rocks`` ...).
    topics: tuple[str, ...]

    def fetch(
        self, topic: str, user_id: str, meeting: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        """Context on ``topic`` for ``user_id`` (and ``meeting`` when preparing one). May do I/O; may raise."""
        ...


class YamlContextProvider:
    """Reads ``<folder>/<topic>.yaml`` (one mapping per file); re-read when the file changes."""

    def __init__(self, folder: Path, name: str = "org_yaml"):
        self.name = name
        self.folder = folder
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    @property
    def topics(self) -> tuple[str, ...]:
        if not self.folder.is_dir():
            return ()
        return tuple(sorted(p.stem for p in self.folder.glob("*.yaml")))

    def fetch(
        self, topic: str, user_id: str, meeting: Mapping[str, Any] | None = None, **options: Any
    ) -> dict[str, Any]:
        path = self.folder / f"{topic}.yaml"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise LookupError(f"no context file {path} for topic {topic!r}") from None
        cached = self._cache.get(topic)
        if cached and cached[0] == mtime:
            return dict(cached[1])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError([Problem(str(path), "", f"invalid YAML: {exc}")]) from None
        if not isinstance(data, dict):
            raise ConfigError([Problem(str(path), "", "a context file must be a mapping of keys")])
        data = _json_safe(data)
        self._cache[topic] = (mtime, data)
        return dict(data)

    def __repr__(self) -> str:
        return f"YamlContextProvider({str(self.folder)!r})"


def _json_safe(value: Any) -> Any:
    """YAML dates and times as ISO strings, so results serialise as JSON for the model."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def big_rocks_status(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """``big_rocks`` context with each initiative's expected progress and status (``done``, ``blocked``,
    ``at_risk``: more than 10 points behind the time elapsed, ``on_track``) computed for ``today``, and the
    names of those at risk or blocked."""
    rocks = [_rock_status(r, today) for r in data.get("initiatives", []) if isinstance(r, Mapping)]
    return {
        **{k: v for k, v in data.items() if k != "initiatives"},
        "initiatives": rocks,
        "at_risk": [r["name"] for r in rocks if r["status"] in ("at_risk", "blocked")],
    }


def _rock_status(rock: Mapping[str, Any], today: date) -> dict[str, Any]:
    progress = int(rock.get("progress_pct") or 0)
    result = dict(rock)
    start, due = _as_date(rock.get("start")), _as_date(rock.get("due"))
    expected = None
    if start and due and due > start:
        elapsed = (min(max(today, start), due) - start).days / (due - start).days
        expected = round(elapsed * 100)
        result["expected_pct"] = expected
    if progress >= 100:
        status = "done"
    elif rock.get("blockers"):
        status = "blocked"
    elif expected is not None and progress < expected - 10:
        status = "at_risk"
    else:
        status = "on_track"
    result["status"] = status
    return result


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
