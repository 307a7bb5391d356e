"""Tools for agents: a Strands tool function plus what Crewbot needs to know about it.

Plugins return :class:`ToolRegistration` objects from ``register_tools``. The function can be a plain
Python function (turned into a Strands ``@tool`` when an agent is first built, so loading the plugin does
not import Strands) or an already decorated Strands tool.

A tool that needs to know who is calling declares a ``tool_context`` parameter; Strands injects its
``ToolContext`` there and :func:`call_context` returns the :class:`CallContext` of the turn (user,
session, agent, runtime). The caller travels in the invocation state of the turn, never in a global::

    @crewbot_tool(side_effects="read")
    def get_upcoming_meetings(days_ahead: int = 7, tool_context: ToolInvocation | None = None) -> dict:
        call = call_context(tool_context)
        ...
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bot.runtime import Crewbot

SideEffects = Literal["read", "write", "external"]
SIDE_EFFECTS: tuple[str, ...] = ("read", "write", "external")

#: Key of the :class:`CallContext` in a turn's Strands ``invocation_state``.
CALL_KEY = "crewbot_call"

_CONTEXT_PARAM = "tool_context"


class ToolInvocation(Protocol):
    """The part of Strands' ``ToolContext`` Crewbot tools use (declared here so plugins need not import Strands)."""

    invocation_state: dict[str, Any]
    tool_use: Any


@dataclass(frozen=True)
class CallContext:
    """Who is talking to which agent in which session: handed to tools through the invocation state."""

    user_id: str
    session_id: str
    agent: str
    roles: frozenset[str] = frozenset()
    channel_id: str = ""
    crewbot: Crewbot | None = field(default=None, compare=False, repr=False)

    def runtime(self) -> Crewbot:
        """The Crewbot runtime of this turn (an error when a tool runs outside an agent turn)."""
        if self.crewbot is None:
            raise ToolError("this tool needs the Crewbot runtime, but the turn was started without one")
        return self.crewbot


class ToolError(Exception):
    """A tool could not do what was asked; the message is shown to the agent as the tool result."""


def call_context(tool_context: ToolInvocation | None) -> CallContext:
    """The :class:`CallContext` of the running turn, from the tool's injected ``tool_context``."""
    state = getattr(tool_context, "invocation_state", None) or {}
    call = state.get(CALL_KEY)
    if not isinstance(call, CallContext):
        raise ToolError("this tool must be called by a Crewbot agent (no caller in the invocation state)")
    return call


class ToolRegistration:
    """A tool and its metadata: ``side_effects`` (read / write / external) and ``required_role``."""

    def __init__(
        self,
        function: Callable[..., Any],
        side_effects: SideEffects,
        required_role: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ):
        if side_effects not in SIDE_EFFECTS:
            raise ValueError(
                f"tool {name or getattr(function, '__name__', function)!r}: side_effects must be "
                f"one of {', '.join(SIDE_EFFECTS)}, not {side_effects!r}"
            )
        self.function = function
        self.side_effects: SideEffects = side_effects
        self.required_role = required_role
        existing = getattr(function, "tool_name", None)
        self.name: str = name or (existing if isinstance(existing, str) else function.__name__)
        self.description = description
        self._tool: Any = None
        self._lock = threading.Lock()

    @property
    def tool_name(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        """The first line of the tool's description, for listings."""
        spec = getattr(self.function, "tool_spec", None)
        text = (
            self.description
            or (spec.get("description") if isinstance(spec, dict) else None)
            or inspect.getdoc(self.function)
            or ""
        )
        return text.strip().splitlines()[0] if text.strip() else ""

    def strands_tool(self) -> Any:
        """The Strands tool object (decorated on first use; imports Strands)."""
        with self._lock:
            if self._tool is None:
                if hasattr(self.function, "tool_spec") and hasattr(self.function, "tool_name"):
                    self._tool = self.function
                else:
                    from strands import tool

                    wants_context = _CONTEXT_PARAM in inspect.signature(self.function).parameters
                    decorate = tool(
                        name=self.name, description=self.description, context=_CONTEXT_PARAM if wants_context else False
                    )
                    self._tool = decorate(self.function)
            return self._tool

    def __repr__(self) -> str:
        role = f", required_role={self.required_role!r}" if self.required_role else ""
        return f"ToolRegistration({self.name!r}, side_effects={self.side_effects!r}{role})"


def crewbot_tool(
    side_effects: SideEffects, required_role: str | None = None, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], ToolRegistration]:
    """Decorator: turn a function into a :class:`ToolRegistration` to return from ``register_tools``."""

    def wrap(function: Callable[..., Any]) -> ToolRegistration:
        return ToolRegistration(function, side_effects, required_role, name=name, description=description)

    return wrap
