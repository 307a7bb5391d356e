"""The tables Crewbot stores its records in, and the access patterns each serves.

Terraform creates exactly these (``infra/terraform``), with the same keys and indexes; tests check
that the two agree. Each concern may add its own :class:`TableSpec` with :func:`register_table`.
"""

from __future__ import annotations

from bot.storage.base import IndexSpec, TableSpec

USERS = TableSpec(
    "users",
    pk="user_id",
    indexes=(IndexSpec("by_status", pk="status", sk="user_id"),),  # active users for the calendar monitor
    description="People who have talked to Crewbot: Slack id, name, roles, default agent, settings.",
)
CHAT_SESSIONS = TableSpec(
    "chat_sessions",
    pk="session_id",
    indexes=(IndexSpec("by_user", pk="user_id", sk="updated_at"),),  # a user's sessions, newest first
    ttl="expires_at",
    description="Metadata of agent conversations (one per Slack thread); the history is in the sessions blobs.",
)
MEETINGS = TableSpec(
    "meetings",
    pk="meeting_id",
    indexes=(
        IndexSpec("by_user_start", pk="user_id", sk="start"),  # a user's meetings in a time range
        IndexSpec("by_external", pk="external_key"),  # "<user>#<provider>#<external id>" for calendar diffs
    ),
    description="Meetings synced from calendars, with classification, prep status and answers.",
)
ACTION_ITEMS = TableSpec(
    "action_items",
    pk="item_id",
    indexes=(
        IndexSpec("by_meeting", pk="meeting_id", sk="created_at"),
        IndexSpec("by_owner", pk="owner_id", sk="due"),
    ),
    description="Follow-ups from meetings.",
)
IDEMPOTENCY = TableSpec(
    "idempotency",
    pk="key",
    ttl="expires_at",
    description="Records of handled Slack deliveries and button presses, so each is handled once.",
)
AUDIT_LOG = TableSpec(
    "audit_log",
    pk="scope",
    sk="entry_id",  # scope = "project#<id>" / "user#<id>"; entry_id = "<ts>#<id>"
    indexes=(IndexSpec("by_actor", pk="actor", sk="at"),),
    description="Who did what and when: approvals, admin actions, access decisions.",
)

_TABLES: dict[str, TableSpec] = {}


def register_table(spec: TableSpec) -> TableSpec:
    """Declare a table; a second, different declaration of the same name is an error."""
    known = _TABLES.get(spec.name)
    if known is not None and known != spec:
        raise ValueError(f"table {spec.name!r} is declared twice with different keys")
    _TABLES[spec.name] = spec
    return spec


def all_tables() -> dict[str, TableSpec]:
    """Every declared table by logical name."""
    return dict(_TABLES)


for _spec in (USERS, CHAT_SESSIONS, MEETINGS, ACTION_ITEMS, IDEMPOTENCY, AUDIT_LOG):
    register_table(_spec)

#: Logical blob buckets: agent session histories, meeting materials, project artifacts.
BUCKETS: tuple[str, ...] = ("sessions", "materials", "artifacts")
