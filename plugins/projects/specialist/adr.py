"""``write_adr``: a numbered Architecture Decision Record (Nygard's format) from the ADR template.

ADRs live in ``decisions/`` under the caller's first directory (``docs/architecture/decisions/`` for the
SA) as ``NNNN-<title>.md``. The next number follows the highest one already in the store; an ADR whose
title matches an existing one keeps that number and is rewritten (a revised phase updates its decision
instead of piling up copies — the repository history keeps every version).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.crew import fill_template
from plugins.projects.specialist.base import default_path, slug, write_scoped
from plugins.projects.tools import crew_call, template_fields

ADR_TEMPLATE = Path(__file__).parent / "templates" / "adr.md"
STATUSES: tuple[str, ...] = ("proposed", "accepted", "rejected", "deprecated", "superseded")
_NUMBERED = re.compile(r"^(\d{4})-([a-z0-9-]+)\.md$")


def existing_adrs(files: list[str], folder: str) -> dict[str, int]:
    """``{slug: number}`` of the ADRs in ``folder``."""
    found: dict[str, int] = {}
    for path in files:
        if not path.startswith(folder) or "/" in path[len(folder) :]:
            continue
        match = _NUMBERED.match(path[len(folder) :])
        if match:
            found[match.group(2)] = int(match.group(1))
    return found


@crewbot_tool(side_effects="write")
def write_adr(
    title: str,
    context: str,
    decision: str,
    consequences: str,
    status: str = "proposed",
    tool_context: ToolInvocation | None = None,
) -> dict[str, Any]:
    """Record an Architecture Decision Record, numbered after the existing ones (decisions/NNNN-title.md in your
    directories). Writing an ADR with the title of an existing one updates it under the same number.

    Args:
        title: The decision in a few words, e.g. "Use DynamoDB for orders".
        context: The forces at play: requirements, constraints, options considered.
        decision: What was decided and why.
        consequences: What becomes easier or harder, risks, follow-ups.
        status: proposed, accepted, rejected, deprecated or superseded.
    """
    call = crew_call(tool_context)
    missing = [
        name
        for name, value in (
            ("title", title),
            ("context", context),
            ("decision", decision),
            ("consequences", consequences),
        )
        if not str(value).strip()
    ]
    if missing:
        raise ToolError(f"an ADR needs {', '.join(missing)}; write a sentence or more for each")
    if status not in STATUSES:
        raise ToolError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    folder = default_path(call, "decisions/", "")
    key = slug(title, "decision")
    numbers = existing_adrs(call.service.artifacts(call.project.project_id).files(folder), folder)
    number = numbers.get(key) or max(numbers.values(), default=0) + 1
    fields = template_fields(call, title.strip(), decision.strip())
    fields.update(
        number=f"{number:04d}",
        title=title.strip(),
        status=status,
        context=context.strip(),
        decision=decision.strip(),
        consequences=consequences.strip(),
    )
    content = fill_template(ADR_TEMPLATE.read_text(encoding="utf-8"), fields)
    path = f"{folder}{number:04d}-{key}.md"
    written = write_scoped(call, path, content, f"{call.agent}: ADR {number:04d} {title.strip()} ({status})")
    return {**written, "number": number, "updated": key in numbers}
