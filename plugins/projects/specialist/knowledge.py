"""``knowledge_base_search``: the crew's knowledge base offline — this project's artifacts and the pattern
library, searched by keywords (there is no Bedrock knowledge base without an AWS account).

Documents are cut into passages (Markdown sections, or blocks of lines for code), scored with BM25 over
the passages of this search, and returned with their path and heading so the agent can ``read_artifact``
the whole file.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.specialist.base import terms
from plugins.projects.tools import crew_call

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
MAX_FILES = 400
PASSAGE_LINES = 40


@dataclass
class Passage:
    source: str
    where: str
    heading: str
    text: str


def passages(where: str, text: str, source: str) -> list[Passage]:
    """``text`` cut at Markdown headings (or every PASSAGE_LINES lines when it has none)."""
    found: list[Passage] = []
    heading = ""
    lines: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line)
        if (match or len(lines) >= PASSAGE_LINES) and any(x.strip() for x in lines):
            found.append(Passage(source, where, heading, "\n".join(lines).strip()))
            lines = []
        if match:
            heading = match.group(1).strip()
        lines.append(line)
    if any(x.strip() for x in lines):
        found.append(Passage(source, where, heading, "\n".join(lines).strip()))
    return found


def bm25(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """BM25 score of each document for the query terms."""
    if not docs:
        return []
    average = sum(len(d) for d in docs) / len(docs) or 1.0
    frequency = Counter(term for d in docs for term in set(d))
    scores = []
    for doc in docs:
        counts = Counter(doc)
        score = 0.0
        for term in set(query):
            if not counts[term]:
                continue
            idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += idf * counts[term] * (k1 + 1) / (counts[term] + k1 * (1 - b + b * len(doc) / average))
        scores.append(score)
    return scores


@crewbot_tool(side_effects="read")
def knowledge_base_search(
    query: str, limit: int = 5, source: str = "all", tool_context: ToolInvocation | None = None
) -> dict[str, Any]:
    """Search the crew's knowledge: this project's documents, code and Terraform, and the pattern library from
    earlier projects. Returns the best passages with where they come from.

    Args:
        query: What you are looking for, in plain words.
        limit: At most this many passages (1-20).
        source: all, project (this project's artifacts) or patterns (the pattern library).
    """
    call = crew_call(tool_context)
    wanted = terms(query)
    if not wanted:
        raise ToolError("the query has no searchable words; say what you are looking for")
    if source not in ("all", "project", "patterns"):
        raise ToolError(f"source must be all, project or patterns, not {source!r}")
    if not 1 <= int(limit) <= 20:
        raise ToolError(f"limit must be between 1 and 20, not {limit}")
    found: list[Passage] = []
    if source in ("all", "project"):
        store = call.service.artifacts(call.project.project_id)
        for path in store.files()[:MAX_FILES]:
            found.extend(passages(path, store.read(path), "project"))
    if source in ("all", "patterns"):
        library = call.service.patterns
        for item in library.all():
            header = f"{item.get('name')} — {item.get('description', '')} (tags: {', '.join(item.get('tags', []))})"
            where = f"pattern {item['pattern_id']} ({item.get('tier')})"
            found.extend(passages(where, header + "\n\n" + library.content(item), "patterns"))
    scores = bm25(wanted, [terms(f"{p.where} {p.heading} {p.text}") for p in found])
    ranked = sorted(((s, i) for i, s in enumerate(scores) if s > 0), key=lambda pair: (-pair[0], pair[1]))
    results = [
        {
            "source": found[i].source,
            "where": found[i].where,
            "heading": found[i].heading,
            "score": round(score, 3),
            "excerpt": found[i].text[:700],
        }
        for score, i in ranked[: int(limit)]
    ]
    return {"query": query, "searched_passages": len(found), "count": len(results), "results": results}
