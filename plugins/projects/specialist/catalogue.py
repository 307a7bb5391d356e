"""The SA's AWS service catalogue (``data/aws_services.yaml``) and ``aws_service_lookup``.

There is no AWS pricing or documentation API offline, so the SA looks needs up in a small curated
catalogue: what each service is for, its main limits, how it is priced, when to avoid it and its
security baseline. A need is matched by keyword overlap (name and keywords count double).
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any

import yaml

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.specialist.base import terms
from plugins.projects.tools import crew_call

CATALOGUE_FILE = Path(__file__).parent / "data" / "aws_services.yaml"
_VENDOR = frozenset({"aws", "amazon"})
_REQUIRED = (
    "id",
    "name",
    "category",
    "kind",
    "tier",
    "keywords",
    "use_for",
    "limits",
    "pricing",
    "avoid_when",
    "security",
)


class Catalogue:
    """The services of the catalogue file, searchable by keywords."""

    def __init__(self, services: list[dict[str, Any]]):
        self.services = services
        # "AWS" and "Amazon" are in most names: they say nothing about which service fits.
        self._index = [
            (
                s,
                set(terms(" ".join([s["name"], s["id"], *s["keywords"]]))) - _VENDOR,
                set(terms(" ".join([s["category"], s["use_for"]]))) - _VENDOR,
            )
            for s in services
        ]

    @classmethod
    def load(cls, path: Path = CATALOGUE_FILE) -> Catalogue:
        """Read and check the catalogue file (a broken entry names the file and the entry)."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        services = data.get("services")
        if not isinstance(services, list) or not services:
            raise ValueError(f"{path}: 'services' must be a non-empty list")
        for index, service in enumerate(services, 1):
            missing = [k for k in _REQUIRED if k not in (service or {})]
            if missing:
                ident = (service or {}).get("id", "?")
                raise ValueError(f"{path}: service {index} ({ident}) lacks {', '.join(missing)}")
        return cls(services)

    def search(self, need: str, limit: int = 5, category: str | None = None) -> list[dict[str, Any]]:
        """Services for ``need``, best first, with the words that matched. A word counts double in a service's
        name or keywords, and less the more services it describes (inverse document frequency), so "data" or
        "serverless" weigh less than "queue" or "search"."""
        wanted = set(terms(need))
        count = len(self._index)
        spread = {word: sum(1 for _, strong, weak in self._index if word in strong or word in weak) for word in wanted}
        found = []
        for service, strong, weak in self._index:
            if category and service["category"] != category.strip().lower():
                continue
            matched = sorted((wanted & strong) | (wanted & weak))
            score = round(sum((2 if word in strong else 1) * math.log(1 + count / spread[word]) for word in matched), 2)
            if score:
                found.append((score, service, matched))
        found.sort(key=lambda entry: (-entry[0], entry[1]["id"]))
        return [{"score": score, "matched": matched, **service} for score, service, matched in found[:limit]]

    def match_name(self, name: str) -> dict[str, Any] | None:
        """The service a component name refers to ("API Gateway", "Amazon S3", "dynamodb"), if any."""
        text = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
        for service in self.services:
            full = re.sub(r"[^a-z0-9]+", " ", service["name"].lower())
            short = re.sub(r"^(amazon|aws) ", "", full.split(" (")[0]).strip()
            ident = service["id"].replace("-", " ")
            named = len(short) >= 2 and re.search(rf"\b{re.escape(short)}\b", text)
            if text in (full.strip(), short, ident) or named:
                return service
        return None

    def categories(self) -> list[str]:
        return sorted({s["category"] for s in self.services})


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The shipped catalogue (read once per process)."""
    return Catalogue.load()


@crewbot_tool(side_effects="read")
def aws_service_lookup(
    need: str, limit: int = 5, category: str = "", tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Find AWS services for a need in Crewbot's curated catalogue: what each is for, main limits, pricing model,
    when to avoid it and its security baseline. Offline notes — confirm limits and prices in AWS's documentation
    before a design depends on them.

    Args:
        need: What the system must do, in plain words (e.g. "serverless API for checkout with a queue").
        limit: At most this many services (1-10).
        category: Only this category (e.g. database, compute, integration, security).
    """
    crew_call(tool_context)  # project work only
    if not need.strip():
        raise ToolError("describe the need in a few words, e.g. 'store product images' or 'queue orders'")
    if not 1 <= int(limit) <= 10:
        raise ToolError(f"limit must be between 1 and 10, not {limit}")
    known = catalogue()
    if category and category.strip().lower() not in known.categories():
        raise ToolError(f"unknown category {category!r}; categories: {', '.join(known.categories())}")
    found = known.search(need, int(limit), category or None)
    keys = ("id", "name", "category", "score", "matched", "use_for", "limits", "pricing", "avoid_when", "security")
    return {
        "need": need.strip(),
        "count": len(found),
        "services": [{k: s[k] for k in keys} for s in found],
        "note": "No service matched; try other words (e.g. queue, database, login, search)"
        if not found
        else "Curated offline notes; confirm current limits and prices in the AWS documentation.",
    }
