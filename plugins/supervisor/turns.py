"""Building and running the Supervisor's and Fabricator's Strands agents.

Both are ordinary agent specs run with the same parts as every other agent turn (model chain, Crewbot
hooks for budgets, roles and audit, the conversation's stored session, its conversation manager), with
two differences: the tools are given per turn (the Supervisor's come from the registry), and without
model credentials they get this plugin's deterministic offline policies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.api import CALL_KEY, AgentSpec, CallContext, conversation_manager, safe_session_id, session_manager

if TYPE_CHECKING:
    from bot.api import Crewbot


@contextmanager
def conversation(
    crewbot: Crewbot, agent: str, *, user_id: str, conversation: str, channel_id: str, thread_ts: str
) -> Iterator[str]:
    """Hold the conversation (one turn at a time, across processes) and yield its active session id."""
    agents = crewbot.agents
    key = safe_session_id(conversation)
    with (
        agents.locks.hold(key),
        agents.chat_sessions.lease(key, user_id=user_id, agent=agent, channel_id=channel_id, thread_ts=thread_ts),
    ):
        yield agents.chat_sessions.active_id(key)


def record(
    crewbot: Crewbot, session_id: str, agent: str, *, user_id: str, conversation: str, channel_id: str, thread_ts: str,
    text: str, tokens: int,
) -> None:  # fmt: skip
    crewbot.agents.chat_sessions.record_turn(
        session_id,
        conversation=safe_session_id(conversation),
        user_id=user_id,
        agent=agent,
        text=text,
        tokens=tokens,
        channel_id=channel_id,
        thread_ts=thread_ts,
    )


def run(
    crewbot: Crewbot,
    spec: AgentSpec,
    *,
    session_id: str,
    user_id: str,
    channel_id: str,
    prompt: Any,
    tools: list[Any],
    offline: Callable[[str], Any],
    state: dict[str, Any] | None = None,
) -> tuple[Any, str, int]:
    """Run one turn of ``spec``; returns the Strands result, a context line and the tokens used."""
    from strands import Agent

    from bot.api import CrewbotHooks

    agents = crewbot.agents
    model, resolution = agents.models.build(spec.model)
    if resolution.chain == ("offline",):
        model = offline(resolution.reason or "the offline profile was chosen")
    budget = agents.check_budget(spec, user_id)
    call = CallContext(
        user_id=user_id,
        session_id=session_id,
        agent=spec.name,
        roles=agents.roles_of(user_id),
        channel_id=channel_id,
        crewbot=crewbot,
    )
    hooks = CrewbotHooks(
        call, agents.registry.tools, agents.ledger, budget, resolution.short, audit=crewbot.records.audit.record
    )
    agent = Agent(
        model=model,
        tools=tools,
        system_prompt=spec.system_prompt,
        agent_id=spec.name,
        name=spec.name,
        description=spec.description,
        callback_handler=None,
        conversation_manager=conversation_manager(spec.conversation),
        session_manager=session_manager(crewbot, session_id),
        hooks=[hooks],
        retry_strategy=agents.models.retry_strategy(resolution),
    )
    result = agent(prompt, invocation_state={CALL_KEY: call, **(state or {})}, limits={"turns": spec.budget.max_cycles})
    usage = hooks.usage
    tokens = usage.input_tokens + usage.output_tokens
    used = f"used {', '.join(dict.fromkeys(usage.tools))}" if usage.tools else "no tools"
    summary = f"{spec.name} · {resolution.short} · {used} · {tokens:,} tokens · {usage.latency_ms / 1000:.1f} s"
    return result, summary, tokens
