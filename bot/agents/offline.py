"""The ``offline`` model: deterministic, labelled, and able to use tools — Crewbot without any AI account.

It is a real Strands :class:`~strands.models.Model`, so it runs inside the ordinary agent loop:

1. On a user message it works out the intent from the words of the message and the agent's tool list
   (tool names and descriptions, plus a few synonyms). It calls the tools that fit, filling their
   arguments from the message and from earlier tool results in the conversation (e.g. the id of the
   meeting the user names, or "the first one").
2. On tool results it writes the answer from them, item by item, and says which tool failed if one did.
3. It answers "what did I ask earlier?" from the conversation history, so memory is visible.

Every reply starts with :data:`OFFLINE_LABEL`. Nothing is random: the same conversation gives the same
answers, which makes it the tests' and demos' workhorse.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from strands.models import Model

from bot.agents.model_events import ToolCall, message_events

T = TypeVar("T", bound=BaseModel)

OFFLINE_LABEL = "[offline model]"

_STOP = {
    "the",
    "and",
    "for",
    "with",
    "you",
    "your",
    "are",
    "can",
    "get",
    "this",
    "that",
    "what",
    "from",
    "have",
    "has",
    "about",
    "will",
    "into",
    "any",
    "all",
    "our",
    "its",
    "not",
    "but",
    "one",
    "out",
    "use",
    "how",
    "give",
    "tell",
    "show",
    "list",
    "please",
    "want",
    "need",
    "would",
    "could",
    "should",
    "there",
    "them",
    "returns",
    "return",
    "optional",
    "default",
    "user",
    "users",
    "tool",
    "current",
}
# A few everyday words mapped to the words tools are described with.
_SYNONYMS = {
    "calendar": "meeting",
    "schedule": "meeting",
    "meetings": "meeting",
    "upcoming": "upcoming",
    "week": "upcoming",
    "tomorrow": "upcoming",
    "today": "upcoming",
    "next": "upcoming",
    "coming": "upcoming",
    "spend": "budget",
    "spending": "budget",
    "cost": "budget",
    "costs": "budget",
    "money": "budget",
    "finance": "budget",
    "financial": "budget",
    "variance": "budget",
    "initiative": "rock",
    "initiatives": "rock",
    "priorities": "rock",
    "priority": "rock",
    "strategic": "rock",
    "okr": "rock",
    "okrs": "rock",
    "rocks": "rock",
    "projects": "rock",
    "agenda": "agenda",
    "plan": "agenda",
    "outline": "agenda",
    "answer": "save",
    "note": "save",
    "notes": "save",
    "record": "save",
    "remember": "save",
    "prep": "prep",
    "prepare": "prep",
    "preparation": "prep",
}
_MEMORY = re.compile(r"\b(earlier|before|previous(ly)?|recap|so far|what did i|what have i|history)\b", re.I)
_HELP = re.compile(r"^\s*(hi|hello|hey|help|what can you do|who are you|what do you do)[\s!?.]*$", re.I)
# Tools whose name starts with one of these change something: the user must ask for that explicitly.
_WRITE_VERBS = {"save", "create", "update", "delete", "remove", "send", "post", "record", "set", "add", "cancel"}
_ORDINALS = {"first": 0, "next": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}
_ID_KEYS = ("meeting_id", "id", "item_id", "project_id")
_TITLE_KEYS = ("title", "name", "summary", "subject")


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower().replace("_", " ")) if len(w) > 2]


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    for suffix in ("ing", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _words(text) if w not in _STOP}


class OfflineModel(Model):
    """Deterministic model that picks, calls and reports tools; see the module docstring."""

    def __init__(self, reason: str = "no model credentials are configured", model_id: str = "offline"):
        self.config: dict[str, Any] = {"model_id": model_id, "reason": reason}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return dict(self.config)

    def structured_output(
        self, output_model: type[T], prompt: Any, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        raise NotImplementedError("the offline model does not produce structured output")

    async def stream(
        self, messages: Any, tool_specs: Any = None, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[Any, None]:
        input_tokens = await self.count_tokens(messages, tool_specs, system_prompt)
        text, calls = self.respond(list(messages), list(tool_specs or []))
        for event in message_events(text, calls, input_tokens):
            yield event

    # -- the policy ---------------------------------------------------------------------------------

    def respond(
        self, messages: list[dict[str, Any]], tool_specs: list[dict[str, Any]]
    ) -> tuple[str | None, list[ToolCall]]:
        """What to say (text) or which tools to call, given the conversation so far."""
        if not messages:
            return self._label("Hello! Ask me something."), []
        last = messages[-1]
        if any("toolResult" in b for b in last.get("content", [])):
            return self._after_tools(messages, tool_specs)
        text = " ".join(b["text"] for b in last.get("content", []) if "text" in b).strip()
        if _MEMORY.search(text):
            return self._label(self._recap(messages[:-1])), []
        if _HELP.search(text) or not tool_specs:
            return self._label(self._help(tool_specs, greeting=bool(_HELP.search(text)))), []
        calls, missing = self._choose_tools(text, messages[:-1], tool_specs)
        if calls:
            return None, calls
        if missing:
            return self._label(missing), []
        return self._label("I could not tell which of my tools fits that. " + self._help(tool_specs)), []

    def _label(self, text: str) -> str:
        return f"{OFFLINE_LABEL} {text}"

    def _help(self, tool_specs: list[dict[str, Any]], greeting: bool = False) -> str:
        if not tool_specs:
            return "I am running without an AI model and this agent has no tools, so I can only echo what you say."
        lines = [f"• `{spec['name']}` — {_first_sentence(spec.get('description', ''))}" for spec in tool_specs]
        intro = "Hello! " if greeting else ""
        return (
            f"{intro}I am running without an AI model ({self.config.get('reason')}), so I answer by "
            "calling my tools and reporting what they return. I can:\n" + "\n".join(lines)
        )

    def _recap(self, history: list[dict[str, Any]]) -> str:
        asked = [_text_of(m) for m in history if m.get("role") == "user" and _text_of(m)]
        tools = [b["toolUse"]["name"] for m in history for b in m.get("content", []) if "toolUse" in b]
        if not asked:
            return "This is the start of our conversation: you have not asked me anything before."
        lines = "\n".join(f"{i}. “{_shorten(t, 120)}”" for i, t in enumerate(asked[-10:], 1))
        used = f"\nTools I used so far: {', '.join(dict.fromkeys(tools))}." if tools else ""
        return f"Earlier in this conversation you said:\n{lines}{used}"

    def _choose_tools(
        self, text: str, history: list[dict[str, Any]], tool_specs: list[dict[str, Any]]
    ) -> tuple[list[ToolCall], str | None]:
        wanted = _terms(text)
        scored: list[tuple[int, int, dict[str, Any]]] = []
        for order, spec in enumerate(tool_specs):
            verb = spec["name"].split("_")[0]
            if verb in _WRITE_VERBS and _stem(verb) not in wanted:
                continue
            name_terms = _terms(spec["name"])
            desc_terms = _terms(_first_sentence(spec.get("description", "")))
            score = 3 * len(wanted & name_terms) + len(wanted & (desc_terms - name_terms))
            if score:
                scored.append((score, order, spec))
        if not scored:
            return [], None
        best = max(score for score, _, _ in scored)
        ranked = sorted(scored, key=lambda s: (-s[0], s[1]))
        chosen = [spec for score, _, spec in ranked if score >= max(2, best - 1)][:3]
        calls: list[ToolCall] = []
        missing: list[str] = []
        for spec in chosen:
            args, lacking = self._arguments(spec, text, history)
            if not lacking:
                calls.append(ToolCall(spec["name"], args))
                continue
            # Read tools may look up the ids they lack first; a write never guesses which item it changes.
            writes = spec["name"].split("_")[0] in _WRITE_VERBS
            lister = None if writes else self._lister(lacking, tool_specs, {c.name for c in calls} | {spec["name"]})
            if lister is not None:
                calls.append(ToolCall(lister["name"], {}))  # fetch the ids first; the tool follows
            else:
                missing.append(f"To use `{spec['name']}` I need {', '.join(lacking)}; {self._hint(lacking)}")
        return list({c.name: c for c in calls}.values()), " ".join(missing) or None

    @staticmethod
    def _lister(lacking: list[str], tool_specs: list[dict[str, Any]], exclude: set[str]) -> dict[str, Any] | None:
        """A tool that needs no arguments and lists the things a missing ``<thing>_id`` refers to."""
        things = {_stem(name.removesuffix("_id")) for name in lacking if name.endswith("_id")}
        for spec in tool_specs:
            required = ((spec.get("inputSchema") or {}).get("json") or {}).get("required") or []
            verb = spec["name"].split("_")[0]
            if (
                spec["name"] not in exclude
                and not required
                and verb not in _WRITE_VERBS
                and things & _terms(spec["name"])
            ):
                return spec
        return None

    def _matched(self, text: str, name: str) -> set[str]:
        return _terms(text) & _terms(name)

    def _hint(self, lacking: list[str]) -> str:
        if any("meeting" in name for name in lacking):
            return "ask me for your upcoming meetings first, then name the meeting."
        return "please say it in your message."

    def _arguments(
        self, spec: dict[str, Any], text: str, history: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], list[str]]:
        schema = (spec.get("inputSchema") or {}).get("json") or {}
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        args: dict[str, Any] = {}
        lacking: list[str] = []
        for name, prop in properties.items():
            value = self._argument(name, prop, text, history)
            if value is not None:
                args[name] = value
            elif name in required:
                lacking.append(name)
        return args, lacking

    def _argument(self, name: str, prop: dict[str, Any], text: str, history: list[dict[str, Any]]) -> Any:
        kind = prop.get("type") or next((t.get("type") for t in prop.get("anyOf", []) if t.get("type") != "null"), None)
        lowered = text.lower()
        if kind == "integer":
            return _days(lowered) if "day" in name else _number(lowered)
        if kind != "string":
            return None
        if name.endswith("_id"):
            return _pick_item(name, lowered, history)
        if name in ("question", "prompt"):
            return _last_question(history) or "Notes from the user"
        if name in ("response", "answer", "note", "notes", "text", "content"):
            return re.sub(r"^\s*(my\s+)?(answer|response|note)s?\s*(is|:)?\s*", "", text, flags=re.I) or text
        return None

    def _after_tools(
        self, messages: list[dict[str, Any]], tool_specs: list[dict[str, Any]]
    ) -> tuple[str | None, list[ToolCall]]:
        """Call what the results made possible (e.g. the agenda once the meeting id is known), else answer."""
        start = _turn_start(messages)
        turn = messages[start:]
        called = {b["toolUse"]["name"] for m in turn for b in m.get("content", []) if "toolUse" in b}
        text = _text_of(messages[start])
        covered = set().union(*(self._matched(text, name) for name in called)) if called else set()
        calls, _ = self._choose_tools(text, messages, tool_specs)
        # Each tool once per turn (so the loop ends), and only tools the user asked for in words the
        # tools already called do not explain ("agenda" after listing meetings, not "meetings" again).
        follow_up = [c for c in calls if c.name not in called and self._matched(text, c.name) - covered]
        if follow_up:
            return None, follow_up
        return self._label(self._answer_from_results(turn)), []

    def _answer_from_results(self, turn: list[dict[str, Any]]) -> str:
        names = {
            b["toolUse"]["toolUseId"]: b["toolUse"]["name"]
            for m in turn
            for b in m.get("content", [])
            if "toolUse" in b
        }
        results = [b["toolResult"] for m in turn for b in m.get("content", []) if "toolResult" in b]
        parts: list[str] = []
        for result in results:
            name = names.get(result.get("toolUseId", ""), "a tool")
            value = _result_value(result)
            if result.get("status") == "error":
                parts.append(f"⚠️ `{name}` failed: {_shorten(str(value), 300)} — I carried on without it.")
            else:
                parts.append(f"*{_title(name)}* (from `{name}`):\n{render(value)}")
        return "Here is what I found.\n\n" + "\n\n".join(parts)


# -- helpers -------------------------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    first = text.strip().split("\n\n")[0].replace("\n", " ")
    return first.split(". ")[0].rstrip(".")


def _turn_start(messages: list[dict[str, Any]]) -> int:
    """Index of the user's message that started the current turn (the last user message with text)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user" and _text_of(messages[index]):
            return index
    return 0


