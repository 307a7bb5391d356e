"""The Fabricator: drafted specs validated like YAML specs, approved by admins only, usable at once,
surviving a restart, disabled on request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.supervisor.conftest import service

REQUEST = "Create an agent called release notes writer that writes release notes from the alpha figures"


def _fabricator(emu: Any) -> Any:
    from plugins.supervisor.fabricator import fabricator

    return fabricator(emu.crewbot)


def _draft(emu: Any) -> Any:
    emu.act_as("admin")
    emu.command("/crewbot agents use fabricator")
    return emu.dm(REQUEST)


def test_an_admin_drafts_an_agent_and_its_approval_card_goes_to_the_admins(emu: Any) -> None:
    turn = _draft(emu)
    assert "release_notes_writer" in turn.text and "waiting for an admin's approval" in turn.text, turn.text
    item = _fabricator(emu).latest("release_notes_writer")
    assert item["status"] == "pending" and item["revision"] == "v0001"
    assert item["spec"]["tools"] == ["alpha_report"] and item["spec"]["delegable"] is True
    card = "\n".join(emu.render(emu.new_outputs())) + turn.text
    assert "New agent for approval" in card and "`alpha_report` — read" in card
    assert "release_notes_writer" not in emu.crewbot.agents.registry.agents  # not before approval


def test_only_an_admin_may_approve_and_the_agent_is_usable_at_once(emu: Any) -> None:
    _draft(emu)
    emu.act_as("bob")
    refused = emu.click("Approve")
    assert "only admins may approve" in refused.text, refused.text
    assert _fabricator(emu).latest("release_notes_writer")["status"] == "pending"
    emu.act_as("admin")
    approved = emu.click("Approve")
    assert "Approved" in approved.text, approved.text
    assert _fabricator(emu).latest("release_notes_writer")["status"] == "approved"
    audit = [e.action for e in emu.crewbot.records.audit.for_scope("agent#release_notes_writer")]
    assert {"agent_proposed", "agent_approved_refused", "agent_approved"} <= set(audit)
    listing = emu.command("/crewbot agents")
    assert "release_notes_writer" in listing.text
    # The Supervisor delegates to it (and to alpha) without a restart.
    emu.command("/crewbot agents use supervisor")
    answer = emu.dm("Write the release notes with the alpha figures").text
    assert "release_notes_writer ✓" in answer, answer
    assert not emu.take_errors()


def test_a_fabricated_agent_survives_a_restart_and_can_be_disabled(start: Any) -> None:
    first = start()
    _draft(first)
    first.click("Approve")
    first.close()
    second = start()
    second.act_as("admin")
    assert "release_notes_writer" in second.command("/crewbot agents").text  # a new process lists it
    assert any(s.name == "release_notes_writer" for s in service(second).delegates_for(second.admin_id))
    second.command("/crewbot agents use fabricator")
    turn = second.dm("Disable release_notes_writer")
    assert "is now disabled" in turn.text, turn.text
    assert "release_notes_writer" not in second.crewbot.agents.registry.agents
    assert all(s.name != "release_notes_writer" for s in service(second).delegates_for(second.admin_id))
    assert not second.take_errors()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tools": ["no_such_tool"]}, "unknown tool 'no_such_tool'"),
        ({"tools": ["payroll_report"]}, "requires the role 'finance', which you do not have"),
        ({"name": "Release Notes!"}, "the name 'Release Notes!' is not valid"),
        ({"name": "meeting_coordinator"}, "belongs to an agent that is not fabricated"),
        ({"model": "gpt-17"}, "unknown model profile 'gpt-17'"),
    ],
)
def test_a_bad_spec_is_refused_with_a_clear_message(emu: Any, change: dict[str, Any], message: str) -> None:
    from plugins.supervisor.fabricator import FabricationError

    draft = {"name": "notes", "description": "Writes notes.", "system_prompt": "Write notes.", "tools": []}
    with pytest.raises(FabricationError, match=message.replace("(", r"\(")):
        _fabricator(emu).propose({**draft, **change}, emu.admin_id)
    assert _fabricator(emu).latest("notes") is None


def test_an_edit_is_a_new_version_that_needs_approval(emu: Any) -> None:
    fab = _fabricator(emu)
    draft = {"name": "notes", "description": "Writes notes.", "system_prompt": "Write notes.", "tools": []}
    first = fab.propose(draft, emu.admin_id)
    fab.decide("notes", first["revision"], emu.admin_id, approve=True)
    second = fab.propose({**draft, "tools": ["alpha_report"]}, emu.admin_id)
    assert second["revision"] == "v0002" and second["status"] == "pending"
    assert emu.crewbot.agents.registry.agents["notes"].tools == []  # v1 still in force
    fab.decide("notes", "v0002", emu.admin_id, approve=True)
    assert emu.crewbot.agents.registry.agents["notes"].tools == ["alpha_report"]
    assert [v["status"] for v in fab.versions("notes")] == ["superseded", "approved"]


def test_a_non_admin_cannot_create_agents(emu: Any) -> None:
    from plugins.supervisor.fabricator import FabricationError

    bob = emu.user("bob")
    with pytest.raises(FabricationError, match="only admins"):
        _fabricator(emu).propose({"name": "x", "description": "x", "system_prompt": "x"}, bob)
    emu.act_as("bob")
    assert "may not use the agent 'fabricator'" in emu.command("/crewbot agents use fabricator").text


def test_seeding_is_idempotent(emu: Any) -> None:
    fab = _fabricator(emu)
    fab.seed()
    assert fab.seed() == []
    assert [
        (v["name"], v["revision"], v["origin"]) for v in fab.versions("supervisor") + fab.versions("fabricator")
    ] == [
        ("supervisor", "v0001", "built-in"),
        ("fabricator", "v0001", "built-in"),
    ]


def test_the_new_agent_modal_drafts_through_the_fabricator(emu: Any) -> None:
    emu.act_as("admin")
    opened = emu.command("/crewbot agents new")
    assert "New agent" in opened.text, opened.text
    turn = emu.submit({"purpose": REQUEST, "audience": ""})
    shown = turn.text + "\n".join(emu.render(emu.new_outputs()))
    assert "waiting for an admin's approval" in shown, shown
    assert _fabricator(emu).latest("release_notes_writer")["status"] == "pending"
    emu.act_as("bob")
    assert "only admins may create agents" in emu.command("/crewbot agents new").text


@pytest.mark.parametrize("value", ["notes", "notes:", ":v0001", ""])
def test_a_decision_button_that_names_no_version_is_refused_with_a_sentence(emu: Any, value: str) -> None:
    from plugins.supervisor.fabricator import APPROVE
    from plugins.supervisor.slack_ui import decide_button

    draft = {"name": "notes", "description": "Writes notes.", "system_prompt": "Write notes.", "tools": []}
    _fabricator(emu).propose(draft, emu.admin_id)
    said: list[dict[str, Any]] = []
    body = {"actions": [{"action_id": APPROVE, "value": value}], "user": {"id": emu.admin_id}}
    decide_button(lambda *a, **k: None, body, lambda **kwargs: said.append(kwargs), emu.crewbot)
    assert said and said[0]["text"].startswith("Not approved: ") and "does not name an agent version" in said[0]["text"]
    assert _fabricator(emu).latest("notes")["status"] == "pending"
