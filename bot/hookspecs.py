"""The hooks a Crewbot plugin can implement.

Every hook is a *registration* hook: it is called once at start-up and returns the things the plugin
contributes (an iterable, or ``None`` for nothing). Behaviour lives in the returned objects, not in the
hooks, so the core can list, validate and route them. The types named below live with the concern
that uses them (``bot.slack``, ``bot.agents``, ``bot.workflows`` ...).

Hook arguments are optional: an implementation may accept any subset of the names in the spec
(pluggy passes only those it asks for). ``config`` is the validated :class:`bot.config.CrewbotConfig`;
``settings`` is this plugin's own validated settings (see :func:`register_settings`), or ``None``;
``crewbot`` is the :class:`bot.runtime.Crewbot` runtime the plugin is loaded into — handlers that need
its services (store, Slack client, workflows) keep it, e.g. with :func:`functools.partial`. Its services
start lazily: use them when a handler runs, not while registering.

The core calls each plugin's implementation inside its own error boundary: a plugin that raises is
reported by ``crewbot plugins`` and in the log, and the others still load.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from bot import hookspec


@hookspec
def register_settings() -> type[BaseModel] | None:
    """Return the pydantic model of this plugin's settings.

    The values come from ``plugins.settings.<plugin name>`` in the configuration files and are
    validated at start; an error names the file and the key. The validated instance is passed to the
    other hooks as ``settings``.
    """


@hookspec
def register_commands(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return Slack slash commands (:class:`bot.slack.registry.SlashCommand`)."""


@hookspec
def register_actions(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return interactivity handlers: button presses and modal submissions
    (:class:`bot.slack.registry.Action`, :class:`bot.slack.registry.ViewSubmission`)."""


@hookspec
def register_agents(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return agent specs: paths to ``*.yaml`` spec files or :class:`bot.agents.spec.AgentSpec`."""


@hookspec
def register_tools(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return tools for agents (:class:`bot.agents.tools.ToolRegistration`: a Strands ``@tool``
    function plus its side effects and required role)."""


@hookspec
def register_workflows(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return paths to Amazon States Language definitions (``*.asl.json``)."""


@hookspec
def register_workflow_tasks(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return workflow task handlers (:class:`bot.workflows.tasks.WorkflowTask`) that the
    ``${...}`` resource placeholders of the definitions are bound to."""


@hookspec
def register_context_providers(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return context providers (budget, big rocks, incidents ...) used to prepare meetings."""


@hookspec
def register_calendar_providers(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return calendar providers (Google, Microsoft, ICS ...)."""


@hookspec
def register_schedules(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return schedules (``rate()`` / ``cron()`` expressions and what they trigger)."""


@hookspec
def register_event_handlers(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return handlers for events on the Crewbot event bus (e.g. ``MeetingRequiresPrep``)."""


@hookspec
def register_queue_consumers(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return work-queue consumers (:class:`bot.events.queues.QueueConsumer`: a queue's settings and the
    function that handles its messages). Locally they run on in-process thread pools; in AWS each becomes
    an SQS queue with a dead-letter queue and a Lambda function consuming it."""


@hookspec
def register_http_routes(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return plain HTTP endpoints (:class:`bot.httproutes.HttpRoute`, e.g. an OAuth callback), served by
    the Slack Lambda in AWS and by a local server on 127.0.0.1; each route authenticates its own requests."""


@hookspec
def register_conversation_routes(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
    """Return conversation routes: objects with ``claims(crewbot, message) -> bool`` and
    ``handle(crewbot, message, reply)``. A DM a route claims (e.g. a reply in a meeting-prep thread) goes
    to it instead of the user's default agent."""


@hookspec
def register_deployment(config: Any, settings: Any, crewbot: Any) -> Iterable[Any] | None:
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
