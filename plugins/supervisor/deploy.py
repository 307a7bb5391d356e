"""How the Supervisor runs in AWS: the functions behind its queue consumer, event handlers and sweep, and
what each may touch (``register_deployment``; the deploy catalog grants exactly this, nothing more).

The worker runs *other* agents: it may touch what the delegable agents' tools need. The built-in
delegable agent (the Meeting Coordinator) reads meetings and users; an organisation that makes agents
with other tools delegable adds their resources here, or the worker's calls are refused by IAM.
"""

from __future__ import annotations

from bot.api import Deployment

_SLACK = ("slack_bot_token",)
#: One agent turn: its conversation record, usage, the audit of its tools, the user's roles.
_TURN_WRITE = ("audit_log", "chat_sessions", "usage", "usage_totals")
_STATE = ("agent_configs", "orchestrations", "worker_state")
_QUEUE = ("supervisor-tasks",)

#: A Supervisor turn (first or resumed): reads the registry's fabricated agents, records delegations,
#: sends the work items, publishes task.completion when a round is already complete, posts to Slack.
_SUPERVISOR_TURN = {
    "tables_read": ("users",),
    "tables_write": (*_TURN_WRITE, *_STATE),
    "buckets_write": ("sessions",),
    "queues_send": _QUEUE,
    "events_put": True,
    "schedules": True,  # the orchestration's deadline: a one-off EventBridge Scheduler schedule
    "bedrock": True,
    "secrets": _SLACK,
}

DEPLOYMENT: tuple[Deployment, ...] = (
    Deployment(
        "queue",
        "supervisor-tasks",
        "Supervisor delegations: run the target agent (own timeout, budget, 3 receives), record its result "
        "once, announce a complete round (task.completion).",
        memory_mb=1024,
        timeout_s=900,
        tables_read=("meetings", "users"),
        tables_write=(*_TURN_WRITE, *_STATE),
        buckets_write=("sessions",),
        events_put=True,
        bedrock=True,
        secrets=_SLACK,
    ),
    Deployment(
        "event",
        "supervisor-task-request",
        "task.request on the bus (/crewbot ask): start an orchestration with the Supervisor's first turn.",
        memory_mb=1024,
        timeout_s=300,
        **_SUPERVISOR_TURN,  # type: ignore[arg-type]
    ),
    Deployment(
        "event",
        "supervisor-task-completion",
        "task.completion: resume the Supervisor with every result of the round, answer or delegate again.",
        memory_mb=1024,
        timeout_s=300,
        **_SUPERVISOR_TURN,  # type: ignore[arg-type]
    ),
    Deployment(
        "event",
        "supervisor-deadline",
        "An orchestration's deadline: fill its missing results with timeouts, which completes its round.",
        tables_read=("users",),
        tables_write=_STATE,
        events_put=True,
        secrets=_SLACK,
    ),
    Deployment(
        "schedule",
        "supervisor-sweep",
        "Every 15 minutes: time out overdue orchestrations whose deadline event was lost, re-announce rounds "
        "whose task.completion was lost.",
        tables_read=("users",),
        tables_write=_STATE,
        events_put=True,
        secrets=_SLACK,
    ),
    # DMs to the Supervisor and the Fabricator, /crewbot ask, approvals: in the Slack function.
    Deployment("http", "bot", "Supervisor and Fabricator turns, approvals.", **_SUPERVISOR_TURN),  # type: ignore[arg-type]
)
