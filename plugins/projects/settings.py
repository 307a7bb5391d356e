"""``plugins.settings.projects``: approvers, how phases run, reminders, memory.

The cost estimate of ``/project status`` prices each model from ``models.prices`` (the table the per-turn
metrics use); the plugin has no prices of its own, and a configuration still giving them is refused by name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema


class EcsRunner(BaseModel):
    """Where ``phase_runner: ecs`` starts phase runs: a Fargate task running ``crewbot projects run-phase``."""

    model_config = ConfigDict(extra="forbid")

    cluster: str = Field(min_length=1)
    task_definition: str = Field(min_length=1)
    #: The container of the task definition that runs Crewbot (its image has the crewbot command).
    container: str = "crewbot"
    subnets: list[str] = Field(min_length=1)
    security_groups: list[str] = Field(min_length=1)
    assign_public_ip: bool = False


class QuietHours(BaseModel):
    """When reminders wait: ``HH:MM`` to ``HH:MM`` (may wrap midnight) in each approver's Slack time zone
    (``timezone`` for approvers whose zone is unknown). Empty: no quiet hours."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(default="", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"


class Reminders(BaseModel):
    """Reminders of the crew's unanswered questions (30 minutes after, then daily; to every approver after a day)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    quiet_hours: QuietHours = Field(default_factory=QuietHours)


class MemorySettings(BaseModel):
    """Where long-term memory lives: ``local`` (SQLite FTS5 under CREWBOT_HOME), ``agentcore`` (Amazon Bedrock
    AgentCore Memory ``memory_id``), or ``auto`` (AgentCore with ``runtime: aws`` and a ``memory_id``, else local)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["auto", "local", "agentcore"] = "auto"
    memory_id: str | None = Field(default=None, pattern=r"^[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}$")
    region: str | None = None
    #: How many of the project's own memories, and of other projects', go into a phase's task.
    recall: int = Field(default=5, ge=0, le=20)
    recall_shared: int = Field(default=3, ge=0, le=20)

    @model_validator(mode="after")
    def _agentcore_needs_an_id(self) -> MemorySettings:
        if self.backend == "agentcore" and not self.memory_id:
            raise ValueError("memory backend agentcore needs memory_id (the AgentCore Memory's id)")
        return self


class Settings(BaseModel):
    """Settings of the ``projects`` plugin."""

    model_config = ConfigDict(extra="forbid")

    #: Slack user ids who may approve every project's gates (besides each project's creator and admins).
    approvers: list[str] = Field(default_factory=list)
    #: How a phase's Swarm runs: ``inline`` inside the workflow task (deterministic; the emulator, tests and
    #: short phases), ``thread`` in a background thread of this process (a real model behind Socket Mode,
    #: so Slack gets its acknowledgement at once), ``ecs`` in a Fargate task (AWS: phases longer than a
    #: Lambda's 15 minutes; needs ``ecs``).
    phase_runner: Literal["inline", "thread", "ecs"] = "inline"
    ecs: EcsRunner | None = None
    #: Removed settings: declared only so that a configuration still setting them gets an error naming them.
    price_input_per_1k: SkipJsonSchema[object] = Field(default=None, exclude=True)
    price_output_per_1k: SkipJsonSchema[object] = Field(default=None, exclude=True)
    reminders: Reminders = Field(default_factory=Reminders)
    memory: MemorySettings = Field(default_factory=MemorySettings)

    @field_validator("price_input_per_1k", "price_output_per_1k")
    @classmethod
    def _removed_price(cls, value: object, info: ValidationInfo) -> object:
        side = "input" if info.field_name == "price_input_per_1k" else "output"
        raise ValueError(
            "this setting was removed: the project cost estimate prices each model from `models.prices` — set "
            f"`models.prices.<model id>.{side}_per_1k` there (USD per 1000 tokens) and delete this line"
        )

    @model_validator(mode="after")
    def _ecs_needs_its_settings(self) -> Settings:
        if self.phase_runner == "ecs" and self.ecs is None:
            raise ValueError("phase_runner: ecs needs `ecs: {cluster, task_definition, subnets, security_groups}`")
        return self
