"""Each deployed function's IAM policy covers the AWS calls its handler really makes.

The handlers run in ``runtime: aws`` against moto. Every AWS call is recorded with the resource it
touches, and must be allowed by the function's declaration in bot/deploy/catalog.py, which is the
policy Terraform builds (test_functions_and_iam.py proves the two agree). Slack is a local fake that
answers every Web API call.

Covered: every deployed function, each with one scenario: the Slack entry point (a DM, ``/prep`` and
the home tab through the emulator), the meeting-prep and project-phase workflow tasks, the
meeting-prep event handlers and the calendar-monitor schedule; and the Fargate phase runner: the
``RunProjectPhase`` function starting the task, and the task running the phase (the catalog's ``tasks``). A scenario
exercises one path, so a call only another path makes can still be missing from a policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from moto import mock_aws
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.deploy import Access, Catalog, build_catalog
from bot.runtime import Crewbot, start
from bot.storage.dynamodb import create_buckets, create_tables
from bot.storage.records import Meeting
from bot.storage.tables import BUCKETS
from tests.infra.conftest import ACCOUNT, WORKFLOWS

REGION = "us-east-1"
CONFIG = f"""
runtime: aws
aws: {{region: {REGION}, account_id: "{ACCOUNT}"}}
models: {{default: offline}}
"""

Call = tuple[str, str, dict[str, Any]]  # (service, operation, parameters)


class FakeSlack(WebClient):
    """Answers every Web API call with ``ok`` (and a message timestamp), without a network."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-fake")
        self.calls: list[str] = []

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        self.calls.append(api_method)
        data = {"ok": True, "channel": "D1", "ts": "1700000000.000100", "user": {"id": "U1", "tz": "UTC"}}
        return SlackResponse(
            client=self, http_verb="POST", api_url=api_method, req_args={}, data=data, headers={}, status_code=200
        )


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Every AWS API call any boto3 client makes, as (service, operation, parameters)."""
    calls: list[Call] = []
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append((client.meta.service_model.service_name, operation, dict(params)))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[], Crewbot]]:
    """moto with everything Terraform would create, and a factory of runtimes (one per "function")."""
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config = tmp_path / "crewbot.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    runtimes: list[Crewbot] = []

    def make() -> Crewbot:
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()  # a new function starts with a cold cache
        crewbot = start(
            config_file=config, environ={"CREWBOT_HOME": str(tmp_path / f"home{len(runtimes)}")}, setup_logging=False
        )
        from bot.slack.client import install_slack_client

        install_slack_client(crewbot, FakeSlack())
        runtimes.append(crewbot)
        return crewbot

    with mock_aws():
        crewbot = make()
        namer = crewbot.namer
        create_tables(boto3.client("dynamodb", region_name=REGION), namer, list(build_catalog(crewbot).tables.values()))
        create_buckets(boto3.client("s3", region_name=REGION), namer, REGION, list(BUCKETS))
        boto3.client("events", region_name=REGION).create_event_bus(Name=namer.name("bus"))
        boto3.client("scheduler", region_name=REGION).create_schedule_group(Name=namer.prefix)
        sqs = boto3.client("sqs", region_name=REGION)
        for queue in _catalog(crewbot).queues:
            sqs.create_queue(QueueName=namer.queue(queue))
            sqs.create_queue(QueueName=namer.queue(f"{queue}-dlq"))
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["KeyId"]
        boto3.client("kms", region_name=REGION).create_alias(AliasName=f"alias/{namer.prefix}", TargetKeyId=key)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        for spec in crewbot.config.secrets.values():
            secrets.create_secret(Name=namer.secret(spec.name), SecretString="xoxb-test-value")
        sfn = boto3.client("stepfunctions", region_name=REGION)
        role = f"arn:aws:iam::{ACCOUNT}:role/{namer.name('states')}"
        for path in sorted(WORKFLOWS.glob("*.asl.json")):
            definition = re.sub(
                r"\$\{(\w+)\}", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:task", path.read_text(encoding="utf-8")
            )
            sfn.create_state_machine(
                name=namer.state_machine(path.name.removesuffix(".asl.json")), definition=definition, roleArn=role
            )
        try:
            yield make
        finally:
            for runtime in runtimes:
                runtime.close()


# -- what a declaration allows ---------------------------------------------------------------------

_READS = {"GetItem", "Query", "BatchGetItem", "Scan", "GetObject", "HeadObject", "ListObjectsV2", "ListObjects"}


def _logical(physical: str, names: dict[str, str]) -> str:
    for logical, name in names.items():
        if name == physical:
            return logical
    return f"<unknown {physical}>"


def _violations(spec: Access, calls: list[Call], crewbot: Crewbot) -> list[str]:
    namer = crewbot.namer
    tables = {t: namer.table(t) for t in _catalog(crewbot).tables}
    buckets = {b: namer.bucket(b) for b in BUCKETS}
    machines = {
        w.name.removesuffix(".asl.json"): namer.state_machine(w.name.removesuffix(".asl.json"))
        for w in WORKFLOWS.glob("*.asl.json")
    }
    secrets = {key: namer.secret(s.name) for key, s in crewbot.config.secrets.items()}
    tasks = {t: namer.name(t) for t in _catalog(crewbot).tasks}
    queues = {q: namer.queue(q) for q in _catalog(crewbot).queues}
    problems = []
    for service, operation, params in calls:
        allowed = True
        if service == "dynamodb":
            names = [params["TableName"]] if "TableName" in params else list(params.get("RequestItems", {}))
            for name in names:
                table = _logical(name, tables)
                readable = table in spec.tables_read or table in spec.tables_write
                allowed &= readable if operation in _READS else table in spec.tables_write
        elif service == "s3":
            bucket = _logical(params.get("Bucket", ""), buckets)
            allowed = (
                (bucket in spec.buckets_read or bucket in spec.buckets_write)
                if operation in _READS
                else bucket in spec.buckets_write
            )
        elif service == "stepfunctions":
            if operation in ("StartExecution", "DescribeExecution"):
                arn = params.get("stateMachineArn") or params.get("executionArn", "")
                allowed = _logical(arn.split(":")[6], machines) in spec.state_machines_start
            elif operation == "ListStateMachines":
                allowed = bool(spec.state_machines_start)
            else:
                allowed = operation.startswith("SendTask") and spec.task_callback
        elif service == "sqs":
            # A queue's statement covers its dead-letter queue too (the SQS adapter looks up both).
            physical = str(params.get("QueueName") or str(params.get("QueueUrl", "")).rsplit("/", 1)[-1])
            queue = _logical(physical.removesuffix("-dlq"), queues)
            if operation == "GetQueueUrl":
                allowed = queue in spec.queues_send or queue in spec.queues_consume
            elif operation in ("SendMessage", "SendMessageBatch"):
                allowed = queue in spec.queues_send
            else:
                allowed = queue in spec.queues_consume
        elif service == "secretsmanager":
            allowed = _logical(params["SecretId"], secrets) in spec.secrets
        elif service == "events":
            allowed = spec.events_put
        elif service == "scheduler":
            allowed = spec.schedules
        elif service == "kms":
            allowed = spec.token_cipher
        elif service == "sns":
            allowed = spec.sms
        elif service == "ecs":
            # RunTask on a declared task's definition, in that task's cluster (the statement's condition).
            task = _logical(params.get("taskDefinition", ""), tasks)
            allowed = operation == "RunTask" and task in spec.run_tasks and params.get("cluster") == tasks.get(task)
        elif service == "sts":
            allowed = operation == "GetCallerIdentity"  # needs no permission
        else:
            allowed = False
        if not allowed:
            problems.append(f"{service}:{operation} {json.dumps(params, default=str)[:200]}")
    return problems


def _check(
    name: str, calls: list[Call], crewbot: Crewbot, *, expect_calls: bool = True, spec: Access | None = None
) -> list[str]:
    """What ``name`` called without being allowed to (empty when its policy covers every call)."""
    if expect_calls and not calls:
        return [f"{name} made no AWS call: the scenario did not run"]
    declared = spec or _catalog(crewbot).functions[name]
    return [f"{name}: {problem}" for problem in _violations(declared, calls, crewbot)]


def _catalog(crewbot: Crewbot) -> Catalog:
    """The deploy catalog of the runtime's plugins: the declarations Terraform deploys."""
    return build_catalog(crewbot)


