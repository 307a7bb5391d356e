"""`crewbot doctor`: all green on a complete deployment (moto, the fake Slack), and each failure named with
what to do. Secret values never appear in the report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bot.deploy.doctor import FAIL, OK, Doctor
from bot.emulator.fake_slack import FakeSlack
from bot.runtime import Crewbot
from bot.slack.manifest import build_manifest
from tests.ops.conftest import REGION, deploy_everything, http_api, run_cli

TOKEN = "xoxb-doctor-test-token"


@pytest.fixture
def slack(aws_crewbot: Crewbot) -> Iterator[FakeSlack]:
    fake = FakeSlack(token=TOKEN).start()
    fake.scopes = sorted(build_manifest(aws_crewbot)["oauth_config"]["scopes"]["bot"])
    yield fake
    fake.stop()


@pytest.fixture
def deployed(aws_crewbot: Crewbot, slack: FakeSlack, tmp_path: Path) -> Crewbot:
    deploy_everything(aws_crewbot, tmp_path)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(SecretId=aws_crewbot.namer.secret("slack/bot-token"), SecretString=TOKEN)
    return aws_crewbot


_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
_BEDROCK = {
    "get_inference_profile": {
        "inferenceProfileName": "p",
        "inferenceProfileArn": _ARN,
        "models": [{"modelArn": _ARN}],
        "inferenceProfileId": "p",
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    },
    "get_foundation_model": {"modelDetails": {"modelArn": _ARN, "modelId": "m"}},
}


def _clients(crewbot: Crewbot, denied: str = "", endpoint: str = "https://abc.example") -> Callable[[str], Any]:
    """Client factory: moto for everything, stubs for Bedrock (moto has no model catalogue) and API Gateway."""

    def make(service: str) -> Any:
        if service == "apigatewayv2":
            return http_api(crewbot, endpoint)
        client = boto3.client(service, region_name=REGION)
        if service != "bedrock":
            return client
        stub = Stubber(client)
        for _ in range(4):
            for method in ("get_inference_profile", "get_foundation_model"):
                if denied:
                    stub.add_client_error(method, "AccessDeniedException", "no access")
                else:
                    stub.add_response(method, _BEDROCK[method])
        stub.activate()
        return client

    return make


def _doctor(crewbot: Crewbot, slack: FakeSlack, tmp_path: Path, **kwargs: Any) -> dict[str, Any]:
    clients = _clients(crewbot, **kwargs)
    checks = Doctor(crewbot, slack_base_url=slack.base_url, package_dir=tmp_path, client=clients).run()
    return {c.name: c for c in checks}


def test_a_complete_deployment_is_all_green(deployed: Crewbot, slack: FakeSlack, tmp_path: Path) -> None:
    checks = _doctor(deployed, slack, tmp_path)
    failed = [c.line() for c in checks.values() if c.status == FAIL]
    assert failed == []
    for name in ("AWS tables", "AWS queues", "AWS functions", "Slack auth.test", "Slack scopes", "Slack request URL"):
        assert checks[name].status == OK, checks[name].line()
    assert "running the packaged code" in checks["AWS functions"].detail
    assert checks["model nova-lite"].status == OK
    assert all(c.status == OK for n, c in checks.items() if n.startswith("state machine "))
    assert (
        "live runs version 1, whose definition matches meeting_prep.asl.json"
        in checks["state machine meeting_prep"].detail
    )
    assert TOKEN not in "\n".join(c.line() for c in checks.values())


def _drop_table(crewbot: Crewbot) -> None:
    boto3.client("dynamodb", region_name=REGION).delete_table(TableName=crewbot.namer.table("meetings"))


def _empty_secret(crewbot: Crewbot) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    name = crewbot.namer.secret("google/oauth-client")
    secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    secrets.create_secret(Name=name)  # exists, no value


def _drift(crewbot: Crewbot) -> None:
    """The live alias on a version with another definition (an apply of other workflows, or a rollback)."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = Doctor(crewbot).state_machine_arn("meeting_prep")
    changed = '{"StartAt": "x", "States": {"x": {"Type": "Succeed"}}}'
    version = sfn.update_state_machine(stateMachineArn=arn, definition=changed, publish=True)["stateMachineVersionArn"]
    route = {"stateMachineVersionArn": version, "weight": 100}
    sfn.update_state_machine_alias(stateMachineAliasArn=f"{arn}:live", routingConfiguration=[route])


