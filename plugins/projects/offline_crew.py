"""The crew's offline model: a deterministic playbook, so a phase's Swarm runs without any AI account.

It is a real Strands model speaking to the real Swarm, so everything around it (tools, scoped writes,
hand-offs through Strands' ``handoff_to_agent``, interrupts, usage hooks, the Swarm's session) runs
exactly as with a real model. Each agent, in each phase, does what the phase's playbook says:

1. ``read_task_ledger`` — the SOW, the ledger, the customer's feedback on earlier attempts and answers;
2. the PM in Discovery asks the customer (``ask_customer``, a Strands interrupt) when the SOW has no
   timeline and nobody answered yet, then records facts and assumptions in the ledger;
3. the agent's deliverables of the phase from their templates (``write_from_template``), the
   customer's feedback quoted in the notes so a revision visibly answers it;
4. in Architecture the SA searches the pattern library and uses a proven architecture pattern if there is
   one; in the Retrospective the PM records lessons and contributes the architecture as a pattern, QA
   promotes the patterns that qualify;
   the specialist tools where they belong (:mod:`plugins.projects.specialist.playbook`): the SA's service
   lookup, diagram and numbered ADR, Security's IaC scan and threat model, Data's schema, QA's static
   checks; after writing, Infra validates and scans its Terraform and Dev lints its code;
5. ``handoff_to_agent`` to the next agent of the phase (:meth:`PhaseSpec.next_agent`), or a summary.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.api import OFFLINE_LABEL, OfflineModel, ToolCall
from plugins.projects.crew import PHASES, Deliverable, PhaseSpec
from plugins.projects.specialist import playbook

_PHASE = re.compile(r"\bPhase:\s*([a-z_]+)")
_AGENTS = re.compile(r"Agent name:\s*([a-z_][a-z0-9_]*)\.")
SCOPE_QUESTION = (
    "I could not find any objectives or requirements in the SOW. What must this project achieve, and what are "
    "its main requirements (and, if you know it, the timeline)?"
)
#: What the first agent of a later phase looks up in long-term memory.
MEMORY_QUERY = "timeline scope objective requirement decision constraint lesson"
TIMELINE_QUESTION = (
    "The SOW does not say when you need this. What is the target timeline — the go-live date or the number of weeks?"
)


class CrewOfflineModel(OfflineModel):
    """The offline model for one crew agent (see the module docstring)."""

    def __init__(self, agent: str, reason: str = "no model credentials are configured"):
        super().__init__(reason=reason, model_id="offline-crew")
        self.agent = agent

    def respond(
        self, messages: list[dict[str, Any]], tool_specs: list[dict[str, Any]]
    ) -> tuple[str | None, list[ToolCall]]:
        """The next step of this agent's playbook, from what it has done in this node so far."""
        start = _node_start(messages)
        node_text = _text(messages[start]) if start is not None else ""
        match = _PHASE.search(node_text)
        spec = PHASES.get(match.group(1)) if match else None
        if spec is None:
            # Not in a phase (the PM answering in the project channel): the general offline behaviour.
            return self.respond(messages, tool_specs)
        tools = {s["name"] for s in tool_specs}
        turn = messages[start:] if start is not None else messages
        called = [b["toolUse"] for m in turn for b in m.get("content", []) if "toolUse" in b]
        results = _results(turn)
        names = [c["name"] for c in called]
        if "read_task_ledger" in tools and "read_task_ledger" not in names:
            return None, [ToolCall("read_task_ledger", {})]
        ledger = results.get("read_task_ledger") if isinstance(results.get("read_task_ledger"), dict) else {}
        ledger = ledger or {}
        feedback = [str(f) for f in ledger.get("customer_feedback") or []]
        steps = self._own_steps(spec, ledger, feedback, names, called, tools, results) or playbook.before_writes(
            self.agent, spec, ledger, names, tools, results
        )
        if steps:
            return None, steps
        writes = [d for d in spec.deliverables_of(self.agent) if not any(_writes(c, d) for c in called)]
        if writes and "write_from_template" in tools:
            return None, [
                playbook.adr_call(d, ledger, feedback, results)
                if d.template == "adr" and "write_adr" in tools
                else ToolCall(
                    "write_from_template",
                    {
                        "template": d.template,
                        "path": d.path,
                        "title": d.title,
                        "notes": self._notes(spec, d.title, feedback, results),
                    },
                )
                for d in writes
            ]
        checks = playbook.after_writes(self.agent, spec, names, tools)
        if checks:
            return None, checks
        others = set(_AGENTS.findall(node_text))
        target = spec.next_agent(self.agent)
        if target and target in others and "handoff_to_agent" in tools and "handoff_to_agent" not in names:
            produced = ", ".join(d.path for d in spec.deliverables_of(self.agent)) or "my review"
            return None, [
                ToolCall(
                    "handoff_to_agent",
                    {
                        "agent_name": target,
                        "message": f"{self.agent} finished {produced} for {spec.title}; please do your part.",
                        "context": {
                            "from": self.agent,
                            "artifacts": [d.path for d in spec.deliverables_of(self.agent)],
                        },
                    },
                )
            ]
        failed = [c["name"] for c in called if results.get("_error:" + c["toolUseId"])]
        done = ", ".join(d.path for d in spec.deliverables_of(self.agent)) or "nothing to write"
        note = f" ({len(failed)} tool call(s) failed: {', '.join(failed)})" if failed else ""
        checked = " ".join(playbook.check_summaries(results))
        return f"{OFFLINE_LABEL} {self.agent} finished its {spec.title} work: {done}{note}." + (
            f" {checked}" if checked else ""
        ), []

    def _notes(self, spec: PhaseSpec, title: str, feedback: list[str], results: dict[str, Any]) -> str:
        lines = [
            f"{title}, prepared by {self.agent} for the {spec.title} phase from the SOW and the task ledger "
            f"(offline crew playbook). Goal of the phase: {spec.goal}"
        ]
        answer = results.get("ask_customer")
        if isinstance(answer, dict) and answer.get("answer"):
            lines.append(f"Customer answer: {answer['answer']}")
        recalled = results.get("search_memory")
        memories = recalled.get("memories", []) if isinstance(recalled, dict) else []
        if memories:
            lines.append(
                "From long-term memory:\n"
                + "\n".join(f"- {m['text']} ({m.get('phase') or m['project']})" for m in memories)
            )
        used = results.get("use_pattern")
        if isinstance(used, dict) and isinstance(used.get("pattern"), dict):
            pattern = used["pattern"]
            lines.append(
                f"Reused pattern: {pattern.get('name')} ({pattern.get('tier')}, from the pattern library), "
                f"copied to {used.get('path')}; this design starts from it."
            )
        lines += playbook.notes(self.agent, results)
        for item in feedback:
            lines.append(f"Revised to address the customer's feedback: {item}")
        return "\n\n".join(lines)

    def _own_steps(
        self,
        spec: PhaseSpec,
        ledger: dict[str, Any],
        feedback: list[str],
        names: list[str],
        called: list[dict[str, Any]],
        tools: set[str],
        results: dict[str, Any],
    ) -> list[ToolCall]:
        sow = ledger.get("sow") or {}
        first = spec.name != "discovery" and self.agent == spec.agents[0]
        if first and "search_memory" in tools and "search_memory" not in names:
            # Start from what earlier phases left in long-term memory (quoted in the notes).
            return [ToolCall("search_memory", {"query": f"{MEMORY_QUERY} {spec.title}", "scope": "project"})]
        if self.agent == "pm" and spec.name == "discovery":
            missing = ledger.get("sow_missing") or []
            answered = ledger.get("customer_answers") or []
            can_ask = not answered and "ask_customer" in tools and "ask_customer" not in names
            if can_ask and not sow.get("objectives") and not sow.get("requirements"):
                # Nothing to plan from: ask the approvers before writing anything.
                return [ToolCall("ask_customer", {"question": SCOPE_QUESTION})]
            if "timeline" in missing and can_ask:
                return [ToolCall("ask_customer", {"question": TIMELINE_QUESTION})]
            if "update_task_ledger" in tools and "update_task_ledger" not in names:
                calls = [
                    ToolCall("update_task_ledger", {"kind": "fact", "text": f"Objective: {o}"})
                    for o in (sow.get("objectives") or [])[:3]
                ]
                calls += [
                    ToolCall(
                        "update_task_ledger",
                        {
                            "kind": "assumption",
                            "text": f"The SOW says nothing about {m.replace('_', ' ')}; the plan assumes the usual "
                            "practice until the customer says otherwise.",
                        },
                    )
                    for m in missing
                    if m != "timeline" or not results.get("ask_customer")
                ]
                answer = results.get("ask_customer")
                if isinstance(answer, dict) and answer.get("answer"):
                    label = "Scope" if answer.get("question") == SCOPE_QUESTION else "Timeline"
                    calls.append(
                        ToolCall("update_task_ledger", {"kind": "fact", "text": f"{label}: {answer['answer']}"})
                    )
                for item in feedback:
                    calls.append(
                        ToolCall(
                            "update_task_ledger", {"kind": "decision", "text": f"Plan revised for feedback: {item}"}
                        )
                    )
                # A re-run does not record again what the ledger already says.
                known = {text for entries in (ledger.get("ledger") or {}).values() for text in entries}
                calls = [c for c in calls if c.input.get("text") not in known]
                return calls or [
                    ToolCall(
                        "update_task_ledger", {"kind": "fact", "text": "Discovery re-run for the customer's feedback"}
                    )
                ]
        if self.agent == "sa" and spec.name == "architecture" and "search_patterns" in tools:
            # Learn from earlier projects: start from a proven architecture pattern when there is one.
            if "search_patterns" not in names:
                return [ToolCall("search_patterns", {"query": "architecture", "category": "architecture"})]
            found = results.get("search_patterns")
            offered = [
                p
                for p in (found.get("patterns", []) if isinstance(found, dict) else [])
                if p.get("source_project") != ledger.get("project_id")
            ]
            # A proven pattern first; else what an earlier project contributed (its use is what can prove it).
            best = sorted(offered, key=lambda p: (p.get("tier") != "proven", -int(p.get("times_used") or 0)))
            if best and "use_pattern" not in names:
                return [ToolCall("use_pattern", {"pattern_id": best[0]["pattern_id"]})]
        if spec.name == "retrospective" and self.agent == "pm" and "record_lesson" not in names:
            calls = [
                ToolCall("record_lesson", {"category": "delivery", "text": f"Feedback that needed a revision: {item}"})
                for item in feedback
            ]
            calls.append(
                ToolCall(
                    "record_lesson",
                    {
                        "category": "delivery",
                        "text": "Ask for the timeline and acceptance criteria before Discovery starts.",
                    },
                )
            )
            calls.append(
                ToolCall(
                    "contribute_pattern",
                    {
                        "artifact_path": "docs/architecture/architecture.md",
                        "name": f"{ledger.get('project')} architecture",
                        "category": "architecture",
                        "tags": "architecture,reference",
                        "description": (
                            "Architecture document of a delivered project, with its requirements and decisions."
                        ),
                    },
                )
            )
            return calls
        if spec.name == "retrospective" and self.agent == "qa":
            if "search_patterns" in tools and "search_patterns" not in names:
                return [ToolCall("search_patterns", {"query": ""})]
            found = results.get("search_patterns")
            eligible = [
                p["pattern_id"]
                for p in (found or {}).get("patterns", [])
                if isinstance(found, dict) and p.get("eligible_for_promotion")
            ]
            if eligible and "promote_pattern" not in names:
                return [ToolCall("promote_pattern", {"pattern_id": pid}) for pid in eligible]
        return []


