"""SOW intake through Slack (a shared file, with clear errors in the form), and the visibility commands:
/project list, status (phase, pending approvals, blockers, cost per phase and agent), deliverables, and the
PM answering in the project channel while mentions elsewhere still reach the user's own agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plugins.projects.records import project_records
from plugins.projects.sow import SowError
from tests.projects.conftest import SAMPLE_SOW, new_project, project_named
from tests.projects.test_sow import docx_bytes, minimal_pdf


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("empty.md", b"", "is empty"),
        ("huge.txt", b"x" * (5 * 1024 * 1024 + 10), "the limit is 5 MB"),
        ("photo.txt", b"\x00\x01\x02\x03binary", "not a text file"),
    ],
)
def test_bad_sow_files_are_refused_in_the_form(emu: Any, tmp_path: Path, name: str, content: bytes, error: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    emu.command("/project new")
    turn = emu.submit({"name": "Bad", "sow_file": str(path)})
    # The file is read after the acknowledgement: the modal then says what was wrong.
    assert "*Bad* was not started" in turn.text and name in turn.text and error in turn.text
    assert emu.fake.open_modal(emu.user("dev")) is not None
    assert project_records(emu.crewbot).projects.by_name("Bad") == []


def test_a_form_without_any_sow_or_with_a_taken_name_is_refused(emu: Any) -> None:
    emu.command("/project new")
    assert "sow_text: Paste the Statement of Work" in emu.submit({"name": "Nothing"}).text
    new_project(emu)
    emu.command("/project new")
    assert (
        "there is already a project called 'acme STORE'"
        in emu.submit({"name": "acme STORE", "sow_text": SAMPLE_SOW}).text
    )


@pytest.mark.parametrize(("name", "content"), [("sow.pdf", "pdf"), ("sow.docx", "docx")])
def test_pdf_and_docx_files_start_a_project(emu: Any, tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_bytes(minimal_pdf("Objectives: Sell Acme products online") if content == "pdf" else docx_bytes())
    emu.command("/project new")
    turn = emu.submit({"name": f"From {content}", "sow_file": str(path), "channel": "C0GENERAL"})
    # These SOWs give no timeline, so the PM asks first.
    assert f"(file {name};" in turn.text and "pm asks" in turn.text.lower()
    project = project_named(emu, f"From {content}")
    assert project.sow["objectives"] and project.sow["source"] == f"file {name}"
    assert [c.method for c in emu.fake.calls if c.method == "files.download"] == ["files.download"]


def test_status_list_deliverables_and_the_pm_in_the_channel(emu: Any) -> None:
    assert "No projects yet" in emu.command("/project list").text
    new_project(emu)
    status = emu.command("/project status Acme store").text
    assert "phase *Discovery* (1 of 6) · awaiting approval" in status
    assert "Pending approvals: Discovery (attempt 1)" in status and "Blockers: none" in status
    assert "Cost so far:" in status and "Discovery (1 run): pm " in status and " · sa " in status
    assert "*Acme store* — Discovery · awaiting approval" in emu.command("/project list").text
    files = emu.command("/project deliverables Acme store").text
    assert "docs/project-plan/project-plan.md" in files and "file://" in files
    assert "which project?" in emu.command("/project status").text  # in a DM, no project is implied
    assert "no project called 'Nope'" in emu.command("/project status Nope").text
    assert "I don't know `/project frobnicate`" in emu.command("/project frobnicate").text
    # In the project's channel the PM answers from the ledger ...
    answer = emu.mention("which decisions and blockers are in the ledger?").text
    assert "read_task_ledger" in answer and "Acme store" in answer
    # ... elsewhere mentions still go to the user's own agent.
    other = emu.mention("what can you do?", channel="C0OTHER").text
    assert "get_upcoming_meetings" in other and "read_task_ledger" not in other


def test_the_bot_token_is_only_sent_to_slack(emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file object pointing elsewhere is refused before any request carries the token."""
    from plugins.projects.slack import _download

    opened: list[Any] = []
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: opened.append(a))
    foreign = {"name": "sow.md", "size": 10, "url_private_download": "https://attacker.example/steal"}
    with pytest.raises(SowError, match="not a Slack file"):
        _download(emu.client, foreign)
    assert opened == []
