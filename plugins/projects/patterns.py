"""The pattern library: reusable artifacts that later projects' agents can find.

A pattern is metadata in the ``patterns`` table plus its file in the ``artifacts`` blob bucket under
``patterns/<pattern_id>/<file name>``. Tiers: ``candidate`` when contributed, ``proven`` once promoted.
Every use is counted; its outcome is recorded when the phase that used it is decided (approved =
success, sent back for revision = failure). Promotion needs :data:`PROMOTE_MIN_USES` uses and a success
rate above :data:`PROMOTE_MIN_SUCCESS`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.api import BlobStore, ConflictError, Item, Table, format_time, new_id

LIBRARY = "default"
PROMOTE_MIN_USES = 3
PROMOTE_MIN_SUCCESS = 0.8
TIERS = ("candidate", "proven")


class PatternError(ValueError):
    """A pattern operation that cannot be done; the message says why."""


def _terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


class PatternLibrary:
    """Search, use, contribute and promote patterns."""

    def __init__(self, table: Table, blobs: BlobStore, now: Callable[[], datetime]):
        self.table = table
        self.blobs = blobs
        self.now = now

    def all(self) -> list[Item]:
        return self.table.query_all(LIBRARY)

    def get(self, pattern_id: str) -> Item:
        item = self.table.get({"library": LIBRARY, "pattern_id": pattern_id})
        if item is None:
            raise PatternError(f"no pattern {pattern_id!r}; search_patterns lists the ids")
        return item

    def contribute(
        self,
        *,
        name: str,
        category: str,
        tags: list[str],
        description: str,
        file_name: str,
        content: str,
        project_id: str,
        author: str,
    ) -> Item:
        if not name.strip():
            raise PatternError("a pattern needs a name")
        pattern_id = f"pat-{new_id()[:10]}"
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "-", file_name.rsplit("/", 1)[-1]) or "pattern.md"
        key = f"patterns/{pattern_id}/{safe_name}"
        self.blobs.put(key, content.encode("utf-8"), "text/plain; charset=utf-8")
        return self.table.create(
            {
                "library": LIBRARY,
                "pattern_id": pattern_id,
                "name": name.strip()[:120],
                "category": category.strip() or "general",
                "tags": [t.strip().lower() for t in tags if t.strip()][:20],
                "description": description.strip()[:1000],
                "tier": "candidate",
                "file": key,
                "times_used": 0,
                "successes": 0,
                "failures": 0,
                "source_project": project_id,
                "author": author,
                "created_at": format_time(self.now()),
            }
        )

    def search(self, query: str, category: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
        wanted = _terms(query)
        found = []
        for item in self.all():
            if category and item.get("category") != category:
                continue
            text = " ".join(
                [
                    item.get("name", ""),
                    item.get("description", ""),
                    item.get("category", ""),
                    " ".join(item.get("tags", [])),
                ]
            )
            score = len(wanted & _terms(text)) if wanted else 1
            if score:
                found.append((score + (1 if item.get("tier") == "proven" else 0), item))
        found.sort(key=lambda pair: (-pair[0], pair[1]["pattern_id"]))
        return [self.view(item) for _, item in found[:limit]]

    def view(self, item: Item) -> dict[str, Any]:
        uses = int(item.get("times_used", 0))
        decided = int(item.get("successes", 0)) + int(item.get("failures", 0))
        rate = int(item.get("successes", 0)) / decided if decided else None
        return {
            "pattern_id": item["pattern_id"],
            "name": item.get("name"),
            "category": item.get("category"),
            "tags": item.get("tags", []),
            "tier": item.get("tier"),
            "description": item.get("description"),
            "times_used": uses,
            "success_rate": None if rate is None else round(rate, 2),
            "eligible_for_promotion": item.get("tier") != "proven" and self.eligible(item),
            "source_project": item.get("source_project"),
        }

    def content(self, item: Item) -> str:
        return self.blobs.get(item["file"]).decode("utf-8", errors="replace")

    def use(self, pattern_id: str, project_id: str = "") -> tuple[Item, str]:
        """Count a use (by ``project_id``) and return the pattern with its content."""
        self.get(pattern_id)

        def change(current: Item) -> Item:
            current["times_used"] = int(current.get("times_used", 0)) + 1
            if project_id:
                current["used_by"] = list(dict.fromkeys([*(current.get("used_by") or []), project_id]))
            return current

        updated = self.table.mutate({"library": LIBRARY, "pattern_id": pattern_id}, change)
        return updated, self.content(updated)

    def record_outcome(self, pattern_id: str, success: bool) -> None:
        def change(current: Item) -> Item:
            field = "successes" if success else "failures"
            current[field] = int(current.get(field, 0)) + 1
            return current

        with contextlib.suppress(ConflictError, LookupError):  # a deleted pattern keeps no statistics
            self.table.mutate({"library": LIBRARY, "pattern_id": pattern_id}, change)

    @staticmethod
    def eligible(item: Item) -> bool:
        uses = int(item.get("times_used", 0))
        decided = int(item.get("successes", 0)) + int(item.get("failures", 0))
        successes = int(item.get("successes", 0))
        return uses >= PROMOTE_MIN_USES and decided > 0 and successes / decided > PROMOTE_MIN_SUCCESS

    def promote(self, pattern_id: str) -> Item:
        item = self.get(pattern_id)
        if item.get("tier") == "proven":
            raise PatternError(f"{pattern_id} is already proven")
        if not self.eligible(item):
            view = self.view(item)
            raise PatternError(
                f"{pattern_id} cannot be promoted yet: it needs {PROMOTE_MIN_USES}+ uses and a success "
                f"rate above {PROMOTE_MIN_SUCCESS:.0%} (it has {view['times_used']} uses, success "
                f"rate {view['success_rate'] if view['success_rate'] is not None else 'unknown'})"
            )
        return self.table.put(
            {**item, "tier": "proven", "promoted_at": format_time(self.now())}, expected_version=item["version"]
        )
