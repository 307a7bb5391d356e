"""The Supervisor plugin's settings (``plugins.settings.supervisor`` in the configuration)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SupervisorSettings(BaseModel):
    """What an organisation can tune without code."""

    model_config = ConfigDict(extra="forbid")

    #: Agents the Supervisor may delegate to even though their spec does not say ``delegable: true``.
    delegates: list[str] = Field(default_factory=lambda: ["meeting_coordinator"])
    #: An orchestration still waiting for results after this many seconds completes with what it has.
    orchestration_timeout_s: int = Field(default=1800, ge=30, le=7 * 24 * 3600)
    #: At most this many delegations in one step of the offline Supervisor.
    max_delegations: int = Field(default=10, ge=1, le=50)
    #: A failed delegation is retried after this many seconds times the attempt number.
    retry_delay_s: int = Field(default=5, ge=0, le=900)
    #: Where approval cards for new agents go besides the admins' DMs (a channel id), if anywhere.
    approvals_channel: str = ""
