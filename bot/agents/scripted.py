"""A scripted Strands model for tests: it answers with exactly the steps it is given, in order.

Each step is one model call: a ``str`` (a text answer), a :class:`ToolCall` or a list of them (the model
asks for those tools), an ``Exception`` instance (the call raises it, e.g. ``ModelThrottledException``),
or a callable ``(messages, tool_specs) -> step`` that decides from what the model was sent. Every
request is recorded in :attr:`ScriptedModel.requests` for assertions.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from strands.models import Model

from bot.agents.model_events import ToolCall, message_events

T = TypeVar("T", bound=BaseModel)

Step = str | ToolCall | list[ToolCall] | BaseException | Callable[[list[dict[str, Any]], list[dict[str, Any]]], Any]


@dataclass
class Request:
    """What one model call was sent."""

    messages: list[dict[str, Any]]
    tool_names: list[str]
    system_prompt: str | None
    input_tokens: int


class ScriptExhausted(AssertionError):
    """The agent called the model more often than the script has steps."""


class ScriptedModel(Model):
    """Plays back ``steps``; raises :class:`ScriptExhausted` when asked for more (or repeats the last with
    ``repeat_last=True``, handy for long benchmark conversations)."""

    def __init__(self, steps: Sequence[Step], *, repeat_last: bool = False, model_id: str = "scripted"):
        self.steps = list(steps)
        self.repeat_last = repeat_last
        self.requests: list[Request] = []
        self.config: dict[str, Any] = {"model_id": model_id}
        self._lock = threading.Lock()

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return dict(self.config)

    def structured_output(
        self, output_model: type[T], prompt: Any, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        raise NotImplementedError("the scripted model does not produce structured output")

    def _next(self) -> Step:
        with self._lock:
            index = len(self.requests) - 1
            if index < len(self.steps):
                return self.steps[index]
            if self.repeat_last and self.steps:
                return self.steps[-1]
        raise ScriptExhausted(f"the script has {len(self.steps)} step(s) but the model was called {index + 1} times")

    async def stream(
        self, messages: Any, tool_specs: Any = None, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[Any, None]:
        input_tokens = await self.count_tokens(messages, tool_specs, system_prompt)
        with self._lock:
            self.requests.append(
                Request(
                    messages=[dict(m) for m in messages],
                    tool_names=[spec["name"] for spec in tool_specs or []],
                    system_prompt=system_prompt,
                    input_tokens=input_tokens,
                )
            )
        step = self._next()
        if callable(step) and not isinstance(step, (str, ToolCall, list, BaseException)):
            step = step(list(messages), list(tool_specs or []))
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, ToolCall):
            step = [step]
        if isinstance(step, list):
            events = message_events(None, step, input_tokens)
        else:
            events = message_events(str(step), [], input_tokens)
        for event in events:
            yield event
