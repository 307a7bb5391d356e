"""The tables of one Crewbot installation: the platform's own and those its enabled plugins register.

The platform's tables are listed here explicitly (never collected from whatever happens to be imported),
so the list is the same in every process; plugins add theirs through the ``register_tables`` hook. The
deploy catalog and Terraform create exactly :func:`registered_tables` of the installed plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.base import TableSpec

if TYPE_CHECKING:
    from bot.pluginhost import PluginHost


class TableConflict(ValueError):
    """Two declarations of one table name with different keys."""


def platform_tables() -> dict[str, TableSpec]:
    """The tables the platform itself stores records in, by logical name."""
    # Imported here: each concern declares its tables beside the code that uses them.
    from bot.agents.usage import USAGE, USAGE_TOTALS
    from bot.calendars.connections import CALENDAR_CONNECTIONS
    from bot.events.queues import QUEUE_MESSAGES
    from bot.events.scheduler import SCHEDULES
    from bot.metrics.human_waits import HUMAN_WAITS
    from bot.storage.tables import (
        ACTION_ITEMS,
        AUDIT_LOG,
        CHAT_SESSIONS,
        IDEMPOTENCY,
        MEETINGS,
        USERS,
    )
    from bot.workflows.records import DATA, DEFINITIONS, EXECUTIONS, HISTORY, TIMERS, TOKENS

    specs = (
        USERS,
        CHAT_SESSIONS,
        MEETINGS,
        ACTION_ITEMS,
        IDEMPOTENCY,
        AUDIT_LOG,
        USAGE,
        USAGE_TOTALS,
        CALENDAR_CONNECTIONS,
        QUEUE_MESSAGES,
        SCHEDULES,
        EXECUTIONS,
        HISTORY,
        TOKENS,
        TIMERS,
        DEFINITIONS,
        DATA,
        HUMAN_WAITS,
    )
    return {spec.name: spec for spec in specs}


def registered_tables(plugins: PluginHost) -> dict[str, TableSpec]:
    """The platform's tables and every table the enabled plugins of ``plugins`` register, by logical name.

    A plugin that declares a table already declared with other keys raises :class:`TableConflict`
    naming it; declaring the very same spec twice is harmless.
    """
    found = platform_tables()
    owner = dict.fromkeys(found, "the platform")
    for contribution in plugins.contributions("register_tables"):
        spec = contribution.item
        known = found.get(spec.name)
        if known is not None and known != spec:
            raise TableConflict(
                f"plugin {contribution.plugin}: table {spec.name!r} is already declared by {owner[spec.name]} "
                "with other keys"
            )
        found[spec.name] = spec
        owner.setdefault(spec.name, f"plugin {contribution.plugin}")
    return found