# -- scenarios -------------------------------------------------------------------------------------


def _meeting(crewbot: Crewbot, hours: float = 30) -> Meeting:
    start = crewbot.clock.now().astimezone(UTC) + timedelta(hours=hours)
    return crewbot.records.meetings.save(
        Meeting(
            meeting_id="m1",
            user_id="U1",
            provider="test",
            external_id="m1",
            title="Budget review",
            start=start,
            end=start + timedelta(hours=1),
            meeting_type="general",
        )
    )


def _task(crewbot: Crewbot, task: str, payload: dict[str, Any]) -> Any:
    from bot.entrypoints.workflows import run_task
    from bot.workflows.service import registered_tasks

    return run_task(registered_tasks(crewbot), task, payload, crewbot)


def test_meeting_prep_tasks_stay_within_their_policies(aws: Callable[[], Crewbot], recorder: list[Call]) -> None:
    from plugins.meeting_prep.tasks import meeting_view

    seed = aws()
    view = meeting_view(seed, _meeting(seed))
    materials = {"markdown": "# Budget review", "html": "<h1>Budget review</h1>"}
    topic = (view["context_required"] or ["budget"])[0]
    scenarios: list[tuple[str, str, dict[str, Any]]] = [
        ("task_load_meeting", "LoadMeeting", {"meeting_id": "m1"}),
        ("task_fetch_context", "FetchContext", {"topic": topic, "meeting": view}),
        ("task_wait_for_chat_completion", "WaitForChatCompletion", {"meeting": view, "taskToken": "t0k"}),
        ("task_send_prep_notification", "SendPrepNotification", {"meeting": view, "context": []}),
        ("task_generate_materials", "GenerateMaterials", {"state": {"meeting": view, "context": []}}),
        ("task_store_materials", "StoreMaterials", {"meeting": view, "materials": materials}),
        (
            "task_send_materials",
            "SendMaterials",
            {
                "meeting": view,
                "preview": "Agenda",
                "stored": {"markdown": "U1/m1/materials.md", "html": "U1/m1/materials.html"},
            },
        ),
        ("task_schedule_reminder", "ScheduleReminder", {"meeting": view}),
    ]
    problems: list[str] = []
    for function, task, payload in scenarios:
        crewbot = aws()
        recorder.clear()
        _task(crewbot, task, payload)
        # Context providers read the shipped context data: no AWS call is a fine answer.
        problems += _check(function, recorder, crewbot, expect_calls=task != "FetchContext")
    assert not problems, "calls outside the functions' policies:\n" + "\n".join(problems)