def _no_alias(crewbot: Crewbot) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.delete_state_machine_alias(stateMachineAliasArn=f"{Doctor(crewbot).state_machine_arn('meeting_prep')}:live")


def _drop_queue(crewbot: Crewbot) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=crewbot.namer.queue("bot-async-dlq"))["QueueUrl"])


def _other_code(crewbot: Crewbot, tmp_path: Path) -> None:
    (tmp_path / "crewbot.zip").write_bytes(b"a newer package")


FAILURES: dict[str, tuple[Callable[..., None], str, str]] = {
    "table": (_drop_table, "AWS tables", "missing meetings"),
    "secret": (_empty_secret, "secret google_oauth_client", "has no value: run `crewbot secrets set"),
    "drift": (
        _drift,
        "state machine meeting_prep",
        "live runs version 2, whose definition differs from meeting_prep.asl.json",
    ),
    "no alias": (_no_alias, "state machine meeting_prep", "no live alias on a published version"),
    "queue": (_drop_queue, "AWS queues", "missing bot-async-dlq"),
    "code": (_other_code, "AWS functions", "run other code than the package"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_each_aws_failure_is_named_with_what_to_do(
    case: str, deployed: Crewbot, slack: FakeSlack, tmp_path: Path
) -> None:
    breaker, name, expected = FAILURES[case]
    breaker(*((deployed, tmp_path) if breaker is _other_code else (deployed,)))
    checks = _doctor(deployed, slack, tmp_path)
    assert checks[name].status == FAIL and expected in checks[name].detail, checks[name].line()
    assert [c.name for c in checks.values() if c.status == FAIL] == [name]


def test_slack_failures(deployed: Crewbot, slack: FakeSlack, tmp_path: Path) -> None:
    slack.scopes = ["chat:write"]
    checks = _doctor(deployed, slack, tmp_path)
    assert checks["Slack scopes"].status == FAIL and "im:history" in checks["Slack scopes"].detail
    slack.token = "xoxb-another-token"  # the stored token was revoked
    checks = _doctor(deployed, slack, tmp_path)
    assert checks["Slack auth.test"].status == FAIL and "invalid_auth" in checks["Slack auth.test"].detail
    assert "Slack scopes" not in checks


def test_no_http_api(deployed: Crewbot, slack: FakeSlack, tmp_path: Path) -> None:
    checks = _doctor(deployed, slack, tmp_path, endpoint="")
    assert (
        checks["Slack request URL"].status == FAIL and "no HTTP API is deployed" in checks["Slack request URL"].detail
    )


def test_model_access_denied(deployed: Crewbot, slack: FakeSlack, tmp_path: Path) -> None:
    checks = _doctor(deployed, slack, tmp_path, denied="yes")
    assert checks["model nova-lite"].status == FAIL
    assert (
        "AccessDeniedException" in checks["model nova-lite"].detail
        and "Bedrock console" in checks["model nova-lite"].detail
    )


def test_the_command_exits_1_on_any_failure(aws_crewbot: Crewbot, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(aws_crewbot, ["doctor"], capsys)
    assert status == 1 and "✗ AWS tables" not in out and "✗ AWS buckets: missing" in out
    assert out.strip().endswith("problems found")


def test_a_broken_configuration_is_one_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli.main import main

    bad = tmp_path / "crewbot.yaml"
    bad.write_text("runtime: cloud\n", encoding="utf-8")
    monkeypatch.setenv("CREWBOT_HOME", str(tmp_path))
    assert main(["--config", str(bad), "doctor"]) == 1
    assert capsys.readouterr().out.startswith("✗ configuration: ")
