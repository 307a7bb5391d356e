"""The deployable pieces of Crewbot in AWS and the least privilege each Lambda function needs.

``infra/terraform/functions.tf`` mirrors :data:`FUNCTIONS` and :data:`QUEUES`, and
``infra/terraform/modules/catalog`` mirrors :data:`ACCESS_ACTIONS` and the tables of :func:`aws_tables`;
``tests/infra`` fails when the two sides differ. A function's IAM policy is derived from its
:class:`FunctionSpec`: the union of ``ACCESS_ACTIONS[kind]`` over the kinds of access it declares, on
the resources it names, and nothing else.

Adding a function: write its handler (``def handler(event, context)``), add a :class:`FunctionSpec`
here and the same entry to ``functions.tf``; the tests say what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

from bot.config.models import CrewbotConfig
from bot.storage.base import TableSpec
from bot.storage.tables import all_tables

Trigger = Literal["http", "schedule", "queue", "event", "workflow_task"]

#: The IAM actions each kind of access grants: the AWS calls of the adapters in :data:`CODE_CALLS`
#: (tests/infra scans them), plus the few in :data:`REQUIRED_BY_AWS` that AWS makes on the function's
#: behalf.
ACCESS_ACTIONS: dict[str, tuple[str, ...]] = {
    "table_read": ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"),
    "table_write": ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem"),
    "bucket_read": ("s3:GetObject", "s3:ListBucket"),
    "bucket_write": ("s3:DeleteObject", "s3:PutObject"),
    "queue_send": ("sqs:GetQueueUrl", "sqs:SendMessage"),
    "queue_consume": (
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
    ),
    # Starting returns the execution's description.
    "state_machine_start": ("states:DescribeExecution", "states:StartExecution"),
    # The engine finds a state machine's ARN by name; this action has no resource-level permission.
    "state_machine_list": ("states:ListStateMachines",),
    # Human steps: the button handler answers a .waitForTaskToken task (no resource-level permission).
    "task_callback": ("states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"),
    "events_put": ("events:PutEvents",),
    "secret_read": ("secretsmanager:GetSecretValue",),
    "bedrock": ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
    # Bolt lazy listeners re-invoke the same function asynchronously.
    "invoke_self": ("lambda:InvokeFunction",),
    # Reminders: one-off schedules in the deployment's group that run with the scheduler role.
    "schedules": ("iam:PassRole", "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:UpdateSchedule"),
    # Text messages (the meeting-prep SMS fallback): publishing to a phone number has no resource ARN.
    "sms": ("sns:Publish",),
    # Objects, messages and secrets are encrypted with the deployment's customer managed key.
    "kms": ("kms:Decrypt", "kms:GenerateDataKey"),
    # Calendar OAuth tokens are encrypted with the same key, bound to the user (bot/calendars/crypto.py).
    "token_cipher": ("kms:Decrypt", "kms:Encrypt"),
    # Starting a container task (phase_runner: ecs, plugins/projects/launchers.py): RunTask tags the task, and
    # the task runs with its two roles, which the caller passes to ECS.
    "task_run": ("ecs:RunTask", "ecs:TagResource", "iam:PassRole"),
}

#: Access kinds granted on the deployment key (its ARN exists only in AWS: modules/lambda_function
#: adds the statement).
KEY_KINDS = ("kms", "token_cipher")

_LOGICAL = re.compile(r"^[a-z][a-z0-9_]*$")
_HANDLER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$")
# "Local-only ...", "Local runner only: ...", "Local queues only: ..." (tables of the local adapters).
_LOCAL_ONLY = re.compile(r"\blocal(?:[- ][a-z]+)?[- ]only\b", re.IGNORECASE)

#: Where the AWS calls behind each service's access kinds are made: (module, class or function).
CODE_CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    "dynamodb": (("bot.storage.dynamodb", "DynamoTable"),),
    "s3": (("bot.storage.dynamodb", "S3BlobStore"), ("strands.session.s3_session_manager", "S3SessionManager")),
    "sqs": (("bot.events.queues", "SqsQueue"), ("bot.events.service", "build_queues")),
    "stepfunctions": (("bot.workflows.aws", "StepFunctionsEngine"),),
    "events": (("bot.events.bus", "EventBridgeBus"),),
    "scheduler": (("bot.events.scheduler", "EventBridgeScheduler"),),
    "sns": (("plugins.meeting_prep.notify", "send_sms"),),
    "kms": (("bot.calendars.crypto", "KmsCipher"),),
    "ecs": (("plugins.projects.launchers", "launch_on_ecs"),),
}

#: Granted actions the code does not call itself, and why.
REQUIRED_BY_AWS: dict[str, str] = {
    "sqs:ChangeMessageVisibility": "Lambda's SQS event source mapping, with the consumer's role",
    "sqs:GetQueueAttributes": "Lambda's SQS event source mapping, with the consumer's role",
    "iam:PassRole": "a schedule's target runs with the scheduler role, and a container task with its task and "
    "execution roles, which the caller passes",
    "ecs:TagResource": "RunTask with tags is authorised as tagging on creation (condition ecs:CreateAction)",
    "kms:GenerateDataKey": "S3, SQS and Secrets Manager encrypt with the deployment key as the caller",
}

#: Calls the code makes that no deployed function is granted, and why.
NOT_GRANTED: dict[str, str] = {
    "states:ListExecutions": "`crewbot workflows list` (an operator's credentials, not a Lambda role)",
    "states:GetExecutionHistory": "`crewbot workflows history` (an operator's credentials)",
    "states:StopExecution": "`crewbot workflows stop` (an operator's credentials)",
}


@dataclass(frozen=True, kw_only=True)
class Access:
    """What a function or a container task may touch (logical names); :func:`function_actions` turns it into
    IAM actions, ``modules/catalog/access.tf`` into statements on the named resources."""

    tables_read: tuple[str, ...] = ()
    tables_write: tuple[str, ...] = ()
    buckets_read: tuple[str, ...] = ()
    buckets_write: tuple[str, ...] = ()
    queues_send: tuple[str, ...] = ()
    queues_consume: tuple[str, ...] = ()
    state_machines_start: tuple[str, ...] = ()
    task_callback: bool = False
    events_put: bool = False
    secrets: tuple[str, ...] = ()
    bedrock: bool = False
    invoke_self: bool = False
    schedules: bool = False
    sms: bool = False
    token_cipher: bool = False
    #: Container tasks (:data:`TASKS`) it starts when they are deployed (``phase_runner = "ecs"``).
    run_tasks: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSpec(Access):
    """One Lambda function: what runs, how big, and what it may touch (logical names)."""

    name: str
    handler: str
    description: str
    trigger: Trigger
    memory_mb: int = 512
    timeout_s: int = 30
    #: Variables besides the common ones (``lambda_environment``), e.g. which schedule to run.
    environment: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _LOGICAL.match(self.name):
            raise ValueError(f"function name {self.name!r} must be lower-case letters, digits and '_'")
        if not _HANDLER.match(self.handler):
            raise ValueError(f"function {self.name}: handler {self.handler!r} must be 'package.module.callable'")
        if not 128 <= self.memory_mb <= 10240 or not 1 <= self.timeout_s <= 900:
            raise ValueError(f"function {self.name}: memory 128..10240 MB and timeout 1..900 s (Lambda's limits)")

    def as_terraform(self) -> dict[str, object]:
        """The object ``functions.tf`` declares for this function (lists for tuples, no ``name``)."""
        return _as_terraform(self)


def _as_terraform(spec: Access, skip: tuple[str, ...] = ()) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in fields(spec):
        if f.name == "name" or f.name in skip:
            continue
        value = getattr(spec, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out


@dataclass(frozen=True)
class TaskSpec(Access):
    """A container task on ECS Fargate (``modules/phase_runner``): for work longer than Lambda's 15 minutes.

    ``command`` is the task definition's default command; whoever starts the task supplies the real one
    as a container override (``plugins/projects/launchers.py``). The task runs with its own role, granted
    exactly the access declared here, like a function's.
    """

    name: str
    description: str
    command: tuple[str, ...]
    #: Fargate sizes: CPU units (1024 = 1 vCPU) and memory in MB (``phase_runner_task`` overrides both).
    cpu: int = 1024
    memory_mb: int = 4096

    def __post_init__(self) -> None:
        if not _LOGICAL.match(self.name):
            raise ValueError(f"task name {self.name!r} must be lower-case letters, digits and '_'")
        if not self.command or self.command[0] != "crewbot":
            raise ValueError(f"task {self.name}: the command must run crewbot, got {list(self.command)}")
        if self.invoke_self or self.run_tasks:
            raise ValueError(f"task {self.name}: invoke_self and run_tasks are for Lambda functions")

    def as_terraform(self) -> dict[str, object]:
        """The object ``functions.tf`` declares in ``tasks`` (lists for tuples; no ``name`` and none of the
        function-only ``invoke_self`` and ``run_tasks``)."""
        return _as_terraform(self, skip=("invoke_self", "run_tasks"))


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue with its dead-letter queue; ``consumer`` is the function its messages trigger."""

    name: str
    consumer: str
    description: str


