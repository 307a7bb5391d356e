"""Agent specs: what an agent is, declared in ``agents/<name>.yaml`` with its prompt in Markdown beside it.

::

    name: meeting_coordinator
    description: Prepares you for upcoming meetings.
    model: default                    # a profile of `models.profiles`, or `default`
    prompt: meeting_coordinator.md    # relative to this file
    tools: [get_upcoming_meetings, save_prep_response]
    conversation: {manager: sliding_window, window: 20}
    budget: {tokens_per_session: 200000, tokens_per_user_day: 1000000, warn_at: 0.8}
    access: {roles: [], users: []}    # empty: everyone may use it

Plugins can also return :class:`AgentSpec` objects (with ``system_prompt`` set) from ``register_agents``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import ConfigError, Problem

_NAME = r"^[a-z][a-z0-9_]{0,47}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationSpec(_Strict):
    """How the history sent to the model is kept bounded (Strands conversation managers)."""

    #: ``sliding_window`` keeps the last ``window`` messages; ``summarizing`` summarises the oldest ones
    #: when the context overflows; ``none`` keeps everything (only for short-lived agents).
    manager: Literal["sliding_window", "summarizing", "none"] = "sliding_window"
    window: int = Field(default=20, ge=2, le=500)
    summary_ratio: float = Field(default=0.3, ge=0.1, le=0.8)
    preserve_recent: int = Field(default=10, ge=2, le=200)
    #: A conversation idle this long continues in a fresh session that carries a short summary.
    fresh_after_idle_hours: float | None = Field(default=12, gt=0)


class BudgetSpec(_Strict):
    """Token budgets. ``None``: no limit.

    ``tokens_per_user_day`` is the spending limit: a warning at ``warn_at`` of it, a clear stop when it is
    spent (the budget day is a UTC day; messages show its reset in the user's zone); ``tokens_per_phase`` is
    the crew's, per agent and phase attempt.
    ``tokens_per_session`` bounds one session rather than stopping the user: once a session has used that
    many tokens, the conversation continues in a fresh session that carries a short summary.
    """

    tokens_per_session: int | None = Field(default=None, gt=0)
    tokens_per_user_day: int | None = Field(default=None, gt=0)
    #: For crew agents: the tokens one agent may use in one attempt of a project phase; at the limit its
    #: model calls stop with a message naming this budget (the phase's review then shows what is missing).
    tokens_per_phase: int | None = Field(default=None, gt=0)
    warn_at: float = Field(default=0.8, gt=0, le=1)
    #: Model calls (agent loop cycles) one message may take; stops runaway tool loops.
    max_cycles: int = Field(default=12, ge=1, le=100)


class AccessSpec(_Strict):
    """Who may talk to the agent: anyone with one of ``roles`` or listed in ``users``; both empty: everyone."""

    roles: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)

    def allows(self, user_id: str, roles: frozenset[str] | set[str]) -> bool:
        if not self.roles and not self.users:
            return True
        return user_id in self.users or bool(set(self.roles) & set(roles))


class DelegationSpec(_Strict):
    """How a Supervisor may hand work to the agent when it is ``delegable``."""

    #: What the delegation tool's ``task`` argument should contain (shown to the Supervisor's model).
    input: str = "The task for this agent: what to do and everything it needs to know to do it."
    #: Seconds one delegated turn may take before it counts as failed (and is retried).
    timeout_s: int = Field(default=300, ge=5, le=900)


class AgentSpec(_Strict):
    """One declarative agent."""

    name: str = Field(pattern=_NAME)
    description: str = Field(min_length=1)
    model: str = "default"
    #: Prompt file relative to the spec file (``prompt``) or the prompt text itself (``system_prompt``).
    prompt: str | None = None
    system_prompt: str | None = None
    tools: list[str] = Field(default_factory=list)
    conversation: ConversationSpec = Field(default_factory=ConversationSpec)
    budget: BudgetSpec = Field(default_factory=BudgetSpec)
    access: AccessSpec = Field(default_factory=AccessSpec)
    #: Whether a Supervisor may delegate tasks to this agent (it gets a delegation tool for it).
    delegable: bool = False
    delegation: DelegationSpec = Field(default_factory=DelegationSpec)
    #: Where the spec came from (a file path or ``plugin <name>``), for error messages.
    source: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _one_prompt(self) -> AgentSpec:
        if not self.prompt and not self.system_prompt:
            raise ValueError("give the system prompt: `prompt: <file>.md` (beside the spec) or `system_prompt: ...`")
        return self

    @property
    def label(self) -> str:
        return f"agent {self.name!r} ({self.source or 'unknown source'})"


def load_spec(path: Path) -> AgentSpec:
    """Load and validate one spec file and read its prompt; :class:`ConfigError` names the file and key."""
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([Problem(source, "", f"cannot be read: {exc.strerror or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(source, "", f"invalid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError([Problem(source, "", "an agent spec must be a mapping of keys")])
    try:
        spec = AgentSpec.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise ConfigError(
            [
                Problem(
                    source,
                    ".".join(str(p) for p in err["loc"]),
                    "unknown key" if err["type"] == "extra_forbidden" else err["msg"],
                )
                for err in exc.errors()
            ]
        ) from None
    if spec.prompt and not spec.system_prompt:
        prompt_file = (path.parent / spec.prompt).resolve()
        if path.parent.resolve() not in prompt_file.parents:
            raise ConfigError([Problem(source, "prompt", f"{spec.prompt!r} must be a file beside the spec")])
        try:
            text = prompt_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise ConfigError([Problem(source, "prompt", f"prompt file {prompt_file} not found")]) from None
        except OSError as exc:
            raise ConfigError([Problem(source, "prompt", f"prompt file {prompt_file} cannot be read: {exc}")]) from None
        if not text:
            raise ConfigError([Problem(source, "prompt", f"prompt file {prompt_file} is empty")])
        spec = spec.model_copy(update={"system_prompt": text})
    return spec
