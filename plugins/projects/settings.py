"""``plugins.settings.projects``: approvers, how phases run, prices for the cost estimate."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Settings of the ``projects`` plugin."""

    model_config = ConfigDict(extra="forbid")

    #: Slack user ids who may approve every project's gates (besides each project's creator and admins).
    approvers: list[str] = Field(default_factory=list)
    #: How a phase's Swarm runs: ``inline`` inside the workflow task (deterministic; the emulator, tests and
    #: short phases), ``thread`` in a background thread of this process (a real model behind Socket Mode,
    #: so Slack gets its acknowledgement at once).
    phase_runner: Literal["inline", "thread"] = "inline"
    #: Estimated model prices per 1,000 tokens, for "cost so far" in `/project status`.
    price_input_per_1k: float = Field(default=0.00006, ge=0)
    price_output_per_1k: float = Field(default=0.00024, ge=0)
