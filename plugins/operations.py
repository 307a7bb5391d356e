"""Operations: the gauges of the dashboard that no request produces.

``human-waits-gauge`` (every 5 minutes) publishes how many workflow steps wait for a person right now and
how long the oldest has waited (``HumanStepsWaiting``, ``OldestHumanStepAge``; see
:func:`bot.api.publish_human_waits`). In AWS it is a scheduled Lambda function with its dead-letter queue,
like every plugin schedule; it reads one table. Switch it off with ``plugins.deny: [operations]``.
"""

from __future__ import annotations

from bot.api import Deployment, Schedule, ScheduledCall, hookimpl, publish_human_waits

GAUGE = "human-waits-gauge"


@hookimpl
def register_schedules() -> list[Schedule]:
    return [
        Schedule(
            GAUGE,
            "rate(5 minutes)",
            _publish,
            description="Publish the number of workflow steps waiting for a person, and the oldest one's age.",
        )
    ]


@hookimpl
def register_deployment() -> list[Deployment]:
    return [
        Deployment(
            "schedule",
            GAUGE,
            "Publish the number of workflow steps waiting for a person, and the oldest one's age.",
            timeout_s=30,
            tables_read=("human_waits",),
        )
    ]


def _publish(call: ScheduledCall) -> None:
    publish_human_waits(call.crewbot)
