"""The agent service (``crewbot.agents``): one call of :meth:`AgentService.ask` is one agent turn.

A turn: check the agent's access rules → take the session's lock → find the conversation's active
session → check the budgets → build a Strands ``Agent`` (model chain, tools, session manager,
conversation manager, Crewbot hooks) → run it with the caller in the invocation state → record the
turn in the chat-session metadata. The agent is rebuilt each turn from the stored session, so any
process (a restarted ``crewbot dev``, another Lambda) continues the same conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.agents.registry import AgentRegistry
from bot.agents.sessions import ChatSessions, SessionLocks, safe_session_id, session_manager
from bot.agents.spec import AgentSpec, ConversationSpec
from bot.agents.tools import CALL_KEY, CallContext
from bot.agents.usage import BudgetState, UsageLedger
from bot.config import ConfigError, Problem
from bot.storage.records import parse_time
from bot.storage.tables import CHAT_SESSIONS

if TYPE_CHECKING:
    from bot.agents.model_manager import ModelManager
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)

#: Role every user has; admins (``slack.admins``) also have ``admin``; more roles come from the user record.
BASE_ROLE = "user"


class AgentAccessError(PermissionError):
    """The user may not talk to this agent."""


@dataclass
class TurnResult:
    """What one turn produced."""

    text: str
    agent: str
    session_id: str
    model: str
    stop_reason: str
    tools: list[str] = field(default_factory=list)
    tool_errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    #: A budget warning, for the user (posted after the answer).
    notice: str | None = None
    #: The part of ``text`` that did not come from the model's stream (a budget or step-limit stop).
    appendix: str = ""

    @property
    def summary(self) -> str:
        """One context line: tools used, tokens and time."""
        tools = f"used {', '.join(dict.fromkeys(self.tools))}" if self.tools else "no tools"
        failed = f" ({self.tool_errors} failed)" if self.tool_errors else ""
        return (
            f"{self.agent} · {self.model} · {tools}{failed} · "
            f"{self.input_tokens + self.output_tokens:,} tokens · {self.latency_ms / 1000:.1f} s"
        )


class AgentService:
    """Agents of one Crewbot runtime."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot
        self.locks = SessionLocks()

    # -- parts ---------------------------------------------------------------------------------

    @cached_property
    def models(self) -> ModelManager:
        from bot.agents.model_manager import ModelManager

        return ModelManager(self.crewbot)

    @cached_property
    def registry(self) -> AgentRegistry:
        """Specs, tools and providers from the plugins, validated (raises ``ConfigError``)."""
        self.models.validate()
        return AgentRegistry.from_plugins(self.crewbot.plugins, self.models)

    @cached_property
    def chat_sessions(self) -> ChatSessions:
        return ChatSessions(self.crewbot.store.table(CHAT_SESSIONS), self.crewbot.clock.now)

    @cached_property
    def ledger(self) -> UsageLedger:
        return UsageLedger.for_runtime(self.crewbot)

    def validate(self, deep: bool = False) -> AgentRegistry:
        """Load and check everything now (start-up), so mistakes surface before the first message.

        ``deep`` also turns every tool into its Strands tool (imports Strands, ~0.4 s), so a signature
        Strands cannot describe is reported here, naming the plugin, rather than on a user's message.
        """
        registry = self.registry
        if deep:
            problems = []
            for name, registration in sorted(registry.tools.items()):
                try:
                    registration.strands_tool()
                except Exception as exc:
                    problems.append(
                        Problem(
                            f"plugin {registry.origin.get('tool:' + name, '?')}",
                            f"tool {name}",
                            f"cannot be used as a Strands tool: {type(exc).__name__}: {exc}",
                        )
                    )
            if problems:
                raise ConfigError(problems)
        return registry

    def refresh(self) -> AgentRegistry:
        """The registry with the current agents of runtime sources merged in: objects with a
        ``refresh_registry(registry)`` method returned from ``register_agents`` (e.g. agents an admin
        approved while Crewbot runs), so every process sees them without a restart."""
        registry = self.registry
        for source in self.crewbot.plugins.items("register_agents"):
            refresh = getattr(source, "refresh_registry", None)
            if callable(refresh):
                try:
                    refresh(registry)
                except Exception:  # a failing source must not hide the other agents
                    logger.exception("agent source %r could not refresh the registry", source)
        return registry

    # -- users ---------------------------------------------------------------------------------

    def roles_of(self, user_id: str) -> frozenset[str]:
        """``user`` for everyone, ``admin`` for ``slack.admins`` (or ``is_admin``), plus the user record's roles."""
        user = self.crewbot.records.users.get(user_id)
        roles = {BASE_ROLE, *(user.roles if user else [])}
        if user_id in self.crewbot.config.slack.admins or (user is not None and user.is_admin):
            roles.add("admin")
        return frozenset(roles)

    def check_budget(self, spec: AgentSpec, user_id: str) -> BudgetState:
        """Where ``user_id`` stands against ``spec``'s daily budget, its messages in the user's own zone."""
        user = self.crewbot.records.users.get(user_id)
        return self.ledger.check(spec.budget, user_id, user.timezone if user else None)

    def available_to(self, user_id: str) -> list[AgentSpec]:
        """The agents ``user_id`` may talk to (``/crewbot agents``), by name."""
        roles = self.roles_of(user_id)
        agents = self.refresh().agents
        return [spec for name, spec in sorted(agents.items()) if spec.access.allows(user_id, roles)]

    def default_agent(self, user_id: str) -> str:
        """The agent a DM from ``user_id`` goes to: their choice if still allowed, else ``slack.default_agent``."""
        user = self.crewbot.records.users.get(user_id)
        chosen = user.default_agent if user else None
        allowed = {spec.name for spec in self.available_to(user_id)}
        if chosen in allowed:
            return str(chosen)
        configured = self.crewbot.config.slack.default_agent
        if configured in allowed or not allowed:
            return configured
        return sorted(allowed)[0]

    def set_default_agent(self, user_id: str, agent: str) -> None:
        """Remember ``agent`` as the user's default (stored on the user record); checks access."""
        spec = self.refresh().get(agent)
        self._check_access(spec, user_id)
        users = self.crewbot.records.users
        users.get_or_create(user_id)
        users.update(user_id, default_agent=agent)

    def _check_access(self, spec: AgentSpec, user_id: str) -> None:
        if not spec.access.allows(user_id, self.roles_of(user_id)):
            raise AgentAccessError(
                f"you may not use the agent {spec.name!r} (it is limited to "
                f"{', '.join(spec.access.roles + spec.access.users)})"
            )

    # -- turns ---------------------------------------------------------------------------------

    def ask(
        self,
        agent: str,
        *,
        user_id: str,
        conversation: str,
        text: str,
        channel_id: str = "",
        thread_ts: str = "",
        on_text: Callable[[str], None] | None = None,
    ) -> TurnResult:
        """Run one turn of ``agent`` in ``conversation`` (e.g. one Slack thread) and return its answer.

        ``on_text`` receives the answer's text as it streams. Turns of one conversation run one at a time,
        also across processes (:class:`~bot.agents.sessions.SessionBusy` if the previous one takes too long).
        """
        spec = self.refresh().get(agent)
        self._check_access(spec, user_id)
        key = safe_session_id(conversation)
        # The process lock first, so turns of this process queue here instead of polling the store.
        with (
            self.locks.hold(key),
            self.chat_sessions.lease(key, user_id=user_id, agent=spec.name, channel_id=channel_id, thread_ts=thread_ts),
        ):
            session_id = self.chat_sessions.active_id(key)
            record = self.chat_sessions.get(session_id) or {}
            reason = self._roll_over_reason(spec, record)
            if reason:
                session_id, summary = self.chat_sessions.roll_over(session_id, reason)
                logger.info("conversation %s continues in session %s (%s)", key, session_id, reason)
                # The model sees the summary with the first message; the user's own words stay as typed.
                model_text = f"{summary}\n\n{text}" if summary else text
            else:
                model_text = text
            budget = self.check_budget(spec, user_id)
            call = CallContext(
                user_id=user_id,
                session_id=session_id,
                agent=spec.name,
                roles=self.roles_of(user_id),
                channel_id=channel_id,
                crewbot=self.crewbot,
            )
            turn = self._run(spec, call, model_text, budget, on_text)
            try:
                self.chat_sessions.record_turn(
                    session_id,
                    conversation=key,
                    user_id=user_id,
                    agent=spec.name,
                    text=text,
                    tokens=turn.input_tokens + turn.output_tokens,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                )
            except Exception:  # the answer matters more than its bookkeeping
                logger.exception("could not record chat session %s", session_id)
            return turn

    def _roll_over_reason(self, spec: AgentSpec, record: dict[str, Any]) -> str | None:
        """Why the conversation should continue in a fresh session now: ``idle``, ``full`` or ``None``."""
        if not record or record.get("state") != "active" or not record.get("message_count"):
            return None
        idle_hours = spec.conversation.fresh_after_idle_hours
        if idle_hours and record.get("updated_at"):
            last = parse_time(str(record["updated_at"]))
            if self.crewbot.clock.now() - last >= timedelta(hours=idle_hours):
                return "idle"
        limit = spec.budget.tokens_per_session
        if limit and int(record.get("tokens", 0)) >= limit:
            return "full"
        return None

    def _run(
        self, spec: AgentSpec, call: CallContext, text: str, budget: BudgetState, on_text: Callable[[str], None] | None
    ) -> TurnResult:
        from bot.agents.hooks import CrewbotHooks

        model, resolution = self.models.build(spec.model)
        hooks = CrewbotHooks(
            call, self.registry.tools, self.ledger, budget, resolution.short, audit=self.crewbot.records.audit.record
        )
        agent = self.build_agent(spec, call.session_id, model, self.models.retry_strategy(resolution), hooks, on_text)
        # Tokens are enforced by the hooks (BeforeModelCallEvent); the SDK's limit caps model calls per turn.
        result = agent(text, invocation_state={CALL_KEY: call}, limits={"turns": spec.budget.max_cycles})
        stop = str(result.stop_reason)
        answer = str(result).strip()
        notice = budget.message if budget.state == "warn" and not hooks.budget_stop else None
        appendix = answer if hooks.budget_stop else ""
        if stop == "limit_turns":
            appendix = f"⛔ I stopped after {spec.budget.max_cycles} steps without finishing; try a narrower question."
            answer = (answer + "\n\n" if answer else "") + appendix
        return TurnResult(
            text=answer,
            agent=spec.name,
            session_id=call.session_id,
            model=resolution.short,
            stop_reason=stop,
            tools=list(hooks.usage.tools),
            tool_errors=hooks.usage.tool_errors,
            input_tokens=hooks.usage.input_tokens,
            output_tokens=hooks.usage.output_tokens,
            latency_ms=hooks.usage.latency_ms,
            notice=notice,
            appendix=appendix,
        )

    def build_agent(
        self,
        spec: AgentSpec,
        session_id: str,
        model: Any,
        retry_strategy: Any,
        hooks: Any,
        on_text: Callable[[str], None] | None = None,
    ) -> Any:
        """A Strands ``Agent`` for ``spec`` bound to the stored session ``session_id`` (imports Strands)."""
        from strands import Agent

        def stream_text(**event: Any) -> None:
            data = event.get("data")
            if on_text is not None and isinstance(data, str) and data:
                on_text(data)

        return Agent(
            model=model,
            tools=[self.registry.tools[name].strands_tool() for name in spec.tools],
            system_prompt=spec.system_prompt,
            agent_id=spec.name,
            name=spec.name,
            description=spec.description,
            callback_handler=stream_text,
            conversation_manager=conversation_manager(spec.conversation),
            session_manager=session_manager(self.crewbot, session_id),
            hooks=[hooks],
            retry_strategy=retry_strategy,
        )

    def reset(self, user_id: str, channel_id: str, thread_ts: str | None = None) -> list[str]:
        """Start fresh sessions for the user's conversations in ``channel_id`` (one thread when given)."""
        return self.chat_sessions.reset(user_id, channel_id, thread_ts)


def conversation_manager(spec: ConversationSpec) -> Any:
    """The Strands conversation manager that keeps the context of a spec bounded."""
    from strands.agent.conversation_manager import (
        NullConversationManager,
        SlidingWindowConversationManager,
        SummarizingConversationManager,
    )

    if spec.manager == "summarizing":
        return SummarizingConversationManager(
            summary_ratio=spec.summary_ratio, preserve_recent_messages=spec.preserve_recent
        )
    if spec.manager == "none":
        return NullConversationManager()
    return SlidingWindowConversationManager(window_size=spec.window, should_truncate_results=True)
