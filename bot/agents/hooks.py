"""The Strands hooks every Crewbot agent runs with: budgets, tool access and usage recording.

* ``BeforeModelCallEvent``: a spent budget cancels the model call with a clear message — before the
  first call when the budget was already spent, or mid-turn when this turn's tokens spend the rest. The
  message takes the model's place in the history, so the conversation stays well-formed.
* ``BeforeToolCallEvent``: a tool whose ``required_role`` the user lacks is refused; the refusal is the
  tool result the model sees, and is written to the audit log.
* ``AfterToolCallEvent``: tool names and failures are counted; calls of ``write`` and ``external`` tools
  are written to the audit log (who, which tool, in which session, with what outcome).
* ``AfterInvocationEvent``: tokens, latency and tool calls of the turn are written to the usage ledger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from strands.hooks import (
    AfterInvocationEvent,
    AfterToolCallEvent,
    BeforeInvocationEvent,
    BeforeModelCallEvent,
    BeforeToolCallEvent,
    HookRegistry,
)

from bot.agents.tools import CallContext, ToolRegistration
from bot.agents.usage import BudgetState, TurnUsage, UsageLedger

logger = logging.getLogger(__name__)

#: The stop for a budget that brings no stop message of its own. The daily budget brings one, naming when it
#: resets in the user's zone (:meth:`~bot.agents.usage.UsageLedger.check`).
MID_TURN_STOP = "⛔ I stopped because this answer used up the rest of its token budget."


class CrewbotHooks:
    """Hook provider for one agent turn (a fresh one per turn: it carries the turn's counters)."""

    def __init__(
        self,
        call: CallContext,
        tools: Mapping[str, ToolRegistration],
        ledger: UsageLedger | None,
        budget: BudgetState,
        model_label: str,
        audit: Callable[..., Any] | None = None,
    ):
        self.call = call
        self._audit = audit
        self.tools = tools
        self.ledger = ledger
        self.budget = budget
        self.usage = TurnUsage(agent=call.agent, user_id=call.user_id, session_id=call.session_id, model=model_label)
        #: Set when the budget stopped the turn.
        self.budget_stop = False
        self._started = 0.0

    def register_hooks(self, registry: HookRegistry, **kwargs: Any) -> None:
        registry.add_callback(BeforeInvocationEvent, self.before_invocation)
        registry.add_callback(BeforeModelCallEvent, self.before_model)
        registry.add_callback(BeforeToolCallEvent, self.before_tool)
        registry.add_callback(AfterToolCallEvent, self.after_tool)
        registry.add_callback(AfterInvocationEvent, self.after_invocation)

    def before_invocation(self, event: BeforeInvocationEvent) -> None:
        self._started = time.monotonic()

    def before_model(self, event: BeforeModelCallEvent) -> None:
        if self.budget.remaining is None:
            return
        # A fresh agent is built per turn, so its accumulated usage is this turn's.
        spent = int(event.agent.event_loop_metrics.accumulated_usage.get("totalTokens", 0))
        if spent < self.budget.remaining:
            return
        self.budget_stop = True
        if self.budget.state == "exhausted":
            event.cancel = self.budget.message
        else:
            event.cancel = self.budget.stop_message or MID_TURN_STOP

    def before_tool(self, event: BeforeToolCallEvent) -> None:
        name = event.tool_use["name"]
        registration = self.tools.get(name)
        role = registration.required_role if registration else None
        if role and role not in self.call.roles:
            logger.info("tool %s refused for %s: needs role %s", name, self.call.user_id, role)
            event.cancel_tool = (
                f"Not allowed: the tool {name!r} needs the role {role!r}, which this user does "
                "not have. Tell the user to ask an admin."
            )
            self.audit("agent_tool_refused", name, required_role=role)

    def after_tool(self, event: AfterToolCallEvent) -> None:
        name = event.tool_use["name"]
        self.usage.tools.append(name)
        failed = event.exception is not None or event.result.get("status") == "error"
        if failed:
            self.usage.tool_errors += 1
        registration = self.tools.get(name)
        if registration is not None and registration.side_effects != "read" and not event.cancel_message:
            self.audit(
                "agent_tool_call", name, side_effects=registration.side_effects, status="error" if failed else "success"
            )

    def audit(self, action: str, tool: str, **detail: Any) -> None:
        if self._audit is None:
            return
        try:
            self._audit(
                scope=f"user#{self.call.user_id}",
                actor=self.call.user_id,
                action=action,
                target=tool,
                agent=self.call.agent,
                session_id=self.call.session_id,
                **detail,
            )
        except Exception:  # an audit hiccup is logged, and never breaks the user's turn
            logger.exception("could not audit %s of %s by %s", action, tool, self.call.user_id)

    def after_invocation(self, event: AfterInvocationEvent) -> None:
        self.usage.latency_ms = int((time.monotonic() - self._started) * 1000)
        invocation = event.agent.event_loop_metrics.latest_agent_invocation
        if invocation is not None:
            self.usage.input_tokens = int(invocation.usage.get("inputTokens", 0))
            self.usage.output_tokens = int(invocation.usage.get("outputTokens", 0))
            self.usage.cycles = len(invocation.cycles)
        self.usage.stop_reason = str(event.result.stop_reason) if event.result is not None else "error"
        if self.ledger is not None:
            try:
                self.ledger.record(self.usage)
            except Exception:  # usage accounting must never lose the user's answer
                logger.exception("could not record usage of %s for %s", self.call.agent, self.call.user_id)
