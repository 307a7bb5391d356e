"""The event bus: EventBridge ``PutEvents`` in AWS, in-process delivery locally.

Plugins subscribe with :class:`EventHandler` objects from ``register_event_handlers``: an EventBridge
event pattern and a function. In AWS the same patterns are EventBridge rules (Terraform) whose targets
run the handler; locally :class:`LocalEventBus` delivers each published event to every matching handler
at once, each in its own error boundary (a failing handler is logged and counted; it never stops the
others or the publisher).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.events.patterns import check_pattern, matches

logger = logging.getLogger(__name__)

#: The ``source`` prefix of Crewbot's own events (``crewbot.calendar`` ...).
SOURCE_PREFIX = "crewbot."


@dataclass(frozen=True)
class Event:
    """One event, as EventBridge delivers it to a rule's target."""

    source: str
    detail_type: str
    detail: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime | None = None
    #: The runtime the handler runs in (``bot.runtime.Crewbot``), filled by the dispatcher locally and in
    #: Lambda alike; its plugin's settings are ``.crewbot.settings_for(Model)``.
    crewbot: Any = field(default=None, compare=False, repr=False)

    def as_eventbridge(self) -> dict[str, Any]:
        """The EventBridge envelope (what a Lambda target receives and patterns match against)."""
        return {
            "version": "0",
            "id": self.id,
            "source": self.source,
            "detail-type": self.detail_type,
            "time": self.time.isoformat() if self.time else None,
            "resources": [],
            "detail": self.detail,
        }

    @classmethod
    def from_eventbridge(cls, envelope: Mapping[str, Any], crewbot: Any = None) -> Event:
        """Rebuild an event from the envelope a Lambda target receives, for a handler running in ``crewbot``."""
        raw_time = envelope.get("time")
        return cls(
            source=envelope["source"],
            detail_type=envelope["detail-type"],
            detail=dict(envelope.get("detail") or {}),
            id=envelope.get("id") or str(uuid.uuid4()),
            time=datetime.fromisoformat(raw_time.replace("Z", "+00:00")) if raw_time else None,
            crewbot=crewbot,
        )


@dataclass(frozen=True)
class EventHandler:
    """A subscription: events matching ``pattern`` (EventBridge syntax) go to ``handler``."""

    name: str
    pattern: dict[str, Any]
    handler: Callable[[Event], None]

    def __post_init__(self) -> None:
        check_pattern(self.pattern, f"event handler {self.name!r} pattern")


def _check(source: str, detail_type: str, detail: Any) -> None:
    if not source or not detail_type:
        raise ValueError("an event needs a source and a detail type")
    if not isinstance(detail, Mapping):
        raise ValueError(f"event {source}/{detail_type}: detail must be an object")


class EventBus(ABC):
    """Publish events; subscribers are the registered :class:`EventHandler` objects."""

    @abstractmethod
    def publish(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
        """Publish one event and return its id; ``ValueError`` for a malformed event."""


class LocalEventBus(EventBus):
    """In-process delivery to every matching handler, synchronously, in registration order."""

    def __init__(self, clock: Clock, handlers: Iterable[EventHandler] = (), crewbot: Any = None):
        self.clock = clock
        #: The runtime each delivered :class:`Event` carries to its handlers.
        self.crewbot = crewbot
        self.handlers: list[EventHandler] = []
        self.published: list[Event] = []  # the most recent events, for the emulator and tests
        self.failures: list[tuple[str, str, str]] = []  # (event id, handler, error)
        self._lock = threading.Lock()
        for handler in handlers:
            self.subscribe(handler)

    def subscribe(self, handler: EventHandler) -> None:
        if not isinstance(handler, EventHandler):
            raise TypeError(f"{handler!r} is not an EventHandler")
        self.handlers.append(handler)

    def publish(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
        _check(source, detail_type, detail)
        copied = json.loads(json.dumps(dict(detail)))
        event = Event(source, detail_type, copied, time=self.clock.now(), crewbot=self.crewbot)
        with self._lock:
            self.published = [*self.published[-199:], event]
        envelope = event.as_eventbridge()
        for handler in self.handlers:
            if not matches(handler.pattern, envelope):
                continue
            try:
                handler.handler(event)
            except Exception as exc:  # one failing subscriber must not stop the others
                logger.exception("event handler %s failed on %s/%s", handler.name, source, detail_type)
                self.failures.append((event.id, handler.name, f"{type(exc).__name__}: {exc}"))
        return event.id


class EventBridgeBus(EventBus):
    """``PutEvents`` on the project's event bus (``<project>-<environment>-bus``)."""

    def __init__(self, client: Any, bus_name: str):
        self.client = client
        self.bus_name = bus_name

    def publish(self, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
        _check(source, detail_type, detail)
        response = self.client.put_events(
            Entries=[
                {
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(dict(detail)),
                    "EventBusName": self.bus_name,
                }
            ]
        )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise RuntimeError(
                f"EventBridge refused event {source}/{detail_type}: "
                f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}"
            )
        return str(entry["EventId"])
