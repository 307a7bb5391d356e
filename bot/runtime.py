"""The Crewbot runtime: configuration, plugins, secrets and storage of one process, built once.

Everything that needs a service asks the runtime rather than building its own, so there is one
store, one plugin host and one secret resolver per process, in both runtimes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from bot.config import LoadedConfig, ResourceNamer, Secrets, load_config
from bot.logs import configure_logging
from bot.pluginhost import PluginHost

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

if TYPE_CHECKING:
    from bot.agents.service import AgentService
    from bot.clock import Clock
    from bot.events import EventBus, Queues, Scheduler
    from bot.slack.conversation import ConversationHandler
    from bot.storage.base import Store
    from bot.storage.records import Repositories
    from bot.workflows.engine import WorkflowEngine


class Crewbot:
    """One process's view of Crewbot."""

    def __init__(
        self,
        loaded: LoadedConfig,
        environ: Mapping[str, str] | None = None,
        extra_plugins: Iterable[tuple[str, Any]] = (),
    ):
        self.loaded = loaded
        self.config = loaded.config
        self.environ = os.environ if environ is None else environ
        self.namer = ResourceNamer.from_config(self.config)
        self.secrets = Secrets(self.config, self.environ)
        self._services: dict[str, Any] = {}
        self._services_lock = threading.RLock()
        self.plugins = PluginHost(loaded, self.environ, runtime=self).load(extra_plugins)

    def service(self, key: str, factory: Callable[[], T]) -> T:
        """The one object this runtime keeps under ``key``, built by ``factory`` on first use.

        The single place for per-runtime services and plugin state (a client, a cache, a local server):
        one per process, shared by every handler, gone with the runtime. Plugins prefix keys with their
        name (``"meeting_prep.oauth_server"``). Thread-safe; a factory may ask for other services. A
        service with a ``close()`` method is closed by :meth:`close`, the newest first.
        """
        with self._services_lock:
            if key not in self._services:
                self._services[key] = factory()
            return self._services[key]

    def set_service(self, key: str, value: Any) -> None:
        """Install ``value`` under ``key`` (the emulator installs its Slack client this way)."""
        with self._services_lock:
            self._services[key] = value

    def services(self) -> dict[str, Any]:
        """The services built so far, by key (for shutting them down)."""
        with self._services_lock:
            return dict(self._services)

    def settings_for(self, model: type[M]) -> M:
        """The validated settings whose model is ``model`` (a plugin's ``register_settings``), or the
        model's defaults when that plugin has none. Handlers of every kind read their settings this way,
        whatever name the plugin was installed under."""
        for value in self.plugins.settings.values():
            if type(value) is model:
                return value
        return model()

    @property
    def home(self) -> Path:
        """The local data directory (created on first use)."""
        home = Path(self.config.home).expanduser().resolve()
        home.mkdir(parents=True, exist_ok=True)
        return home

    @cached_property
    def clock(self) -> Clock:
        """System time in AWS; locally an advanceable clock whose offset persists in ``home``."""
        from bot.clock import OffsetClock, SystemClock

        if self.config.runtime == "aws":
            return SystemClock()
        return OffsetClock(self.home / "clock.json")

    @cached_property
    def store(self) -> Store:
        from bot.storage import open_store

        return open_store(self)

    @cached_property
    def workflows(self) -> WorkflowEngine:
        """The workflow engine: Step Functions in AWS, the durable local ASL runner locally. Building it
        checks that every task the definitions name is registered (``UnknownTaskError`` otherwise)."""
        from bot.workflows.service import build_engine

        return build_engine(self)

    @cached_property
    def bus(self) -> EventBus:
        """The event bus: EventBridge in AWS, in-process delivery to plugins' event handlers locally."""
        from bot.events.service import build_bus

        return build_bus(self)

    @cached_property
    def scheduler(self) -> Scheduler:
        """One-off events (EventBridge Scheduler in AWS); locally also runs the registered schedules."""
        from bot.events.service import build_scheduler

        return build_scheduler(self)

    @cached_property
    def queues(self) -> Queues:
        """Work queues with dead-letter queues (SQS in AWS, in the local store otherwise)."""
        from bot.events.service import build_queues

        return build_queues(self)

    @cached_property
    def records(self) -> Repositories:
        """Typed repositories over the store: ``records.users``, ``.meetings``, ``.projects``, ..."""
        from bot.storage.records import Repositories

        return Repositories(self.store, self.clock.now)

    @cached_property
    def agents(self) -> AgentService:
        """Agent specs, tools, models, sessions and usage (Strands is imported on the first turn)."""
        from bot.agents.service import AgentService

        return AgentService(self)

    @cached_property
    def conversations(self) -> ConversationHandler:
        """What the Slack app hands DMs to: the user's default agent (see bot/slack/conversation.py)."""
        from bot.agents.conversation import AgentConversations

        return AgentConversations(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Crewbot:
        # One runtime per process: Bolt deep-copies the request context (where the Slack app puts the
        # runtime) for lazy listeners, and a copy would be a second store, clock and plugin host.
        return self

    def close(self) -> None:
        """Release what this runtime holds: services with a ``close()`` (newest first, so one built on
        another goes before it), the local queue workers, then the store. A service that fails to close is
        logged and the rest are still closed."""
        with self._services_lock:
            services = list(self._services.items())
            self._services.clear()
        for key, service in reversed(services):
            close = getattr(service, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    logging.getLogger(__name__).exception("closing the runtime service %r failed", key)
        workers = getattr(self.__dict__.get("queues"), "workers", None)
        if workers is not None:
            workers.shutdown()
        if "store" in self.__dict__:
            self.store.close()


def start(
    env: str | None = None,
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    extra_plugins: Iterable[tuple[str, Any]] = (),
    setup_logging: bool = True,
) -> Crewbot:
    """Load the configuration and plugins and return the runtime (raises ``ConfigError`` on bad config)."""
    loaded = load_config(env=env, file=config_file, environ=environ)
    if setup_logging:
        cfg = loaded.config
        json_logs = cfg.logging.json_format if cfg.logging.json_format is not None else cfg.runtime == "aws"
        configure_logging(cfg.logging.level, json_logs, service=cfg.project)
    return Crewbot(loaded, environ, extra_plugins)