#: The Lambda functions deployed, by logical name. Only functions whose handler exists are listed:
#: Terraform deploys each one, and tests/infra imports every handler.
FUNCTIONS: dict[str, FunctionSpec] = {}

#: The SQS queues, by logical name (each gets ``<name>-dlq``).
QUEUES: dict[str, QueueSpec] = {}

#: Container tasks, by logical name: declared always, deployed by Terraform when enabled
#: (``phase_runner = "ecs"`` for ``phase_runner``).
TASKS: dict[str, TaskSpec] = {}


def _register(*specs: FunctionSpec) -> None:
    for spec in specs:
        if spec.name in FUNCTIONS:
            raise ValueError(f"function {spec.name!r} is declared twice")
        FUNCTIONS[spec.name] = spec


_TASK = "bot.entrypoints.workflows.handler"
_SLACK = ("slack_bot_token",)
_AGENT_TABLES = ("chat_sessions", "usage", "usage_totals")  # an agent turn: its conversation record and usage
_PROJECT_TABLES = ("audit_log", "patterns", "project_items", "projects", "task_ledger")

_register(
    FunctionSpec(
        "bot",
        "bot.entrypoints.slack.handler",
        "Slack entry point and OAuth callbacks: acknowledges within 3 s, runs the rest as lazy listeners.",
        trigger="http",
        memory_mb=1024,
        # Lazy listeners (agent turns) run in this function too, so it gets the agents' time.
        timeout_s=300,
        tables_write=(
            "action_items",
            "audit_log",
            "calendar_connections",
            "chat_sessions",
            "idempotency",
            "meetings",
            "oauth_states",
            "patterns",
            "project_items",
            "projects",
            "task_ledger",
            "usage",
            "usage_totals",
            "users",
        ),
        buckets_write=("artifacts", "materials", "sessions"),
        state_machines_start=("meeting_prep", "project_phases"),
        task_callback=True,
        events_put=True,
        schedules=True,
        bedrock=True,
        invoke_self=True,
        token_cipher=True,
        secrets=("google_oauth_client", "microsoft_oauth_client", "slack_bot_token", "slack_signing_secret"),
        # A customer's answer resumes an interrupted phase: with phase_runner ecs, in a new phase task.
        run_tasks=("phase_runner",),
    ),
    # -- schedules and event handlers (bot/entrypoints/events.py) -------------------------------------
    FunctionSpec(
        "schedule_calendar_monitor",
        "bot.entrypoints.events.schedule_handler",
        "Every 2 hours: sync active users' calendars, classify meetings, emit MeetingRequiresPrep.",
        trigger="schedule",
        timeout_s=300,
        environment={"CREWBOT_SCHEDULE": "calendar-monitor"},
        tables_read=("users",),
        tables_write=("audit_log", "calendar_connections", "meetings"),
        events_put=True,
        secrets=("google_oauth_client", "microsoft_oauth_client"),
        token_cipher=True,
    ),
    FunctionSpec(
        "event_meeting_prep_start",
        "bot.entrypoints.events.event_handler",
        "MeetingRequiresPrep: start the meeting-prep workflow (once per meeting version).",
        trigger="event",
        environment={"CREWBOT_EVENT_HANDLER": "meeting-prep-start"},
        tables_read=("meetings",),
        state_machines_start=("meeting_prep",),
    ),
    FunctionSpec(
        "event_meeting_prep_reminder",
        "bot.entrypoints.events.event_handler",
        "MeetingReminderDue: the reminder DM before the meeting, with the materials link.",
        trigger="event",
        environment={"CREWBOT_EVENT_HANDLER": "meeting-prep-reminder"},
        tables_read=("meetings", "users"),
        buckets_read=("materials",),
        secrets=_SLACK,
    ),
    FunctionSpec(
        "event_meeting_prep_snooze",
        "bot.entrypoints.events.event_handler",
        "PrepSnoozeElapsed: notify again, or snooze on through quiet hours.",
        trigger="event",
        environment={"CREWBOT_EVENT_HANDLER": "meeting-prep-snooze"},
        tables_read=("users",),
        tables_write=("meetings",),
        schedules=True,
        secrets=_SLACK,
    ),
    # -- meeting-prep workflow tasks (plugins/meeting_prep/tasks.py) ------------------------------------
    FunctionSpec(
        "task_load_meeting",
        _TASK,
        "Load the meeting and decide whether it still needs prep.",
        trigger="workflow_task",
        tables_read=("meetings",),
    ),
    FunctionSpec(
        "task_fetch_context",
        _TASK,
        "One context topic for the meeting (a Parallel branch).",
        trigger="workflow_task",
        timeout_s=60,
    ),
    FunctionSpec(
        "task_send_prep_notification",
        _TASK,
        "DM with Start prep / Snooze / Skip; SMS fallback.",
        trigger="workflow_task",
        tables_read=("users",),
        tables_write=("meetings",),
        secrets=_SLACK,
        sms=True,
    ),
    FunctionSpec(
        "task_wait_for_chat_completion",
        _TASK,
        "Keep the task token on the meeting for the prep chat.",
        trigger="workflow_task",
        tables_write=("meetings",),
    ),
    FunctionSpec(
        "task_generate_materials",
        _TASK,
        "Agenda, question bank, notes template and a briefing.",
        trigger="workflow_task",
        memory_mb=1024,
        timeout_s=300,
        tables_read=("meetings", "users"),
        tables_write=_AGENT_TABLES,
        buckets_write=("sessions",),
        bedrock=True,
    ),
    FunctionSpec(
        "task_store_materials",
        _TASK,
        "Materials into the materials bucket.",
        trigger="workflow_task",
        tables_write=("meetings",),
        buckets_write=("materials",),
    ),
    FunctionSpec(
        "task_send_materials",
        _TASK,
        "Preview and links in Slack.",
        trigger="workflow_task",
        tables_read=("users",),
        buckets_read=("materials",),
        secrets=_SLACK,
    ),
    FunctionSpec(
        "task_schedule_reminder",
        _TASK,
        "Reminder before the meeting (a one-off schedule).",
        trigger="workflow_task",
        schedules=True,
    ),
    # -- project-delivery workflow tasks (plugins/projects/workflow_tasks.py) -------------------------------
    FunctionSpec(
        "task_run_project_phase",
        _TASK,
        "Run a phase's Swarm inline (at most 15 minutes) or start its Fargate task; the run answers its task token.",
        trigger="workflow_task",
        memory_mb=2048,
        timeout_s=900,
        tables_write=(*_AGENT_TABLES, *_PROJECT_TABLES),
        buckets_write=("artifacts", "sessions"),
        bedrock=True,
        task_callback=True,
        secrets=_SLACK,
        run_tasks=("phase_runner",),
    ),
    FunctionSpec(
        "task_review_project_phase",
        _TASK,
        "PM review of a phase's deliverables.",
        trigger="workflow_task",
        memory_mb=1024,
        timeout_s=300,
        tables_write=(*_AGENT_TABLES, *_PROJECT_TABLES),
        buckets_write=("artifacts", "sessions"),
        bedrock=True,
        secrets=_SLACK,
    ),
    FunctionSpec(
        "task_request_phase_approval",
        _TASK,
        "Post the Approve / Revise gate in Slack.",
        trigger="workflow_task",
        tables_write=_PROJECT_TABLES,
        buckets_read=("artifacts",),
        secrets=_SLACK,
    ),
    FunctionSpec(
        "task_finish_project",
        _TASK,
        "Close a delivered project and post the totals.",
        trigger="workflow_task",
        tables_read=("usage",),
        tables_write=_PROJECT_TABLES,
        secrets=_SLACK,
    ),
    FunctionSpec(
        "task_project_phase_failed",
        _TASK,
        "Report a failed phase and pause the project.",
        trigger="workflow_task",
        tables_write=_PROJECT_TABLES,
        secrets=_SLACK,
    ),
)


