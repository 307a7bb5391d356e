"""Deterministic offline policies for the Supervisor and the Fabricator (no AI account needed).

Both are the ordinary offline model (:class:`bot.agents.offline.OfflineModel`) with a different policy,
so they run inside the real Strands agent loop and tools, hooks and sessions behave as with a real model:

* :class:`SupervisorOfflineModel` delegates a question to every agent whose name or description shares
  words with it (all in one model message, so the delegations run in parallel), and on their results
  writes one answer that quotes each agent and says which failed and why.
* :class:`FabricatorOfflineModel` reads the tool catalogue, drafts a spec from the request (name,
  purpose, tools whose descriptions fit, who may use it) and proposes it; it disables, retires or
  re-enables an agent when asked to in words.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.api import OfflineModel, ToolCall

_STATE = re.compile(r"\b(disable|retire|enable|re-enable|reactivate)\b\s+(?:the\s+)?`?([a-z][a-z0-9_]*)`?", re.I)
_NAMED = re.compile(
    r"\b(?:called|named)\s+[\"“']?([A-Za-z][A-Za-z0-9 _-]{1,40}?)[\"”']?(?=\s+(?:that|which|who|to|for)\b|[.,;:!?]|$)"
)
_AN_AGENT = re.compile(r"\b(?:an?|the)\s+([a-z][a-z0-9 -]{1,40}?)\s+agent\b", re.I)
# Tool-name words that say how, not what: they do not make a tool fit a request.
_GENERIC = frozenset(
    {"report", "get", "fetch", "read", "write", "search", "lookup", "generate", "save", "create", "status"}
)
# Words that describe who may use an agent rather than what it does.
_ADMINS = re.compile(r"\b(only\s+(?:for\s+)?admins?|admins?\s+only)\b", re.I)
_NOT_DELEGABLE = re.compile(r"\bnot\s+delegable\b|\bno\s+delegation\b", re.I)


_STOP_WORDS = """the and for with you your are can get this that what from have has about will into any all our its
not but one out use how give tell show list please want need would could should there them they their which who
agent agents task ask"""
_STOP = frozenset(_STOP_WORDS.split())


def _terms(text: str) -> set[str]:
    """The content words of ``text``, lower-cased, with plural and -ing endings trimmed."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))
    terms = set()
    for word in words:
        if len(word) <= 2 or word in _STOP:
            continue
        for suffix in ("ing", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        terms.add(word)
    return terms


def _text_of(message: dict[str, Any]) -> str:
    return " ".join(b["text"] for b in message.get("content", []) if "text" in b).strip()


def _turn_start(messages: list[dict[str, Any]]) -> int:
    """Index of the user's message that started the current turn (the last user message with text)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user" and _text_of(messages[index]):
            return index
    return 0


def _result_value(result: dict[str, Any]) -> Any:
    values: list[Any] = []
    for item in result.get("content", []):
        if "json" in item:
            values.append(item["json"])
        elif "text" in item:
            try:
                values.append(json.loads(item["text"]))
            except (ValueError, TypeError):
                values.append(item["text"])
    return values[0] if len(values) == 1 else values


def render(value: Any) -> str:
    """A tool result as Slack text: mappings become ``key: value`` lines, lists become bullets."""
    if isinstance(value, dict):
        return "\n".join(f"{str(k).replace('_', ' ')}: {render(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(f"• {render(v)}" for v in value) or "(nothing)"
    return str(value)


class _PolicyModel(OfflineModel):
    """An offline model whose answers come from a policy (``respond``): OfflineModel.stream turns them
    into Bedrock-shaped events."""


def _results(turn: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    names = {
        b["toolUse"]["toolUseId"]: b["toolUse"]["name"] for m in turn for b in m.get("content", []) if "toolUse" in b
    }
    return [
        (names.get(b["toolResult"].get("toolUseId", ""), "a tool"), b["toolResult"])
        for m in turn
        for b in m.get("content", [])
        if "toolResult" in b
    ]


class SupervisorOfflineModel(_PolicyModel):
    """The Supervisor's offline policy (see the module docstring)."""

    def __init__(self, reason: str = "no model credentials are configured", max_delegations: int = 10):
        super().__init__(reason=reason, model_id="offline-supervisor")
        self.max_delegations = max_delegations

    def respond(
        self, messages: list[dict[str, Any]], tool_specs: list[dict[str, Any]]
    ) -> tuple[str | None, list[ToolCall]]:
        if not messages:
            return self._label("Hello! Ask me something and I will ask the right agents."), []
        start = _turn_start(messages)
        turn = messages[start:]
        if any("toolResult" in b for m in turn for b in m.get("content", [])):
            return self._label(self._aggregate(turn)), []
        text = _text_of(messages[start])
        chosen = self.choose(text, tool_specs)
        if not chosen:
            agents = ", ".join(f"`{s['name'].removeprefix('ask_')}`" for s in tool_specs) or "none"
            return self._label(
                "I could not tell which agents to ask about that. Name what you need in a few words "
                f"(agents I can ask: {agents})."
            ), []
        return None, [ToolCall(spec["name"], {"task": text}) for spec in chosen]

    def choose(self, text: str, tool_specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The delegation tools whose agent shares a distinctive word with ``text`` (one that fewer than
        half of the agents share: "figures" says nothing when every analyst reports figures), best first."""
        wanted = _terms(text)
        about = [
            _terms(s["name"].removeprefix("ask_") + " " + s.get("description", "").split(":", 1)[-1])
            for s in tool_specs
        ]
        common = max(1, len(tool_specs) // 2)
        frequency: dict[str, int] = {}
        for terms in about:
            for term in terms:
                frequency[term] = frequency.get(term, 0) + 1
        scored = []
        for order, (spec, terms) in enumerate(zip(tool_specs, about, strict=True)):
            score = len({t for t in wanted & terms if frequency[t] <= common})
            if score:
                scored.append((score, order, spec))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [spec for _, _, spec in scored[: self.max_delegations]]

    def _aggregate(self, turn: list[dict[str, Any]]) -> str:
        results = _results(turn)
        parts = []
        for name, result in results:
            agent = name.removeprefix("ask_")
            value = _result_value(result)
            if result.get("status") == "error":
                parts.append(f"✗ *{agent}* could not help: {render(value)}")
            else:
                parts.append(f"✓ *{agent}*:\n{render(value)}")
        return f"I asked {len(results)} agent{'s' if len(results) != 1 else ''} and put their answers together.\n\n" + (
            "\n\n".join(parts)
        )


class FabricatorOfflineModel(_PolicyModel):
    """The Fabricator's offline policy (see the module docstring)."""

    def __init__(self, reason: str = "no model credentials are configured"):
        super().__init__(reason=reason, model_id="offline-fabricator")

    def respond(
        self, messages: list[dict[str, Any]], tool_specs: list[dict[str, Any]]
    ) -> tuple[str | None, list[ToolCall]]:
        if not messages:
            return self._label("Tell me what the new agent should do and who may use it."), []
        start = _turn_start(messages)
        turn = messages[start:]
        text = _text_of(messages[start])
        done = dict(_results(turn))
        if state := _STATE.search(text):
            if "set_agent_state" in done:
                return self._label(_outcome(done["set_agent_state"])), []
            verb = state.group(1).lower()
            target = {"disable": "disabled", "retire": "retired"}.get(verb, "active")
            return None, [ToolCall("set_agent_state", {"name": state.group(2).lower(), "state": target})]
        if "propose_agent_spec" in done:
            return self._label(_outcome(done["propose_agent_spec"])), []
        if "list_tool_catalogue" not in done:
            return None, [ToolCall("list_tool_catalogue", {})]
        catalogue = _result_value(done["list_tool_catalogue"])
        return None, [ToolCall("propose_agent_spec", draft(text, catalogue if isinstance(catalogue, dict) else {}))]


def draft(request: str, catalogue: dict[str, Any]) -> dict[str, Any]:
    """A spec proposal from a request in words and the tool catalogue (``list_tool_catalogue``'s result)."""
    match = _NAMED.search(request) or _AN_AGENT.search(request)
    title = (match.group(1) if match else "helper").strip()
    name = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "helper"
    purpose = re.sub(r"\s+", " ", request).strip()
    # "… called X that writes release notes" → "Writes release notes": what it does, not the request.
    clause = re.search(r"\b(?:that|which|who|to)\s+(.+)$", purpose[match.end() :] if match else "")
    job = clause.group(1).rstrip(" .") if clause else purpose.rstrip(" .")
    description = job[:1].upper() + job[1:200] + "."
    wanted = _terms(purpose) - _terms(title + " agent create new make build")
    tools = []
    for tool in catalogue.get("tools", []):
        if not isinstance(tool, dict) or tool.get("name") in ("propose_agent_spec", "set_agent_state"):
            continue
        if tool.get("side_effects") != "read" and not (
            _terms(str(tool.get("name"))) & _terms(purpose) & {"save", "create"}
        ):
            continue  # the draft only asks for tools that change things when the request says so
        # A tool fits when a distinctive word of its name is in the request ("alpha" of alpha_report).
        if wanted & (_terms(str(tool.get("name"))) - _GENERIC):
            tools.append(str(tool["name"]))
    return {
        "name": name,
        "description": description,
        "system_prompt": (
            f"You are the {title} agent. Your job: {purpose}\n\nUse your tools to find what you need, answer "
            "in short Slack-ready paragraphs, and say plainly when you cannot do something."
        ),
        "tools": tools[:5],
        "delegable": not _NOT_DELEGABLE.search(request),
        "roles": ["admin"] if _ADMINS.search(request) else [],
    }


def _outcome(result: dict[str, Any]) -> str:
    value = _result_value(result)
    if result.get("status") == "error":
        return f"I could not do that: {render(value)}"
    if isinstance(value, dict) and value.get("message"):
        return str(value["message"])
    return render(value)
