"""Build the Bedrock-shaped stream events a Strands ``Model.stream`` yields (text, tool calls, stop, usage).

Shared by the offline and the scripted model so both speak exactly what the Strands agent loop expects.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """A tool call a model makes: tool ``name`` with ``input`` arguments."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    tool_use_id: str = ""


def text_events(text: str, chunk_size: int = 48) -> Iterator[dict[str, Any]]:
    """A text content block, streamed in chunks (word boundaries) like a real model."""
    yield {"contentBlockStart": {"start": {}}}
    buffer = ""
    for piece in re.findall(r"\s*\S+\s*|\s+", text):  # pieces joined give back the text exactly
        buffer += piece
        if len(buffer) >= chunk_size:
            yield {"contentBlockDelta": {"delta": {"text": buffer}}}
            buffer = ""
    if buffer:
        yield {"contentBlockDelta": {"delta": {"text": buffer}}}
    yield {"contentBlockStop": {}}


def tool_events(call: ToolCall) -> Iterator[dict[str, Any]]:
    """A tool-use content block; the input travels as a JSON string, as Bedrock streams it."""
    tool_use_id = call.tool_use_id or f"tooluse_{uuid.uuid4().hex[:16]}"
    yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": tool_use_id, "name": call.name}}}}
    yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(dict(call.input))}}}}
    yield {"contentBlockStop": {}}


def message_events(text: str | None, calls: list[ToolCall], input_tokens: int) -> Iterator[dict[str, Any]]:
    """A whole assistant message: optional text, then tool calls; stop reason and usage at the end."""
    yield {"messageStart": {"role": "assistant"}}
    output = 0
    if text:
        yield from text_events(text)
        output += estimate_tokens(text)
    for call in calls:
        yield from tool_events(call)
        output += estimate_tokens(call.name + json.dumps(dict(call.input)))
    yield {"messageStop": {"stopReason": "tool_use" if calls else "end_turn"}}
    yield {
        "metadata": {
            "usage": {"inputTokens": input_tokens, "outputTokens": output, "totalTokens": input_tokens + output},
            "metrics": {"latencyMs": 0},
        }
    }


def estimate_tokens(text: str) -> int:
    """Roughly four characters per token (the same heuristic Strands uses without tiktoken)."""
    return math.ceil(len(text) / 4)