# -- container tasks (infra/terraform/modules/phase_runner) ---------------------------------------------
TASKS["phase_runner"] = TaskSpec(
    "phase_runner",
    "A project phase's Swarm when it may outlast Lambda (phase_runner: ecs); answers the phase's task token.",
    # Without the launcher's override (which names the project and run) the task only prints its usage.
    command=("crewbot", "projects", "run-phase", "--help"),
    # Exactly what a phase run does inline in task_run_project_phase, which it replaces.
    tables_write=(*_AGENT_TABLES, *_PROJECT_TABLES),
    buckets_write=("artifacts", "sessions"),
    bedrock=True,
    task_callback=True,
    secrets=_SLACK,
)


def aws_tables() -> dict[str, TableSpec]:
    """The declared tables that exist in AWS: all but those whose description says *local-only*."""
    return {name: spec for name, spec in all_tables().items() if not _LOCAL_ONLY.search(spec.description)}


def function_actions(spec: Access, *, xray: bool = False, tasks_deployed: bool = False) -> dict[str, tuple[str, ...]]:
    """The access kinds (keys of :data:`ACCESS_ACTIONS`) a function or task needs, with their actions.

    Logging to its own log group and X-Ray tracing come on top in Terraform (every function needs
    them; they touch no data). ``run_tasks`` grants ``task_run`` only when the tasks are deployed.
    """
    kinds: list[str] = []
    if spec.tables_read or spec.tables_write:
        kinds.append("table_read")
    if spec.tables_write:
        kinds.append("table_write")
    if spec.buckets_read or spec.buckets_write:
        kinds.append("bucket_read")
    if spec.buckets_write:
        kinds.append("bucket_write")
    for flag, kind in (
        (spec.queues_send, "queue_send"),
        (spec.queues_consume, "queue_consume"),
        (spec.state_machines_start, "state_machine_start"),
        (spec.state_machines_start, "state_machine_list"),
        (spec.task_callback, "task_callback"),
        (spec.events_put, "events_put"),
        (spec.secrets, "secret_read"),
        (spec.bedrock, "bedrock"),
        (spec.invoke_self, "invoke_self"),
        (spec.schedules, "schedules"),
        (spec.sms, "sms"),
        (spec.run_tasks and tasks_deployed, "task_run"),
    ):
        if flag:
            kinds.append(kind)
    if spec.buckets_read or spec.buckets_write or spec.queues_send or spec.queues_consume or spec.secrets:
        kinds.append("kms")
    if spec.token_cipher:
        kinds.append("token_cipher")
    return {kind: ACCESS_ACTIONS[kind] for kind in kinds}


def lambda_environment(config: CrewbotConfig, account_id: str) -> dict[str, str]:
    """The ``CREWBOT_*`` variables a deployed function runs with (Terraform sets the same).

    The account id is YAML-quoted because the loader reads variables as YAML scalars and a bare
    12-digit id would become a number.
    """
    return {
        "CREWBOT_PROJECT": config.project,
        "CREWBOT_ENVIRONMENT": config.environment,
        "CREWBOT_RUNTIME": "aws",
        "CREWBOT_AWS__REGION": config.aws.region,
        "CREWBOT_AWS__ACCOUNT_ID": f"'{account_id}'",
        "CREWBOT_HOME": "/tmp/crewbot",  # the only writable place on Lambda
    }