def _text_of(message: dict[str, Any]) -> str:
    return " ".join(b["text"] for b in message.get("content", []) if "text" in b).strip()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(tool_name: str) -> str:
    words = tool_name.split("_")
    if words and words[0] in ("get", "list", "fetch", "generate", "save", "create"):
        words = words[1:] if words[0] in ("get", "list", "fetch") else words
    return " ".join(words).capitalize()


def _days(text: str) -> int | None:
    match = re.search(r"(\d+)\s*(day|days)\b", text)
    if match:
        return int(match.group(1))
    match = re.search(r"(\d+)\s*(week|weeks)\b", text)
    if match:
        return 7 * int(match.group(1))
    for word, days in (("tomorrow", 1), ("today", 1), ("month", 30), ("fortnight", 14), ("week", 7)):
        if word in text:
            return days
    return None


def _number(text: str) -> int | None:
    match = re.search(r"\b(\d{1,6})\b", text)
    return int(match.group(1)) if match else None


def _result_value(result: dict[str, Any]) -> Any:
    values: list[Any] = []
    for item in result.get("content", []):
        if "json" in item:
            values.append(item["json"])
        elif "text" in item:
            text = item["text"]
            try:
                values.append(json.loads(text))
            except (ValueError, TypeError):
                values.append(text)
    return values[0] if len(values) == 1 else values


