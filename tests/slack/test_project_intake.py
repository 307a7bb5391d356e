"""The new-project form through the real handler: acknowledged before any I/O (a slow SOW download does
not hold the ack), channels checked, joined or explained, every failure shown to the person who asked."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import Emulator
from bot.emulator.workspace import GENERAL_CHANNEL, PRIVATE_CHANNEL, RANDOM_CHANNEL

REPO = Path(__file__).resolve().parents[2]
SOW = REPO / "docs" / "projects-sample-sow.md"


@pytest.fixture
def emu(crewbot_emulator_factory: Any) -> Emulator:
    emulator: Emulator = crewbot_emulator_factory()
    return emulator


def _form(emu: Emulator, **fields: str) -> dict[str, Any]:
    from bot.emulator.workspace import _form_values

    emu.command("/project new")
    view = emu.fake.open_modal(emu.current_user)
    assert view is not None
    values = _form_values(view, fields, upload=lambda path: emu._share_file(path, emu.current_user))
    body, content_type = emu.payloads.view_submission(
        user_id=emu.current_user,
        user_name=emu.current_name,
        view=view,
        values=values,
        trigger_id=emu.fake.new_trigger(emu.current_user),
    )
    return {"body": body, "content_type": content_type}


def test_the_ack_does_not_wait_for_a_slow_sow_download(emu: Emulator) -> None:
    form = _form(emu, name="Slow files", sow_file=str(SOW), channel=GENERAL_CHANNEL)
    emu.fake.download_delay = 5.0
    started = time.monotonic()
    response = emu.deliver(form["body"], form["content_type"], wait=False)
    acked_in = time.monotonic() - started
    assert response["statusCode"] == 200 and "Reading your SOW" in response["body"]
    assert acked_in < 3.0, f"Slack's deadline is 3 s; the ack took {acked_in:.1f} s"
    emu.wait()
    assert [c.method for c in emu.fake.calls if c.method == "files.download"] == ["files.download"]
    assert any("started *Slow files*" in m.text for m in emu.fake.messages if m.channel == GENERAL_CHANNEL)


def test_a_public_channel_is_joined_first(emu: Emulator) -> None:
    assert emu.fake.bot_user_id not in emu.fake.channels[RANDOM_CHANNEL].members
    assert _open(emu)
    turn = emu.submit({"name": "In random", "sow_file": str(SOW), "channel": RANDOM_CHANNEL})
    assert emu.fake.bot_user_id in emu.fake.channels[RANDOM_CHANNEL].members
    assert any("started *In random*" in m.text for m in emu.fake.messages if m.channel == RANDOM_CHANNEL)
    assert "follow it in" in turn.text


def test_a_private_channel_the_bot_is_not_in_is_explained_in_the_modal(emu: Emulator) -> None:
    _open(emu)
    turn = emu.submit({"name": "Secret plan", "sow_file": str(SOW), "channel": PRIVATE_CHANNEL})
    modal = emu.fake.open_modal(emu.current_user)
    assert modal is not None and "/invite @" in str(modal["blocks"]) and "was not started" in turn.text
    from plugins.projects.service import project_service

    assert project_service(emu.crewbot).all() == []
    emu.fake.close_modals(emu.current_user)  # closed before the outcome arrives: the DM still says it
    _open(emu)
    form_view = emu.fake.open_modal(emu.current_user)
    emu.fake.refuse["views.update"] = "not_found"
    emu.submit({"name": "Secret plan", "sow_file": str(SOW), "channel": PRIVATE_CHANNEL})
    assert form_view is not None
    dm = emu.fake.dm_channel(emu.current_user)
    assert any("/invite @" in m.text for m in emu.fake.messages if m.channel == dm)


def _open(emu: Emulator) -> bool:
    emu.command("/project new")
    return emu.fake.open_modal(emu.current_user) is not None
