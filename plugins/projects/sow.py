"""Statements of Work: reading the file a customer shares, and parsing it into structured requirements.

* :func:`read_sow_file` turns a file's bytes into text: plain text and Markdown (UTF-8, or UTF-16 with a
  byte-order mark), PDF (pypdf) and DOCX (python-docx). Empty, too large, unreadable or not-text files
  raise :class:`SowError` with a message the user can act on.
* :func:`parse_sow` is the deterministic parser used when no model is configured: it reads headings
  (Markdown ``#``, ``Objectives:`` lines, numbered or upper-case headings) and sorts their lines into
  objectives, requirements, constraints, deliverables, acceptance criteria and timeline by keyword.
  :func:`parse_sow_with_agent` asks a model for the same :class:`Sow` as structured output.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from pydantic import BaseModel, Field

#: Largest SOW file accepted (bytes) and largest SOW text (characters).
MAX_SOW_BYTES = 5 * 1024 * 1024
MAX_SOW_CHARS = 200_000

SECTIONS: tuple[str, ...] = (
    "objectives",
    "requirements",
    "constraints",
    "deliverables",
    "acceptance_criteria",
    "timeline",
)

# Heading words → section; the first matching entry decides ("out of scope" before "scope").
_HEADINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("acceptance_criteria", ("acceptance", "success criteria", "definition of done", "exit criteria")),
    ("objectives", ("objective", "goal", "purpose", "background", "overview", "summary", "vision")),
    (
        "constraints",
        (
            "constraint",
            "assumption",
            "limitation",
            "non-functional",
            "compliance",
            "budget",
            "out of scope",
            "risks",
            "dependencies",
        ),
    ),
    ("requirements", ("requirement", "scope", "functional", "features", "in scope", "capabilit", "needs")),
    ("deliverables", ("deliverable", "outputs", "artifacts", "artefacts", "work products")),
    ("timeline", ("timeline", "schedule", "milestone", "phases", "dates", "duration", "plan")),
)
_TIMELINE_HINT = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|week|weeks|month|months|q[1-4]|by (jan|feb|mar|apr|may|jun|jul|"
    r"aug|sep|oct|nov|dec)\w*|days?)\b",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[a-z][.)])\s+")


class SowError(ValueError):
    """A SOW that cannot be used; the message says what is wrong and what to do."""


class Sow(BaseModel):
    """A Statement of Work, structured."""

    title: str = ""
    objectives: list[str] = Field(default_factory=list)
    requirements: list[str] = Field(default_factory=list)
    constraints: list[str] = Field(default_factory=list)
    deliverables: list[str] = Field(default_factory=list)
    acceptance_criteria: list[str] = Field(default_factory=list)
    timeline: list[str] = Field(default_factory=list)

    def missing(self) -> list[str]:
        """Sections the SOW says nothing about (what the PM may have to ask the customer)."""
        return [name for name in SECTIONS if not getattr(self, name)]


# -- reading files ------------------------------------------------------------------------------------


def read_sow_file(name: str, data: bytes, *, max_bytes: int = MAX_SOW_BYTES) -> str:
    """The text of a SOW file, by its extension (``.txt``, ``.md``, ``.pdf``, ``.docx``; others are tried as text)."""
    label = name or "the file"
    if not data:
        raise SowError(f"{label} is empty: share a SOW with some text in it")
    if len(data) > max_bytes:
        raise SowError(
            f"{label} is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB. "
            "Share a shorter SOW or paste its text"
        )
    kind = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if kind == "pdf" or data.startswith(b"%PDF-"):
        text = _pdf_text(label, data)
    elif kind == "docx" or (data.startswith(b"PK") and kind not in ("txt", "md", "markdown")):
        text = _docx_text(label, data)
    else:
        text = _plain_text(label, data)
    return check_sow_text(text, label)


def check_sow_text(text: str, label: str = "the SOW") -> str:
    """``text`` cleaned up, or :class:`SowError` when it is empty or too long."""
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text or not re.search(r"[A-Za-z]{2}", text):
        raise SowError(f"{label} has no readable text (a scanned PDF without text, or an empty document?)")
    if len(text) > MAX_SOW_CHARS:
        raise SowError(f"{label} has {len(text):,} characters; the limit is {MAX_SOW_CHARS:,}")
    return text


def _plain_text(label: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise SowError(f"{label} is not a text file (it looks binary); share a .txt, .md, .pdf or .docx SOW")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SowError(f"{label} is not UTF-8 text; save it as UTF-8, or share it as PDF or DOCX") from None
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 8:
        raise SowError(f"{label} is not a text file (it has control characters); share a .txt, .md, .pdf or .docx SOW")
    return text


def _pdf_text(label: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SowError(f"{label} is a password-protected PDF; share an unprotected copy")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except SowError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SowError(f"{label} is not a readable PDF ({exc})") from None


def _docx_text(label: str, data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SowError(f"{label} is not a readable DOCX document ({exc})") from None
    lines = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        text = paragraph.text.strip()
        if not text:
            continue
        # Keep the document's headings recognisable to the parser.
        lines.append(f"## {text}" if style.lower().startswith(("heading", "title")) else text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)


# -- parsing ------------------------------------------------------------------------------------------


def _heading(line: str) -> str | None:
    """The heading text if ``line`` is a heading (``# X``, ``X:`` alone, ``1. X`` in capitals, ``X`` in capitals)."""
    stripped = line.strip()
    if not stripped or len(stripped) > 80:
        return None
    if stripped.startswith("#"):
        return stripped.lstrip("#").strip()
    if stripped.endswith(":") and len(stripped.split()) <= 6:
        return stripped[:-1].strip()
    numbered = re.match(r"^\d+(\.\d+)*[.)]?\s+(.+)$", stripped)
    candidate = numbered.group(2) if numbered else stripped
    if candidate.isupper() and len(candidate.split()) <= 6 and re.search(r"[A-Z]{3}", candidate):
        return candidate
    return None


def _section_of(heading: str) -> str | None:
    lowered = heading.lower()
    for section, words in _HEADINGS:
        if any(word in lowered for word in words):
            return section
    return None


def parse_sow(text: str) -> Sow:
    """The deterministic heading/keyword parser (no model needed)."""
    sow = Sow()
    current: str | None = None
    inline = re.compile(r"^\s*([A-Za-z][A-Za-z /-]{2,40}):\s+(\S.*)$")
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        heading = _heading(line)
        if heading is not None:
            section = _section_of(heading)
            if not sow.title and line.lstrip().startswith("# ") and section is None:
                sow.title = heading
            current = section
            continue
        match = inline.match(line)
        if match and _section_of(match.group(1)) and not _BULLET.match(line):
            # "Timeline: 6 weeks" — a labelled line is its own section entry.
            getattr(sow, str(_section_of(match.group(1)))).append(match.group(2).strip())
            continue
        item = _BULLET.sub("", line).strip()
        if not item:
            continue
        if current is None:
            if not sow.title:
                sow.title = item[:120]
            elif _TIMELINE_HINT.search(item) and len(item) < 160:
                sow.timeline.append(item)
            else:
                sow.objectives.append(item)
            continue
        getattr(sow, current).append(item)
    for section in SECTIONS:
        values = [v[:500] for v in dict.fromkeys(getattr(sow, section))]
        setattr(sow, section, values[:50])
    return sow


def parse_sow_with_agent(text: str, model: Any) -> Sow:
    """A :class:`Sow` from a model's structured output (a Strands ``Agent`` with ``model``)."""
    from strands import Agent

    agent = Agent(
        model=model,
        callback_handler=None,
        system_prompt=(
            "You extract Statements of Work into structured fields. Copy the customer's wording; one list item per "
            "objective, requirement, constraint, deliverable, acceptance criterion or timeline milestone. Leave a "
            "list empty when the SOW says nothing about it."
        ),
    )
    result = agent(f"Extract this Statement of Work:\n\n{text}", structured_output_model=Sow)
    found = result.structured_output
    if not isinstance(found, Sow):
        raise SowError("the model returned no structured SOW")
    return found