def _items_in(value: Any) -> Iterable[dict[str, Any]]:
    """Every dict (at any depth) in a tool result."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _items_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _items_in(inner)


def _result_batches(history: list[dict[str, Any]], id_key: str) -> list[list[dict[str, Any]]]:
    """Items carrying ``id_key`` per earlier tool result, the most recent result first."""
    batches: list[list[dict[str, Any]]] = []
    for message in reversed(history):
        for block in reversed(message.get("content", [])):
            if "toolResult" in block and block["toolResult"].get("status") != "error":
                items = [item for item in _items_in(_result_value(block["toolResult"])) if id_key in item]
                unique = list({str(item[id_key]): item for item in items}.values())
                if unique:
                    batches.append(unique)
    return batches


def _pick_item(id_key: str, text: str, history: list[dict[str, Any]]) -> str | None:
    """The id of the item the user means, from earlier tool results.

    In order: the id itself in the message; a clear title match (two words or more); an ordinal ("the
    first one") in the latest list; the item the latest single-item result was about (what we were
    just talking about); a one-word title match; the first item of the latest list.
    """
    keys = [id_key] + [k for k in _ID_KEYS if k != id_key]
    for key in keys:
        batches = _result_batches(history, key)
        if not batches:
            continue
        items = list({str(item[key]): item for batch in batches for item in batch}.values())
        for item in items:
            if str(item[key]).lower() in text:
                return str(item[key])
        wanted = _terms(text)
        scored = [
            (len(wanted & _terms(" ".join(str(item.get(k, "")) for k in _TITLE_KEYS))), -i, item)
            for i, item in enumerate(items)
        ]
        best_score, _, best = max(scored, key=lambda entry: entry[:2])
        if best_score >= 2:
            return str(best[key])
        lists = [batch for batch in batches if len(batch) > 1]
        for word, index in _ORDINALS.items():
            if lists and re.search(rf"\b{word}\b", text):
                latest = lists[0]
                return str(latest[index if index < len(latest) else -1][key])
        if len(batches[0]) == 1:
            return str(batches[0][0][key])
        if best_score == 1:
            return str(best[key])
        return str(batches[0][0][key])
    return None


def _last_question(history: list[dict[str, Any]]) -> str | None:
    for message in reversed(history):
        if message.get("role") != "assistant":
            continue
        questions = re.findall(r"[^.!?\n]*\?", _text_of(message))
        if questions:
            return questions[-1].strip(" •-*")
    return None


def render(value: Any, indent: str = "") -> str:
    """A tool result as readable Slack text: lists of records become bullets, mappings become lines."""
    if value is None or value == [] or value == {}:
        return f"{indent}(nothing)"
    if isinstance(value, list):
        return "\n".join(
            f"{indent}• {_one_line(item)}" if not isinstance(item, list) else render(item, indent + "  ")
            for item in value
        )
    if isinstance(value, dict):
        lines = []
        for key, inner in value.items():
            label = str(key).replace("_", " ")
            if isinstance(inner, list) and inner and all(isinstance(i, dict) for i in inner):
                lines.append(f"{indent}{label}:\n{render(inner, indent + '  ')}")
            elif isinstance(inner, dict) and inner:
                lines.append(f"{indent}{label}: {_one_line(inner)}")
            else:
                lines.append(f"{indent}{label}: {_scalar(inner)}")
        return "\n".join(lines)
    return f"{indent}{_scalar(value)}"


def _one_line(item: Any) -> str:
    if not isinstance(item, dict):
        return _scalar(item)
    title = next((str(item[k]) for k in _TITLE_KEYS if item.get(k)), "")
    rest = [
        f"{str(k).replace('_', ' ')}: {_scalar(v)}"
        for k, v in item.items()
        if k not in _TITLE_KEYS and v not in (None, "", [], {})
    ]
    return " — ".join(([f"*{title}*"] if title else []) + rest)


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def _scalar(value: Any) -> str:
    if isinstance(value, str) and _ISO_TIME.match(value):
        when = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        return when.strftime("%a %d %b %H:%M UTC")
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return _one_line(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
