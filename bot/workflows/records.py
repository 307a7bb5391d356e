"""The tables the local ASL runner persists executions in (local runner only: Step Functions keeps
its own state in AWS, so Terraform creates none of these)."""

from __future__ import annotations

from bot.storage.base import IndexSpec, TableSpec
from bot.storage.tables import register_table

EXECUTIONS = register_table(
    TableSpec(
        "workflow_executions",
        pk="execution_id",
        indexes=(
            IndexSpec("by_workflow", pk="workflow", sk="started_key"),  # a workflow's executions, by start time
            IndexSpec("by_kind", pk="kind", sk="started_key"),  # every execution, by start time
        ),
        description="Local runner only: workflow executions with their running threads (state, input, waits).",
    )
)
HISTORY = register_table(
    TableSpec(
        "workflow_history",
        pk="execution_id",
        sk="event_id",  # event_id = zero-padded sequence number
        description="Local runner only: every transition of every workflow execution.",
    )
)
TOKENS = register_table(
    TableSpec(
        "workflow_tokens",
        pk="token",
        description="Local runner only: task tokens of waiting .waitForTaskToken tasks and how they were answered.",
    )
)
TIMERS = register_table(
    TableSpec(
        "workflow_timers",
        pk="queue",
        sk="due_key",  # due_key = "<due ISO time>#<execution id>#<thread id>"
        description="Local runner only: when waiting executions next need attention (Wait, retry, timeouts).",
    )
)

DEFINITIONS = register_table(
    TableSpec(
        "workflow_definitions",
        pk="definition_key",  # "<workflow>#<sha256 of the document>": each version once, shared by its executions
        description="Local runner only: every version of a workflow definition that an execution started with.",
    )
)
DATA = register_table(
    TableSpec(
        "workflow_data",
        pk="execution_id",
        sk="digest",  # sha256 of the value: content-addressed, so written once and never changed
        description="Local runner only: large inputs and outputs of running executions, kept out of their record.",
    )
)

#: The constant partition of the timers table.
TIMER_QUEUE = "timers"
