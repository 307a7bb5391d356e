"""The repositories (bot/storage/records), on both adapters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot.storage.base import ConflictError
from bot.storage.records import NO_DUE, ActionItem, Attendee, ChatSession, Meeting, Repositories, User
from plugins.projects.records import PROJECTS, TASK_LEDGER, LedgerRepository, Project, ProjectRepository

from .conftest import Harness

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def records(harness: Harness) -> Repositories:
    return Repositories(harness.store, lambda: datetime.fromtimestamp(harness.now(), UTC))


def meeting(n: int, user: str = "U1", **fields: object) -> Meeting:
    start = T0 + timedelta(days=n)
    return Meeting(
        meeting_id=f"m{n}",
        user_id=user,
        provider="google",
        external_id=f"ev{n}",
        title=f"Meeting {n}",
        start=start,
        end=start + timedelta(minutes=30),
        **fields,
    )


def test_users_get_or_create_save_and_active(records: Repositories) -> None:
    users = records.users
    alice, created = users.get_or_create("U1", name="Alice", email="alice@example.com")
    assert created and alice.version == 1 and alice.created_at is not None and alice.updated_at == alice.created_at
    again, created = users.get_or_create("U1", name="Someone else")
    assert not created and again.name == "Alice"
    users.save(User(user_id="U2", name="Bob", status="inactive"))
    users.save(User(user_id="U0", name="Carol", roles=["approver"], settings={"digest": {"hour": 8}}))
    assert [u.user_id for u in users.active()] == ["U0", "U1"]
    carol = users.get("U0")
    assert carol is not None and carol.settings == {"digest": {"hour": 8}} and carol.roles == ["approver"]
    updated = users.update("U1", default_agent="meeting_coordinator", is_admin=True)
    assert updated.version == 2 and updated.default_agent == "meeting_coordinator" and updated.is_admin
    with pytest.raises(ConflictError):  # a stale copy cannot overwrite the newer one
        users.save(alice.with_changes(name="Stale"))
    with pytest.raises(ValidationError, match="status"):
        users.update("U1", status="on holiday")
    with pytest.raises(ConflictError):  # a second create of the same id
        users.save(User(user_id="U2"))


def test_get_or_create_races_create_one_user(records: Repositories) -> None:
    results: list[bool] = []

    def contact() -> None:
        results.append(records.users.get_or_create("U9", name="Dana")[1])

    threads = [threading.Thread(target=contact) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_unknown_stored_attributes_survive_a_round_trip(harness: Harness, records: Repositories) -> None:
    harness.store.table("users").put({"user_id": "U1", "name": "Alice", "added_by_newer_code": {"x": 1}})
    user = records.users.get("U1")
    assert user is not None
    records.users.save(user.with_changes(name="Alice A."))
    assert harness.store.table("users").get({"user_id": "U1"})["added_by_newer_code"] == {"x": 1}


def test_a_stored_item_that_is_not_a_valid_record_is_named(harness: Harness, records: Repositories) -> None:
    harness.store.table("users").put({"user_id": "U7", "status": "archived"})
    with pytest.raises(ValueError, match=r"users \{'user_id': 'U7'\}: the stored item is not a valid User"):
        records.users.get("U7")


def test_chat_sessions_newest_first_and_expiry(harness: Harness, records: Repositories) -> None:
    sessions = records.chat_sessions
    sid = ChatSession.id_for_thread("D123", "1741000000.000100")
    assert sid == "D123-1741000000.000100"
    for n, session_id in enumerate([sid, "s2", "s3"]):
        sessions.save(
            ChatSession(
                session_id=session_id,
                user_id="U1",
                agent="meeting_coordinator",
                expires_at=sessions.expiry(timedelta(hours=1 + n)),
            )
        )
        harness.now.advance(60)
    sessions.save(ChatSession(session_id="other", user_id="U2", expires_at=sessions.expiry()))
    assert [s.session_id for s in sessions.for_user("U1")] == ["s3", "s2", sid]
    touched = sessions.record_message(sid, "Help me prepare for my leadership meeting")
    assert touched.message_count == 1 and touched.last_message.startswith("Help me")
    assert [s.session_id for s in sessions.for_user("U1", limit=2)] == [sid, "s3"]
    harness.now.advance(3 * 3600)  # s2 (2 h) and s3 (3 h) expire; the touched one now lives 30 days
    assert [s.session_id for s in sessions.for_user("U1", limit=None)] == [sid]
    assert sessions.get("s2") is None
    assert sessions.update(sid, state="completed").state == "completed"


def test_meetings_by_time_range_and_by_external_key(records: Repositories) -> None:
    meetings = records.meetings
    for n in range(5):
        meetings.save(meeting(n, attendees=[Attendee(email="a@example.com", response="accepted")]))
    meetings.save(meeting(2, user="U2").with_changes(meeting_id="u2-m2"))
    in_range = meetings.for_user("U1", start=T0 + timedelta(days=1), end=T0 + timedelta(days=3))
    assert [m.meeting_id for m in in_range] == ["m1", "m2", "m3"]
    assert [m.meeting_id for m in meetings.for_user("U1", start=T0 + timedelta(days=3))] == ["m3", "m4"]
    assert [m.meeting_id for m in meetings.for_user("U1", end=T0)] == ["m0"]
    assert [m.meeting_id for m in meetings.for_user("U1", limit=2)] == ["m0", "m1"]
    found = meetings.by_external("U1", "google", "ev3")
    assert found is not None and found.meeting_id == "m3" and found.external_key == "U1#google#ev3"
    assert found.attendees[0].response == "accepted" and found.start == T0 + timedelta(days=3)
    assert meetings.by_external("U1", "microsoft", "ev3") is None
    provider_spellings = ("needsAction", "tentativelyAccepted", "ACCEPTED", "NEEDS-ACTION")
    spelled = [Attendee(response=r).response for r in provider_spellings]
    assert spelled == ["needs_action", "tentative", "accepted", "needs_action"]
    with pytest.raises(ValidationError, match="response"):
        Attendee(response="maybe later")


def test_meeting_change_detection_and_sync(records: Repositories) -> None:
    meetings = records.meetings
    stored = meetings.save(meeting(1))
    digest = stored.calendar_hash()
    assert meetings.get("m1").calendar_hash() == digest  # type: ignore[union-attr]
    assert stored.with_changes(prep_status="ready").calendar_hash() == digest  # our own fields do not count
    moved = stored.with_changes(start=stored.start + timedelta(hours=1), end=stored.end + timedelta(hours=1))
    assert moved.calendar_hash() != digest
    meetings.save_many([moved, meeting(7)])
    assert meetings.get("m1").start == T0 + timedelta(days=1, hours=1)  # type: ignore[union-attr]
    assert meetings.get("m7").created_at is not None  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="before start"):
        meeting(1).with_changes(end=T0 - timedelta(days=1))
    with pytest.raises(ValidationError, match="time zone"):
        Meeting(
            meeting_id="m",
            user_id="U1",
            provider="ics",
            external_id="x",
            start="2026-03-01T09:00:00",
            end="2026-03-01T10:00:00Z",
        )


def test_two_prep_answers_are_not_lost(records: Repositories) -> None:
    meetings = records.meetings
    meetings.save(meeting(1))

    def answer(question: str) -> None:
        meetings.record_prep_response("m1", question, f"answer to {question}")

    threads = [threading.Thread(target=answer, args=(f"q{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(meetings.get("m1").prep_responses) == ["q0", "q1", "q2", "q3"]  # type: ignore[union-attr]


def test_action_items_by_meeting_and_owner(harness: Harness, records: Repositories) -> None:
    items = records.action_items
    items.save(ActionItem(item_id="a1", meeting_id="m1", owner_id="U1", text="Send deck", due=T0 + timedelta(days=2)))
    harness.now.advance(1)
    items.save(ActionItem(item_id="a2", meeting_id="m1", owner_id="U2", text="Book room"))
    harness.now.advance(1)
    items.save(ActionItem(item_id="a3", meeting_id="m2", owner_id="U1", text="Follow up", due=T0))
    items.save(ActionItem(item_id="a4", owner_id="U1", text="Undated"))
    assert [i.item_id for i in items.for_meeting("m1")] == ["a1", "a2"]
    assert [i.item_id for i in items.for_owner("U1")] == ["a3", "a1", "a4"]  # undated last
    assert [i.item_id for i in items.for_owner("U1", due_by=T0 + timedelta(days=1))] == ["a3"]
    assert items.get("a4").due is None  # type: ignore[union-attr]
    assert harness.store.table("action_items").get({"item_id": "a4"})["due"] == NO_DUE
    items.update("a3", status="done")
    assert [i.item_id for i in items.for_owner("U1", open_only=True)] == ["a1", "a4"]


def test_projects_and_ledger(harness: Harness) -> None:
    # The project plugin's records run on both adapters like the platform's.
    now = lambda: datetime.fromtimestamp(harness.now(), UTC)  # noqa: E731
    projects = ProjectRepository(harness.store.table(PROJECTS), now)
    project = projects.save(
        Project(
            project_id="p1",
            name="Data platform",
            channel_id="C1",
            approvers=["U1"],
            sow={"objectives": ["migrate"], "budget": 12000.5},
        )
    )
    assert [p.project_id for p in projects.by_name("Data platform")] == ["p1"]
    assert [p.project_id for p in projects.by_channel("C1")] == ["p1"]
    assert projects.by_channel("C2") == []
    assert project.sow["budget"] == 12000.5
    assert projects.update("p1", phase="architecture").phase == "architecture"

    ledger = LedgerRepository(harness.store.table(TASK_LEDGER), now)
    ledger.add("p1", "fact", "Customer runs on AWS", author="pm")
    harness.now.advance(5)
    blocker = ledger.add("p1", "blocker", "No VPN access", author="infra", status="open")
    harness.now.advance(5)
    ledger.add("p1", "fact", "Data is 2 TB", author="data")
    ledger.add("p2", "fact", "Other project", author="pm")
    assert [e.text for e in ledger.for_project("p1", "fact")] == ["Customer runs on AWS", "Data is 2 TB"]
    assert len(ledger.for_project("p1")) == 3
    resolved = ledger.update("p1", blocker.entry_id, status="resolved")
    assert resolved.status == "resolved" and resolved.version == 2
    with pytest.raises(ValueError, match="kind"):
        ledger.for_project("p1", "rumour")  # type: ignore[arg-type]


def test_audit_by_scope_and_by_actor(harness: Harness, records: Repositories) -> None:
    audit = records.audit
    start = datetime.fromtimestamp(int(harness.now()), UTC)
    audit.record("project#p1", "U1", "approve", target="phase:discovery", comment="looks good")
    harness.now.advance(60)
    audit.record("project#p1", "U2", "revise", target="phase:architecture")
    harness.now.advance(60)
    audit.record("admin", "U1", "grant_role", target="U3", role="approver")
    assert [e.action for e in audit.for_scope("project#p1")] == ["revise", "approve"]
    assert [e.action for e in audit.for_scope("project#p1", newest_first=False, limit=1)] == ["approve"]
    assert [e.action for e in audit.by_actor("U1")] == ["grant_role", "approve"]
    first = audit.page("project#p1", limit=1, descending=True)
    rest = audit.page("project#p1", limit=1, descending=True, cursor=first.cursor)
    assert [e.action for e in first.items + rest.items] == ["revise", "approve"]
    first_minute = audit.for_scope("project#p1", since=start, until=start)
    assert [e.action for e in first_minute] == ["approve"]
    assert first_minute[0].detail == {"comment": "looks good"}
    assert [e.action for e in audit.by_actor("U1", since=start + timedelta(seconds=30))] == ["grant_role"]