def test_meeting_prep_event_handlers_stay_within_their_policies(
    aws: Callable[[], Crewbot], recorder: list[Call]
) -> None:
    from bot.entrypoints.events import run_event_handler

    seed = aws()
    meeting = _meeting(seed)
    seed.records.meetings.update("m1", prep_status="snoozed")
    from plugins.meeting_prep.monitor import prep_version

    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    envelopes = {
        "event_meeting_prep_start": ("crewbot.calendar-monitor", "MeetingRequiresPrep", {"meeting_id": "m1"}),
        "event_meeting_prep_reminder": (
            "crewbot.meeting-prep",
            "MeetingReminderDue",
            {"meeting_id": "m1", "prep_version": prep_version(meeting)},
        ),
        "event_meeting_prep_snooze": ("crewbot.meeting-prep", "PrepSnoozeElapsed", {"meeting_id": "m1"}),
    }
    problems: list[str] = []
    for function, (source, detail_type, detail) in envelopes.items():
        crewbot = aws()
        handlers = {h.name: h for h in crewbot.plugins.items("register_event_handlers")}
        recorder.clear()
        run_event_handler(
            handlers,
            _catalog(crewbot).functions[function].environment["CREWBOT_EVENT_HANDLER"],
            {"id": "e1", "source": source, "detail-type": detail_type, "detail": detail, "time": now},
            crewbot,
        )
        problems += _check(function, recorder, crewbot)
    assert not problems, "calls outside the functions' policies:\n" + "\n".join(problems)


