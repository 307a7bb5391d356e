"""The plugin API module: its public names are pinned, and built-in plugins use nothing else of Crewbot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bot.api

REPO = Path(__file__).resolve().parents[2]

#: Changing this list changes the plugin API: do it deliberately, and document the change in docs/plugins.md.
PUBLIC = {
    "Action", "AgentAccessError", "AgentSource", "AgentSpec", "Attendee", "Backoff", "BlobStore", "BudgetState",
    "CALL_KEY", "CalendarEvent", "CalendarProvider", "CallContext", "CliContext", "ConflictError", "Connection",
    "ConnectionRepository", "ContextProvider", "ConversationRoute", "Crewbot", "CrewbotHooks", "Deployment",
    "Event", "EventHandler", "ExecutionAlreadyExists", "ExecutionNotFound", "HttpRequest", "HttpResponse",
    "HttpRoute", "IncomingMessage", "IndexSpec", "InvalidTaskToken", "Item", "Meeting", "Message",
    "NotFoundError", "OFFLINE_LABEL", "OfflineModel", "PROJECT_NAME", "ProviderError", "ProviderThrottled",
    "QueueConsumer", "QueueSpec", "RETRY_STATUSES", "ReauthorizationRequired", "Record", "Reply", "Repository",
    "RetryLater", "Schedule", "ScheduledCall", "SecretNotFound", "Shortcut", "SlackEvent", "SlackReply",
    "SlashCommand", "SortCondition", "Subcommand", "SyncResult", "Table", "TableSpec", "TaskContext",
    "TaskFailure", "TaskSpec", "TaskTokenAnswered", "TaskTokenError", "TaskTokenExpired", "Timestamp",
    "ToolCall", "ToolError", "ToolInvocation", "ToolRegistration", "User", "ViewSubmission", "WorkflowError",
    "WorkflowTask", "YamlContextProvider", "__version__", "big_rocks_status", "call_context", "cipher_for",
    "collect_registrations", "conversation_manager", "crewbot_tool", "data_dir", "default_end", "external_key",
    "fetch_all", "format_time", "hookimpl", "iana_zone_name", "message_events", "new_id", "parse_expression",
    "parse_time", "resolve_zone", "retry_after", "safe_session_id", "serve", "session_manager", "slack_client",
    "tell_user", "zone_info", "zone_of", "publish_human_waits", "estimate_cost", "priced_model_id",
}  # fmt: skip


def test_public_names_are_pinned() -> None:
    assert set(bot.api.__all__) == PUBLIC
    assert len(bot.api.__all__) == len(PUBLIC), "a name is listed twice in bot.api.__all__"


def test_every_public_name_resolves() -> None:
    missing = [name for name in bot.api.__all__ if getattr(bot.api, name, None) is None]
    assert missing == []


def test_importing_the_api_does_not_load_the_agent_sdk() -> None:
    # The Slack Lambda imports every plugin on a cold start; Strands must wait for the first agent turn.
    code = "import sys, bot.api; print('strands' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _crewbot_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def test_builtin_plugins_import_only_the_api() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(mods - {"bot.api"})
        for path in sorted((REPO / "plugins").rglob("*.py"))
        if (mods := _crewbot_imports(path)) - {"bot.api"}
    }
    assert offenders == {}
