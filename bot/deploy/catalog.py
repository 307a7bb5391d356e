"""The deployable pieces of Crewbot in AWS, generated from what the enabled plugins register.

:func:`build_catalog` turns a runtime's registrations (workflows, workflow tasks, schedules, event
handlers, queue consumers, tables, and each plugin's :class:`Deployment` declarations and container
:class:`TaskSpec` objects) into a :class:`Catalog`; ``crewbot deploy catalog`` prints it and ``make package``
writes it as ``dist/lambda/catalog.json``, which ``infra/terraform`` reads (``jsondecode``). Nothing is
declared per task here or in Terraform: a third-party plugin's workflow, tasks, schedules and tables
deploy as soon as the plugin is installed and enabled.

A function's IAM policy is derived from its :class:`FunctionSpec`: the union of ``ACCESS_ACTIONS[kind]``
over the kinds of access it declares, on the resources it names, and nothing else;
``infra/terraform/modules/catalog`` holds the same table (``tests/infra`` compares them and checks the
actions against the AWS calls the code makes).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from bot.config.models import CrewbotConfig
from bot.storage.base import TableSpec

Trigger = Literal["http", "schedule", "queue", "event", "workflow_task"]

#: The IAM actions each kind of access grants: the AWS calls of the adapters in :data:`CODE_CALLS`
#: (tests/infra scans them), plus the few in :data:`REQUIRED_BY_AWS` that AWS makes on the function's
#: behalf.
ACCESS_ACTIONS: dict[str, tuple[str, ...]] = {
    "table_read": ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"),
    "table_write": ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
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
class DeployedQueue:
    """An SQS queue with its dead-letter queue; ``consumer`` is the function its messages trigger, in batches
    of ``batch_size`` with at most ``concurrency`` invocations at once; a message goes to the dead-letter
    queue after ``max_receive_count`` receives."""

    name: str
    consumer: str
    description: str
    max_receive_count: int = 3
    batch_size: int = 10
    concurrency: int = 4


DeploymentKind = Literal["workflow_task", "schedule", "event", "queue", "http"]


@dataclass(frozen=True)
class Deployment(Access):
    """How one of a plugin's registrations runs in AWS: the size of its Lambda function and what it may touch.

    A plugin returns these from ``register_deployment``, one per workflow task (``kind="workflow_task"``,
    ``name="LoadMeeting"``), schedule (``"schedule"``, its name), event handler (``"event"``), queue consumer
    (``"queue"``) or, for what its Slack handlers need, the Slack entry point (``"http"``, ``"bot"``). A
    registration without one runs in a function with the default size that may touch nothing: access is
    granted only where it is declared. Several declarations for one function add up.
    """

    kind: DeploymentKind
    name: str
    description: str = ""
    memory_mb: int | None = None
    timeout_s: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _ENTRY:
            raise ValueError(f"deployment {self.name!r}: kind must be one of {', '.join(sorted(_ENTRY))}")
        if self.kind == "http" and self.name != BOT_FUNCTION:
            raise ValueError(f"the Slack entry point's function is {BOT_FUNCTION!r}, not {self.name!r}")

    @property
    def function(self) -> str:
        """The logical name of the function it runs in."""
        return function_name(self.kind, self.name)


#: The logical name of the function behind the Slack entry point and the plugins' HTTP routes.
BOT_FUNCTION = "bot"

# Per kind: the entry point's handler string, and the variable that tells it what to run.
_ENTRY: dict[str, tuple[str, str | None]] = {
    "http": ("bot.entrypoints.slack.handler", None),
    # The catalog module tells a task's function its task (CREWBOT_WORKFLOW_TASK) from the definitions.
    "workflow_task": ("bot.entrypoints.workflows.handler", None),
    "schedule": ("bot.entrypoints.events.schedule_handler", "CREWBOT_SCHEDULE"),
    "event": ("bot.entrypoints.events.event_handler", "CREWBOT_EVENT_HANDLER"),
    "queue": ("bot.entrypoints.queues.handler", "CREWBOT_QUEUE"),
}
_PREFIX = {"workflow_task": "task", "schedule": "schedule", "event": "event", "queue": "queue"}
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def function_name(kind: str, name: str) -> str:
    """The function a registration runs in: ``task_load_meeting`` for task ``LoadMeeting``,
    ``schedule_calendar_monitor`` for schedule ``calendar-monitor``, ``event_…``, ``queue_…``; ``bot``."""
    if kind == "http":
        return BOT_FUNCTION
    if kind == "workflow_task":
        name = _CAMEL.sub(r"\1_\2", name).lower()
    return f"{_PREFIX[kind]}_{name.replace('-', '_').lower()}"


def _merge(base: Access, extra: Access) -> dict[str, object]:
    """The access of both (union of names, either flag), as keyword arguments."""
    merged: dict[str, object] = {}
    for f in fields(Access):
        a, b = getattr(base, f.name), getattr(extra, f.name)
        merged[f.name] = tuple(dict.fromkeys((*a, *b))) if isinstance(a, tuple) else bool(a or b)
    return merged


@dataclass(frozen=True)
class WorkflowEntry:
    """A registered workflow: its definition file and the tasks its placeholders name."""

    name: str
    source: Path
    tasks: tuple[str, ...]

    @property
    def file(self) -> str:
        """Where the package holds the definition, relative to the catalog file."""
        return f"workflows/{self.name}.asl.json"


class CatalogError(ValueError):
    """The registrations cannot be deployed as they are; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Catalog:
    """Everything the installed and enabled plugins register that Terraform deploys."""

    functions: dict[str, FunctionSpec]
    tasks: dict[str, TaskSpec]
    queues: dict[str, DeployedQueue]
    workflows: dict[str, WorkflowEntry]
    schedules: dict[str, dict[str, str]]
    event_rules: dict[str, dict[str, Any]]
    tables: dict[str, TableSpec]
    buckets: tuple[str, ...]
    secrets: tuple[str, ...]
    #: The Bedrock models and inference profiles the configuration's profiles name: the only ones granted.
    models: tuple[dict[str, str | None], ...] = ()
    #: The registered agents' names: the dimension values of their metrics (dashboard, latency alarms).
    agents: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The catalog file Terraform reads (``jsondecode``): plain JSON, lists for tuples."""
        return {
            "format": CATALOG_FORMAT,
            "functions": {name: spec.as_terraform() for name, spec in sorted(self.functions.items())},
            "tasks": {name: spec.as_terraform() for name, spec in sorted(self.tasks.items())},
            "queues": {
                name: {
                    "consumer": q.consumer,
                    "description": q.description,
                    "max_receive_count": q.max_receive_count,
                    "batch_size": q.batch_size,
                    "concurrency": q.concurrency,
                }
                for name, q in sorted(self.queues.items())
            },
            "workflows": {
                name: {"file": w.file, "source": str(w.source), "tasks": list(w.tasks)}
                for name, w in sorted(self.workflows.items())
            },
            "schedules": dict(sorted(self.schedules.items())),
            "event_rules": dict(sorted(self.event_rules.items())),
            "tables": {name: _table_json(spec) for name, spec in sorted(self.tables.items())},
            "buckets": list(self.buckets),
            "secrets": list(self.secrets),
            "models": [dict(m) for m in self.models],
            "agents": list(self.agents),
            # For people: the IAM actions of each function (Terraform puts them on the named resources).
            "iam": {
                name: {kind: list(actions) for kind, actions in function_actions(spec).items()}
                for name, spec in sorted(self.functions.items())
            },
        }

    def write(self, folder: Path) -> Path:
        """Write ``catalog.json`` and a copy of each workflow definition into ``folder``; return the file."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "workflows").mkdir(exist_ok=True)
        for stale in (folder / "workflows").glob("*.asl.json"):
            stale.unlink()
        for entry in self.workflows.values():
            shutil.copyfile(entry.source, folder / entry.file)
        out = folder / CATALOG_FILE
        out.write_text(json.dumps(self.as_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return out


#: The catalog's file name beside the Lambda artefacts, and the version of its shape.
CATALOG_FILE = "catalog.json"
CATALOG_FORMAT = 1

#: Secrets only Socket Mode uses (``crewbot dev`` with Slack tokens): never deployed.
LOCAL_SECRETS = frozenset({"slack_app_token"})


def _table_json(spec: TableSpec) -> dict[str, Any]:
    return {
        "pk": spec.pk,
        "sk": spec.sk,
        "ttl": spec.ttl,
        "indexes": [{"name": i.name, "pk": i.pk, "sk": i.sk} for i in spec.indexes],
    }


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def _registered_tables(crewbot: Any) -> dict[str, TableSpec]:
    from bot.tables import registered_tables

    specs = registered_tables(crewbot.plugins)
    return {name: spec for name, spec in specs.items() if not _LOCAL_ONLY.search(spec.description)}


def build_catalog(crewbot: Any) -> Catalog:
    """The catalog of what ``crewbot``'s enabled plugins register (:class:`CatalogError` when it cannot deploy).

    Each workflow task, schedule, event handler and queue consumer gets its own function, sized and granted
    as the plugin's :class:`Deployment` says (nothing when it says nothing). The Slack entry point's function
    ``bot`` runs every Slack handler and HTTP route, so it may use every deployed table, bucket, workflow,
    secret and container task, plus what plugins add for it.
    """
    from bot.events.bus import EventHandler
    from bot.events.queues import QueueConsumer
    from bot.events.schedules import Schedule
    from bot.storage.tables import BUCKETS
    from bot.workflows.tasks import PLACEHOLDER_SUFFIX, WorkflowTask

    plugins = crewbot.plugins
    problems: list[str] = []
    declared: dict[str, list[Deployment]] = {}
    tasks: dict[str, TaskSpec] = {}
    for c in plugins.contributions("register_deployment"):
        if isinstance(c.item, Deployment):
            declared.setdefault(c.item.function, []).append(c.item)
        elif isinstance(c.item, TaskSpec):
            tasks[c.item.name] = c.item
        else:
            problems.append(f"plugin {c.plugin}: register_deployment returned {type(c.item).__name__}")

    registered: dict[str, tuple[str, str, str]] = {}  # function -> (kind, name, description)
    for task in plugins.items("register_workflow_tasks"):
        if isinstance(task, WorkflowTask):
            registered[function_name("workflow_task", task.name)] = ("workflow_task", task.name, task.description)
    schedules: dict[str, dict[str, str]] = {}
    for schedule in plugins.items("register_schedules"):
        if isinstance(schedule, Schedule):
            fn = function_name("schedule", schedule.name)
            registered[fn] = ("schedule", schedule.name, schedule.description)
            schedules[schedule.name] = {
                "description": "",
                "expression": schedule.expression,
                "function": fn,
            }
    event_rules: dict[str, dict[str, Any]] = {}
    for handler in plugins.items("register_event_handlers"):
        if isinstance(handler, EventHandler):
            fn = function_name("event", handler.name)
            registered[fn] = ("event", handler.name, "")
            event_rules[handler.name] = {
                "description": "",
                "pattern": handler.pattern,
                "function": fn,
                "state_machine": None,
            }
    queues: dict[str, DeployedQueue] = {}
    consumer_sizes: dict[str, dict[str, int]] = {}
    for consumer in plugins.items("register_queue_consumers"):
        if isinstance(consumer, QueueConsumer):
            spec = consumer.queue
            fn = function_name("queue", spec.name)
            text = consumer.description or f"Work items of the {spec.name} queue."
            registered[fn] = ("queue", spec.name, text)
            consumer_sizes[fn] = {"timeout_s": consumer.timeout_s}
            queues[spec.name] = DeployedQueue(
                spec.name,
                fn,
                text,
                max_receive_count=spec.max_receive_count,
                batch_size=consumer.batch_size,
                concurrency=consumer.concurrency,
            )

    if "scheduler" in queues:
        # Its dead-letter queue would be the one-off schedules' (bot/events/scheduler.py SCHEDULER_DLQ).
        problems.append("queue scheduler: the name is reserved (scheduler-dlq holds undelivered one-off schedules)")

    for fn, items in declared.items():
        if fn not in registered and fn != BOT_FUNCTION:
            problems.append(f"{items[0].kind} {items[0].name}: declared for deployment but not registered")

    workflows: dict[str, WorkflowEntry] = {}
    for path in plugins.items("register_workflows"):
        source = Path(path)
        name = source.name.removesuffix(".asl.json")
        text = source.read_text(encoding="utf-8")
        names = [
            p.removesuffix(PLACEHOLDER_SUFFIX) for p in _PLACEHOLDER.findall(text) if p.endswith(PLACEHOLDER_SUFFIX)
        ]
        workflows[name] = WorkflowEntry(name, source, tuple(sorted(set(names))))
        for task in names:
            if function_name("workflow_task", task) not in registered:
                problems.append(f"workflow {name}: task {task} is not registered by any enabled plugin")

    tables = _registered_tables(crewbot)
    secrets = tuple(sorted(k for k in crewbot.config.secrets if k not in LOCAL_SECRETS))
    functions: dict[str, FunctionSpec] = {}
    everything = Access(
        tables_write=tuple(sorted(tables)),
        buckets_write=tuple(BUCKETS),
        queues_send=tuple(sorted(queues)),
        state_machines_start=tuple(sorted(workflows)),
        task_callback=True,
        events_put=True,
        secrets=secrets,
        bedrock=True,
        invoke_self=True,
        schedules=True,
        token_cipher=True,
        run_tasks=tuple(sorted(tasks)),
    )
    entries = {BOT_FUNCTION: ("http", BOT_FUNCTION, _BOT_DESCRIPTION), **registered}
    for fn, (kind, name, description) in sorted(entries.items()):
        access: Access = everything if kind == "http" else Access()
        sizes = _BOT_SIZE if kind == "http" else consumer_sizes.get(fn, {})
        if kind == "queue":
            access = Access(queues_consume=(name,))
        for item in declared.get(fn, []):
            access = Access(**_merge(access, item))  # type: ignore[arg-type]
            description = item.description or description
            sizes = {**sizes, **{k: v for k, v in (("memory_mb", item.memory_mb), ("timeout_s", item.timeout_s)) if v}}
        handler, variable = _ENTRY[kind]
        functions[fn] = FunctionSpec(
            fn,
            handler,
            description or f"Runs {kind.replace('_', ' ')} {name}.",
            trigger=kind,  # type: ignore[arg-type]
            environment={variable: name} if variable else {},
            **sizes,  # type: ignore[arg-type]
            **_access_kwargs(access),  # type: ignore[arg-type]
        )
    if problems:
        raise CatalogError(problems)
    # A rule or schedule says what its function does (EventBridge allows 512 characters).
    for entry in (*schedules.values(), *event_rules.values()):
        entry["description"] = functions[entry["function"]].description[:512]
    models = tuple(
        {"id": str(p.model_id), "region": p.region}
        for _, p in sorted(crewbot.config.models.profiles.items())
        if p.provider == "bedrock" and p.model_id
    )
    agents = tuple(sorted(crewbot.agents.registry.agents))
    return Catalog(
        functions, tasks, queues, workflows, schedules, event_rules, tables, tuple(BUCKETS), secrets, models, agents
    )


def _access_kwargs(access: Access) -> dict[str, object]:
    return {f.name: getattr(access, f.name) for f in fields(Access)}


_BOT_DESCRIPTION = "Slack entry point and OAuth callbacks: acknowledges within 3 s, runs the rest as lazy listeners."
# Lazy listeners (agent turns) run in this function too, so it gets the agents' time.
_BOT_SIZE: dict[str, int] = {"memory_mb": 1024, "timeout_s": 300}


def aws_tables() -> dict[str, TableSpec]:
    """The tables that exist in AWS with the shipped configuration and the installed plugins: the registered
    ones but those whose description says *local-only*."""
    from bot.config import load_config
    from bot.runtime import Crewbot

    # A runtime, not a bare plugin host: some plugins hand the runtime to what they register.
    return _registered_tables(Crewbot(load_config(environ={}), environ={}))


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