def test_the_calendar_monitor_and_its_workers_stay_within_their_policies(
    aws: Callable[[], Crewbot], recorder: list[Call]
) -> None:
    from bot.entrypoints.events import run_schedule
    from bot.entrypoints.queues import run_batch
    from bot.storage.records import User

    crewbot = aws()
    crewbot.records.users.save(User(user_id="U1", name="Ada"))
    schedules = {s.name: s for s in crewbot.plugins.items("register_schedules")}
    recorder.clear()
    run_schedule(
        schedules,
        _catalog(crewbot).functions["schedule_calendar_monitor"].environment["CREWBOT_SCHEDULE"],
        {"time": datetime.now(UTC).isoformat()},
        crewbot,
    )
    problems = _check("schedule_calendar_monitor", recorder, crewbot)
    # The work item it queued, as the worker's event source mapping delivers it.
    name = _catalog(crewbot).functions["queue_calendar_sync"].environment["CREWBOT_QUEUE"]
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=crewbot.namer.queue(name))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert len(messages) == 1, "the monitor should queue one item per active user"
    record = {
        "messageId": messages[0]["MessageId"],
        "receiptHandle": messages[0]["ReceiptHandle"],
        "body": messages[0]["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{crewbot.namer.queue(name)}",
    }
    worker = aws()
    recorder.clear()
    response = run_batch(worker, name, {"Records": [record]}, None)
    assert response == {"batchItemFailures": []}
    problems += _check("queue_calendar_sync", recorder, worker)
    assert not problems, "calls outside the functions' policies:\n" + "\n".join(problems)


def test_project_tasks_stay_within_their_policies(aws: Callable[[], Crewbot], recorder: list[Call]) -> None:
    from plugins.projects.service import project_service

    sow = (Path(__file__).parents[1] / "projects" / "data" / "sample-sow.md").read_text(encoding="utf-8")
    seed = aws()
    project = project_service(seed).create(
        name="Acme store", sow_text=sow, channel_id="C0GENERAL", user_id="U1", start=False
    )
    payload = {"project_id": project.project_id, "phase": "discovery"}
    scenarios: list[tuple[str, str, dict[str, Any]]] = [
        ("task_run_project_phase", "RunProjectPhase", {**payload, "taskToken": "run-token"}),
        ("task_review_project_phase", "ReviewProjectPhase", payload),
        ("task_request_phase_approval", "RequestPhaseApproval", {**payload, "taskToken": "gate-token", "review": {}}),
        ("task_project_phase_failed", "ProjectPhaseFailed", {**payload, "error": {"Error": "X", "Cause": "test"}}),
        ("task_finish_project", "FinishProject", payload),
    ]
    problems: list[str] = []
    for function, task, task_payload in scenarios:
        crewbot = aws()
        recorder.clear()
        try:
            _task(crewbot, task, task_payload)
        except Exception as exc:
            # moto knows no such task token: the run's answer fails after the calls being checked.
            assert "token" in str(exc).lower(), f"{task} failed: {exc!r}"
        problems += _check(function, recorder, crewbot)
    assert not problems, "calls outside the functions' policies:\n" + "\n".join(problems)


def test_the_slack_entry_point_stays_within_its_policy(aws: Callable[[], Crewbot], recorder: list[Call]) -> None:
    from bot.emulator import Emulator

    crewbot = aws()
    _meeting(crewbot)
    # The emulator drives the same Bolt request handler the Lambda uses, lazy listeners included.
    emulator = Emulator(crewbot)
    try:
        recorder.clear()
        emulator.play("""
            hello
            /prep
            home
        """)
        assert not emulator.take_errors()
    finally:
        emulator.close()
    problems = _check("bot", recorder, crewbot)
    assert not problems, "calls outside the bot function's policy:\n" + "\n".join(problems)


def test_the_fargate_phase_runner_stays_within_its_policies(
    aws: Callable[[], Crewbot], recorder: list[Call], tmp_path: Path
) -> None:
    from plugins.projects.runner import PhaseRunner
    from plugins.projects.service import project_service

    sow = (Path(__file__).parents[1] / "projects" / "data" / "sample-sow.md").read_text(encoding="utf-8")
    seed = aws()
    project = project_service(seed).create(
        name="Acme store", sow_text=sow, channel_id="C0GENERAL", user_id="U1", start=False
    )
    name = seed.namer.name("phase_runner")
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="4096",  # moto sizes a task by its containers' memory
        containerDefinitions=[{"name": "crewbot", "image": "runner:1", "memory": 4096}],
    )
    # The launcher is configured as Terraform configures it with phase_runner = "ecs" (test_phase_runner.py
    # checks that environment): the aws fixture's runtimes read this file.
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # moto's ECS needs the ENI's DNS name
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="runner", Description="runner", VpcId=vpc)["GroupId"]
    settings = {
        "phase_runner": "ecs",
        "ecs": {"cluster": name, "task_definition": name, "subnets": [subnet], "security_groups": [group]},
    }
    (tmp_path / "crewbot.yaml").write_text(
        CONFIG + "plugins:\n  settings:\n    projects: " + json.dumps(settings) + "\n", encoding="utf-8"
    )
    launcher = aws()
    recorder.clear()
    run = _task(
        launcher, "RunProjectPhase", {"project_id": project.project_id, "phase": "discovery", "taskToken": "run-token"}
    )["run"]
    problems = _check("task_run_project_phase", recorder, launcher)
    started = [c for c in recorder if c[:2] == ("ecs", "RunTask")]
    assert len(started) == 1, f"the launcher should start one task: {recorder}"
    command = started[0][2]["overrides"]["containerOverrides"][0]["command"]
    assert command == ["crewbot", "projects", "run-phase", "--project", project.project_id, "--run", run]

    # The task: `crewbot projects run-phase` runs PhaseRunner.execute_run in a runtime without the ecs setting.
    (tmp_path / "crewbot.yaml").write_text(CONFIG, encoding="utf-8")
    container = aws()
    recorder.clear()
    try:
        PhaseRunner(container).execute_run(project.project_id, run)
    except Exception as exc:
        assert "token" in str(exc).lower(), f"the phase run failed: {exc!r}"  # moto knows no such task token
    assert any(c[1] == "SendTaskSuccess" or c[1] == "SendTaskFailure" for c in recorder), "the run answered nothing"
    problems += _check("phase_runner task", recorder, container, spec=_catalog(container).tasks["phase_runner"])
    assert not problems, "calls outside the policies:\n" + "\n".join(problems)
