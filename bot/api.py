"""The plugin API: everything a Crewbot plugin may import, in one module.

A plugin imports ``bot.api`` and its own package, nothing else of Crewbot (an import-linter contract
run by ``make test`` holds the built-in plugins to that)::

    from bot.api import SlashCommand, hookimpl

    @hookimpl
    def register_commands():
        return [SlashCommand("/hello", lambda respond: respond("Hello!"), description="Say hello")]

The names are grouped by what a plugin contributes; docs/plugins.md is the guide, and
:mod:`bot.hookspecs` lists every hook with its signature. ``__all__`` is pinned by a test: adding or
removing a name is a deliberate change of the API.

The few names that need the Strands SDK (:class:`CrewbotHooks`, :class:`OfflineModel`,
``OFFLINE_LABEL``) are imported on first use, so importing this module stays cheap on a cold start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot import PROJECT_NAME, __version__, hookimpl
from bot.agents.context import ContextProvider, YamlContextProvider, big_rocks_status
from bot.agents.model_events import ToolCall, message_events
from bot.agents.parallel import fetch_all
from bot.agents.service import AgentAccessError, conversation_manager
from bot.agents.sessions import safe_session_id, session_manager
from bot.agents.spec import AgentSpec
from bot.agents.tools import (
    CALL_KEY,
    CallContext,
    ToolError,
    ToolInvocation,
    ToolRegistration,
    call_context,
    crewbot_tool,
)
from bot.agents.usage import BudgetState
from bot.calendars.connections import Connection, ConnectionRepository
from bot.calendars.crypto import cipher_for
from bot.calendars.events import (
    CalendarEvent,
    CalendarProvider,
    ProviderError,
    ProviderThrottled,
    ReauthorizationRequired,
    SyncResult,
    default_end,
)
from bot.calendars.throttle import RETRY_STATUSES, Backoff, retry_after
from bot.calendars.zones import iana_zone_name, resolve_zone, zone_info, zone_of
from bot.cli.context import CliContext
from bot.config.secrets import SecretNotFound
from bot.deploy.catalog import Deployment, TaskSpec
from bot.events import Event, EventHandler, Schedule, ScheduledCall, parse_expression
from bot.events.queues import Message, QueueConsumer, QueueSpec, RetryLater
from bot.hookspecs import AgentSource, ConversationRoute
from bot.httproutes import HttpRequest, HttpResponse, HttpRoute, serve
from bot.metrics.human_waits import publish as publish_human_waits
from bot.metrics.pricing import estimate as estimate_cost
from bot.metrics.pricing import model_id as priced_model_id
from bot.resources import data_dir
from bot.runtime import Crewbot
from bot.slack.client import slack_client
from bot.slack.conversation import IncomingMessage, Reply
from bot.slack.errors import tell_user
from bot.slack.registry import (
    Action,
    Shortcut,
    SlackEvent,
    SlashCommand,
    Subcommand,
    ViewSubmission,
    collect_registrations,
)
from bot.slack.reply import SlackReply
from bot.storage.base import BlobStore, ConflictError, IndexSpec, Item, NotFoundError, SortCondition, Table, TableSpec
from bot.storage.records import (
    Attendee,
    Meeting,
    Record,
    Repository,
    Timestamp,
    User,
    external_key,
    format_time,
    new_id,
    parse_time,
)
from bot.workflows import (
    ExecutionAlreadyExists,
    ExecutionNotFound,
    InvalidTaskToken,
    TaskContext,
    TaskFailure,
    TaskTokenAnswered,
    TaskTokenError,
    TaskTokenExpired,
    WorkflowError,
    WorkflowTask,
)

if TYPE_CHECKING:
    from bot.agents.hooks import CrewbotHooks
    from bot.agents.offline import OFFLINE_LABEL, OfflineModel

#: Names imported on first use (they pull in the Strands SDK), by name → module.
_LAZY: dict[str, str] = {
    "CrewbotHooks": "bot.agents.hooks",
    "OfflineModel": "bot.agents.offline",
    "OFFLINE_LABEL": "bot.agents.offline",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CALL_KEY",
    "OFFLINE_LABEL",
    "PROJECT_NAME",
    "RETRY_STATUSES",
    "Action",
    "AgentAccessError",
    "AgentSource",
    "AgentSpec",
    "Attendee",
    "Backoff",
    "BlobStore",
    "BudgetState",
    "CalendarEvent",
    "CalendarProvider",
    "CallContext",
    "CliContext",
    "ConflictError",
    "Connection",
    "ConnectionRepository",
    "ContextProvider",
    "ConversationRoute",
    "Crewbot",
    "CrewbotHooks",
    "Deployment",
    "Event",
    "EventHandler",
    "ExecutionAlreadyExists",
    "ExecutionNotFound",
    "HttpRequest",
    "HttpResponse",
    "HttpRoute",
    "IncomingMessage",
    "IndexSpec",
    "InvalidTaskToken",
    "Item",
    "Meeting",
    "Message",
    "NotFoundError",
    "OfflineModel",
    "ProviderError",
    "ProviderThrottled",
    "QueueConsumer",
    "QueueSpec",
    "ReauthorizationRequired",
    "Record",
    "Reply",
    "Repository",
    "RetryLater",
    "Schedule",
    "ScheduledCall",
    "SecretNotFound",
    "Shortcut",
    "SlackEvent",
    "SlackReply",
    "SlashCommand",
    "SortCondition",
    "Subcommand",
    "SyncResult",
    "Table",
    "TableSpec",
    "TaskContext",
    "TaskFailure",
    "TaskSpec",
    "TaskTokenAnswered",
    "TaskTokenError",
    "TaskTokenExpired",
    "Timestamp",
    "ToolCall",
    "ToolError",
    "ToolInvocation",
    "ToolRegistration",
    "User",
    "ViewSubmission",
    "WorkflowError",
    "WorkflowTask",
    "YamlContextProvider",
    "__version__",
    "big_rocks_status",
    "call_context",
    "cipher_for",
    "collect_registrations",
    "conversation_manager",
    "crewbot_tool",
    "data_dir",
    "default_end",
    "estimate_cost",
    "external_key",
    "fetch_all",
    "format_time",
    "hookimpl",
    "iana_zone_name",
    "message_events",
    "new_id",
    "parse_expression",
    "parse_time",
    "priced_model_id",
    "publish_human_waits",
    "resolve_zone",
    "retry_after",
    "safe_session_id",
    "serve",
    "session_manager",
    "slack_client",
    "tell_user",
    "zone_info",
    "zone_of",
]
