"""The hooks a Crewbot plugin can implement.

Every hook but :func:`register_settings` and :func:`register_cli_commands` is a *registration* hook: it is
called once at start-up and returns the things the plugin contributes (an iterable, or ``None`` for
nothing). Behaviour lives in the returned objects, not in the hooks, so the host can list, validate and
route them. :func:`accepted_types` is the one table of what each hook may return; the host checks every
returned item against it, and a wrong one is that plugin's load error (shown by ``crewbot plugins``): the
plugin is switched off whole, the others load. Every type named here is importable from :mod:`bot.api`.

Hook arguments are optional: an implementation may accept any subset of the names in the spec
(pluggy passes only those it asks for). ``config`` is the validated :class:`bot.config.CrewbotConfig`;
``settings`` is this plugin's own validated settings (see :func:`register_settings`), or ``None``;
``crewbot`` is the :class:`bot.runtime.Crewbot` runtime the plugin is loaded into. Its services start
lazily: use them when a handler runs, not while registering.

Handlers reach the runtime through what they are called with, never through a closure over the hook's
``crewbot``: Slack handlers declare a ``crewbot`` parameter; workflow tasks read ``context.crewbot``
(:class:`~bot.workflows.tasks.TaskContext`), schedules ``call.crewbot``
(:class:`~bot.events.schedules.ScheduledCall`), event handlers ``event.crewbot``
(:class:`~bot.events.bus.Event`), queue consumers ``message.crewbot`` (:class:`~bot.events.queues.Message`),
locally and in the Lambda entry points alike; tools call ``runtime()`` on their ``CallContext``. Every
kind reads its plugin's settings as ``crewbot.settings_for(Model)``.

A plugin module may also set ``REQUIRES = ("other_plugin", ...)``: when one of those is off (switched off,
failed or not installed) this plugin is off too, and ``crewbot plugins`` says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from bot import hookspec

if TYPE_CHECKING:
    from bot.agents.context import ContextProvider
    from bot.agents.spec import AgentSpec
    from bot.agents.tools import ToolRegistration
    from bot.calendars.events import CalendarProvider
    from bot.config import CrewbotConfig
    from bot.deploy.catalog import Deployment, TaskSpec
    from bot.events import EventHandler, Schedule
    from bot.events.queues import QueueConsumer
    from bot.httproutes import HttpRoute
    from bot.runtime import Crewbot
    from bot.slack.conversation import IncomingMessage, Reply
    from bot.slack.registry import Action, Shortcut, SlackEvent, SlashCommand, Subcommand, ViewSubmission
    from bot.storage.base import TableSpec
    from bot.workflows.tasks import WorkflowTask


@runtime_checkable
class ConversationRoute(Protocol):
    """A route for direct messages (``register_conversation_routes``): a DM a route claims (e.g. a reply in
    a meeting-prep thread) goes to it instead of the user's default agent."""

    def claims(self, crewbot: Crewbot, message: IncomingMessage) -> bool:
        """Whether this route answers ``message`` (cheap: it is asked for every DM)."""
        ...

    def handle(self, crewbot: Crewbot, message: IncomingMessage, reply: Reply) -> None:
        """Answer ``message`` through ``reply``."""
        ...


@runtime_checkable
class AgentSource(Protocol):
    """A source of agents defined while Crewbot runs (``register_agents``), e.g. those an admin approved:
    ``refresh_registry(registry)`` adds its current specs to the agent registry before each lookup."""

    def refresh_registry(self, registry: Any) -> None: ...


@runtime_checkable
class _CalendarSource(Protocol):
    """What every calendar provider has; the OAuth methods of :class:`~bot.api.CalendarProvider` are needed
    only when ``uses_oauth`` is true."""

    name: str
    label: str
    uses_oauth: bool

    def sync(self, *args: Any, **kwargs: Any) -> Any: ...


@hookspec
def register_settings() -> type[BaseModel] | None:
    """Return the pydantic model of this plugin's settings.

    The values come from ``plugins.settings.<plugin name>`` in the configuration files and are
    validated at start; an error names the file and the key. The validated instance is passed to the
    other hooks as ``settings``, and handlers get it with ``crewbot.settings_for(Model)``.
    """


