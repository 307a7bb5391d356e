"""SOW files: text, Markdown, PDF and DOCX are read; empty, too large and not-text files get clear errors;
the heading/keyword parser sorts a SOW into its sections."""

from __future__ import annotations

import io
from typing import Any

import pytest

from plugins.projects.sow import SowError, parse_sow, read_sow_file
from tests.projects.conftest import SAMPLE_SOW


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` (written by hand: no PDF writer needed in the test environment)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Objectives", level=1)
    document.add_paragraph("Sell the catalogue online")
    document.add_heading("Acceptance criteria", level=1)
    document.add_paragraph("Checkout under 2 seconds")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_text_markdown_pdf_and_docx_are_read() -> None:
    assert "Acme Online Store" in read_sow_file("sow.md", SAMPLE_SOW.encode())
    assert read_sow_file("sow.txt", "Objectives: ship it".encode("utf-16")) == "Objectives: ship it"
    assert "Build the online store" in read_sow_file("sow.pdf", minimal_pdf("Build the online store"))
    text = read_sow_file("sow.docx", docx_bytes())
    assert "## Objectives" in text and "Checkout under 2 seconds" in text
    assert parse_sow(text).acceptance_criteria == ["Checkout under 2 seconds"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"   \n\n  ", "no readable text"),
        ("huge.txt", b"a" * (5 * 1024 * 1024 + 1), "the limit is 5 MB"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        ("latin1.txt", "Café objectives".encode("latin-1"), "not UTF-8"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "not a readable DOCX"),
    ],
)
def test_unusable_files_get_clear_errors(name: str, data: bytes, message: str) -> None:
    with pytest.raises(SowError, match=message) as caught:
        read_sow_file(name, data)
    assert name in str(caught.value) or "the file" in str(caught.value)


def test_the_parser_sorts_sections_by_heading_and_keyword() -> None:
    sow = parse_sow(SAMPLE_SOW)
    assert sow.title == "Acme Online Store"
    assert sow.objectives[0] == "Sell Acme's catalogue online to retail customers"
    assert len(sow.requirements) == 3 and "Checkout with card payments" in sow.requirements
    assert sow.constraints == ["AWS only, serverless where possible", "Customer data stays in the EU (GDPR)"]
    assert sow.acceptance_criteria[1].startswith("Checkout completes")
    assert sow.timeline == ["Go-live within 10 weeks of kickoff"]
    assert sow.missing() == []
    plain = parse_sow("STATEMENT OF WORK\nGoals:\n1. Faster orders\nTimeline: 6 weeks\nOUT OF SCOPE\n- Mobile apps")
    assert plain.objectives == ["Faster orders"] and plain.timeline == ["6 weeks"]
    assert plain.constraints == ["Mobile apps"] and "deliverables" in plain.missing()


def test_with_a_model_configured_the_sow_is_read_by_an_agent(crewbot_emulator_factory: Any) -> None:
    """A configured model extracts the SOW as structured output; if it fails, the parser still does."""
    from bot.agents.model_events import ToolCall
    from bot.agents.scripted import ScriptedModel
    from plugins.projects.service import project_service

    crewbot = crewbot_emulator_factory().crewbot
    script = ScriptedModel([ToolCall("Sow", {"title": "Shop", "objectives": ["Go online"], "timeline": ["8 weeks"]})])
    crewbot.agents.models.override("nova-lite", lambda: script)
    sow, how = project_service(crewbot).parse(SAMPLE_SOW)
    assert how == "agent" and sow.objectives == ["Go online"] and sow.timeline == ["8 weeks"]
    assert script.requests[0].tool_names == ["Sow"] and "Acme Online Store" in str(script.requests[0].messages)
    crewbot.agents.models.override("nova-lite", lambda: ScriptedModel([RuntimeError("model down")]))
    sow, how = project_service(crewbot).parse(SAMPLE_SOW)
    assert how == "parser" and sow.title == "Acme Online Store"