def _writes(call: dict[str, Any], deliverable: Deliverable) -> bool:
    """Whether a tool call of this node wrote ``deliverable`` (from its template, or an ADR through write_adr)."""
    given = call.get("input") or {}
    if call["name"] == "write_from_template":
        return bool(given.get("path") == deliverable.path)
    return call["name"] == "write_adr" and given.get("title") == deliverable.title


def _text(message: dict[str, Any]) -> str:
    return " ".join(b["text"] for b in message.get("content", []) if "text" in b)


def _node_start(messages: list[dict[str, Any]]) -> int | None:
    """Index of this node's input (the Swarm sends ``Context: ...`` as the user message)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user" and "Context:" in _text(messages[index]):
            return index
    return None


def _results(turn: list[dict[str, Any]]) -> dict[str, Any]:
    """The latest result of each tool in this node (by tool name), and error markers by tool use id."""
    names = {
        b["toolUse"]["toolUseId"]: b["toolUse"]["name"] for m in turn for b in m.get("content", []) if "toolUse" in b
    }
    found: dict[str, Any] = {}
    for message in turn:
        for block in message.get("content", []):
            result = block.get("toolResult")
            if not result:
                continue
            name = names.get(result.get("toolUseId", ""), "?")
            if result.get("status") == "error":
                found["_error:" + result.get("toolUseId", "")] = True
                continue
            values = []
            for item in result.get("content", []):
                if "json" in item:
                    values.append(item["json"])
                elif "text" in item:
                    try:
                        values.append(json.loads(item["text"]))
                    except ValueError:
                        values.append(item["text"])
            found[name] = values[0] if len(values) == 1 else values
    return found