@hookspec
def register_commands(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[SlashCommand | Subcommand] | None:
    """Return Slack slash commands (:class:`~bot.api.SlashCommand`) and sub-commands of another plugin's
    command (:class:`~bot.api.Subcommand`, e.g. ``/crewbot ask``)."""


@hookspec
def register_actions(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[Action | ViewSubmission | Shortcut | SlackEvent] | None:
    """Return interactivity handlers and other Slack events: button presses (:class:`~bot.api.Action`),
    modal submissions (:class:`~bot.api.ViewSubmission`), shortcuts (:class:`~bot.api.Shortcut`) and
    Events API events (:class:`~bot.api.SlackEvent`)."""


@hookspec
def register_agents(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[str | PathLike[str] | AgentSpec | AgentSource] | None:
    """Return agent specs: paths to ``*.yaml`` spec files or :class:`~bot.api.AgentSpec` objects."""


@hookspec
def register_tools(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[ToolRegistration] | None:
    """Return tools for agents (:class:`~bot.api.ToolRegistration`, usually made with
    :func:`~bot.api.crewbot_tool`: a Strands tool function plus its side effects and required role)."""


@hookspec
def register_workflows(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[str | PathLike[str]] | None:
    """Return paths to Amazon States Language definitions (``*.asl.json``)."""


@hookspec
def register_workflow_tasks(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[WorkflowTask] | None:
    """Return workflow task handlers (:class:`~bot.api.WorkflowTask`) that the ``${...}`` resource
    placeholders of the definitions are bound to."""


@hookspec
def register_context_providers(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[ContextProvider] | None:
    """Return context providers (:class:`~bot.api.ContextProvider`: budget, big rocks, incidents ...)
    that agents' tools and meeting preparation read."""


@hookspec
def register_calendar_providers(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[CalendarProvider] | None:
    """Return calendar providers (:class:`~bot.api.CalendarProvider`: Google, Microsoft, ICS ...)."""


@hookspec
def register_schedules(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[Schedule] | None:
    """Return schedules (:class:`~bot.api.Schedule`: a ``rate()`` / ``cron()`` expression and what it runs)."""


@hookspec
def register_event_handlers(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[EventHandler] | None:
    """Return handlers for events on the Crewbot event bus (:class:`~bot.api.EventHandler`)."""


@hookspec
def register_queue_consumers(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[QueueConsumer] | None:
    """Return work-queue consumers (:class:`~bot.api.QueueConsumer`: a queue's settings and the
    function that handles its messages). Locally they run on in-process thread pools; in AWS each becomes
    an SQS queue with a dead-letter queue and a Lambda function consuming it."""


@hookspec
def register_http_routes(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[HttpRoute] | None:
    """Return plain HTTP endpoints (:class:`~bot.api.HttpRoute`, e.g. an OAuth callback), served by
    the Slack Lambda in AWS and by a local server on 127.0.0.1; each route authenticates its own requests."""


@hookspec
def register_conversation_routes(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[ConversationRoute] | None:
    """Return conversation routes (:class:`ConversationRoute`: ``claims(crewbot, message) -> bool`` and
    ``handle(crewbot, message, reply)``); a DM a route claims goes to it instead of the user's default agent."""


@hookspec
def register_tables(config: CrewbotConfig, settings: Any, crewbot: Crewbot) -> Iterable[TableSpec] | None:
    """Return the tables this plugin stores records in (:class:`~bot.api.TableSpec`). Locally they are
    SQLite tables; in AWS DynamoDB tables that the deploy catalog lists for Terraform."""


@hookspec
def register_deployment(
    config: CrewbotConfig, settings: Any, crewbot: Crewbot
) -> Iterable[Deployment | TaskSpec] | None:
    """Return how the plugin's registrations run in AWS: :class:`~bot.deploy.catalog.Deployment` objects
    (a function's size and the tables, buckets, secrets ... it may touch) and container
    :class:`~bot.deploy.catalog.TaskSpec` objects. A registration without one deploys with default size and no
    access. ``crewbot deploy catalog`` shows the result."""


@hookspec
def register_cli_commands(cli: Any) -> None:
    """Add sub-commands to the ``crewbot`` command line. ``cli`` is the ``argparse`` sub-parsers
    object; set ``func`` on each parser with :meth:`~argparse.ArgumentParser.set_defaults`."""


#: The hooks that return contributions, in the order the core collects them.
REGISTRATION_HOOKS: tuple[str, ...] = (
    "register_tables",
    "register_commands",
    "register_actions",
    "register_agents",
    "register_tools",
    "register_workflows",
    "register_workflow_tasks",
    "register_context_providers",
    "register_calendar_providers",
    "register_schedules",
    "register_event_handlers",
    "register_queue_consumers",
    "register_http_routes",
    "register_conversation_routes",
    "register_deployment",
)


def accepted_types() -> dict[str, tuple[type, ...]]:
    """What each registration hook may return, item by item (checked by the host with ``isinstance``)."""
    # Imported here: these modules are the concerns that use the registrations, and import the host.
    from bot.agents.context import ContextProvider
    from bot.agents.spec import AgentSpec
    from bot.agents.tools import ToolRegistration
    from bot.deploy.catalog import Deployment, TaskSpec
    from bot.events import EventHandler, Schedule
    from bot.events.queues import QueueConsumer
    from bot.httproutes import HttpRoute
    from bot.slack.registry import Action, Shortcut, SlackEvent, SlashCommand, Subcommand, ViewSubmission
    from bot.storage.base import TableSpec
    from bot.workflows.tasks import WorkflowTask

    return {
        "register_tables": (TableSpec,),
        "register_commands": (SlashCommand, Subcommand),
        "register_actions": (Action, ViewSubmission, Shortcut, SlackEvent),
        "register_agents": (str, PathLike, AgentSpec, AgentSource),
        "register_tools": (ToolRegistration,),
        "register_workflows": (str, PathLike),
        "register_workflow_tasks": (WorkflowTask,),
        "register_context_providers": (ContextProvider,),
        "register_calendar_providers": (_CalendarSource,),
        "register_schedules": (Schedule,),
        "register_event_handlers": (EventHandler,),
        "register_queue_consumers": (QueueConsumer,),
        "register_http_routes": (HttpRoute,),
        "register_conversation_routes": (ConversationRoute,),
        "register_deployment": (Deployment, TaskSpec),
    }
