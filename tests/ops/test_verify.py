"""`crewbot deploy verify`: signed url_verification and ssl_check through an HTTPS-like endpoint (a local HTTP
server running the real Slack entry point), every function's health check, alarms, and the doctor's AWS
checks; and the health check each entry point answers."""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from slack_sdk import WebClient

from bot.deploy.doctor import FAIL, OK, Doctor
from bot.deploy.verify import Verifier
from bot.emulator.fake_slack import FakeSlack
from bot.entrypoints.health import HEALTH_CHECK
from bot.runtime import Crewbot, start
from tests.ops.conftest import REGION, deploy_everything, http_api

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
LAMBDA_CONTEXT = SimpleNamespace(
    function_name="crewbot-dev-bot",
    aws_request_id="r1",
    invoked_function_arn=f"arn:aws:lambda:{REGION}:123456789012:function:crewbot-dev-bot",
    get_remaining_time_in_millis=lambda: 30000,
)


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    """The deployed Slack function behind a local HTTP server, as API Gateway would call it."""
    from bot.entrypoints.slack import build_request_handler, invoke

    fake = FakeSlack(token="xoxb-endpoint").start()
    runtime = start(env="dev", environ={"CREWBOT_HOME": str(tmp_path / "endpoint")}, setup_logging=False)
    slack = build_request_handler(
        runtime, signing_secret=SECRET, client=WebClient(token="xoxb-endpoint", base_url=fake.base_url)
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            event = {
                "version": "2.0",
                "rawPath": self.path,
                "rawQueryString": "",
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "requestContext": {"http": {"method": "POST", "path": self.path}, "requestId": "r1"},
                "body": base64.b64encode(raw).decode(),
                "isBase64Encoded": True,
            }
            response = invoke(slack, event, LAMBDA_CONTEXT)
            body = response.get("body") or ""
            data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
            self.send_response(int(response["statusCode"]))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    runtime.close()
    fake.stop()


def _healthy(name: str) -> dict[str, Any]:
    return {"ok": True, "runs": f"x {name}", "function": name}


def _clients(crewbot: Crewbot, answers: dict[str, Any]) -> Any:
    """moto, with the health-check invocations (the first Lambda client: the verifier's) and API Gateway
    stubbed: moto cannot run the functions' code."""
    made: list[str] = []

    def make(service: str) -> Any:
        if service == "apigatewayv2":
            return http_api(crewbot)
        client = boto3.client(service, region_name=REGION)
        made.append(service)
        if service == "lambda" and made.count("lambda") == 1:
            stub = Stubber(client)
            for name in sorted(Doctor(crewbot).catalog.functions):
                answer = answers.get(name, _healthy(name))
                payload = json.dumps(answer).encode()
                response: dict[str, Any] = {
                    "StatusCode": 200,
                    "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
                }
                if isinstance(answer, dict) and "errorType" in answer:
                    response["FunctionError"] = "Unhandled"
                expected = {
                    "FunctionName": crewbot.namer.function(name),
                    "InvocationType": "RequestResponse",
                    "Payload": json.dumps(HEALTH_CHECK).encode(),
                }
                stub.add_response("invoke", response, expected)
            stub.activate()
        return client

    return make


@pytest.fixture
def deployed(aws_crewbot: Crewbot, tmp_path: Path) -> Crewbot:
    deploy_everything(aws_crewbot, tmp_path)
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(SecretId=aws_crewbot.namer.secret("slack/signing-secret"), SecretString=SECRET)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for name in ("lambda-errors-crewbot-dev-bot", "dlq-depth-crewbot-dev-bot-async-dlq"):
        cloudwatch.put_metric_alarm(
            AlarmName=f"crewbot-dev-{name}",
            MetricName="Errors",
            Namespace="AWS/Lambda",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        )
    return aws_crewbot


def _verify(crewbot: Crewbot, url: str, tmp_path: Path, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    doctor = Doctor(crewbot, package_dir=tmp_path, client=_clients(crewbot, answers or {}))
    return {c.name: c for c in Verifier(doctor, url=url).run()}


def test_a_healthy_deployment_verifies(deployed: Crewbot, endpoint: str, tmp_path: Path) -> None:
    checks = _verify(deployed, endpoint, tmp_path)
    assert [c.line() for c in checks.values() if c.status == FAIL] == []
    assert checks["Slack url_verification"].status == OK and checks["Slack ssl_check"].status == OK
    assert checks["function bot"].status == OK and checks["alarms"].status == OK
    assert checks["AWS tables"].status == OK
    assert SECRET not in "\n".join(c.line() for c in checks.values())


def test_a_wrong_signing_secret_is_named(deployed: Crewbot, endpoint: str, tmp_path: Path) -> None:
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(SecretId=deployed.namer.secret("slack/signing-secret"), SecretString="not-the-one")
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    checks = _verify(deployed, endpoint, tmp_path)
    assert checks["Slack url_verification"].status == FAIL
    assert "refused the signature" in checks["Slack url_verification"].detail


def test_unhealthy_and_failing_functions_and_missing_alarms(deployed: Crewbot, endpoint: str, tmp_path: Path) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    cloudwatch.delete_alarms(AlarmNames=["crewbot-dev-dlq-depth-crewbot-dev-bot-async-dlq"])
    answers = {
        "task_load_meeting": {"ok": False, "error": "no workflow task named 'LoadMeeting' is registered"},
        "bot": {"errorType": "SecretNotFound", "errorMessage": "secret 'slack_bot_token' is not set"},
    }
    checks = _verify(deployed, endpoint, tmp_path, answers)
    assert "LoadMeeting" in checks["function task_load_meeting"].detail
    assert checks["function bot"].status == FAIL and "SecretNotFound" not in checks["function bot"].detail
    assert "slack_bot_token" in checks["function bot"].detail
    assert checks["alarms"].status == FAIL and "0 on dead-letter queues" in checks["alarms"].detail


def test_no_endpoint_answering(deployed: Crewbot, tmp_path: Path) -> None:
    checks = _verify(deployed, "http://127.0.0.1:9/slack/events", tmp_path)
    assert (
        checks["Slack url_verification"].status == FAIL and "did not answer" in checks["Slack url_verification"].detail
    )


def test_entry_points_answer_the_health_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.entrypoints import events, queues, workflows

    monkeypatch.setenv("CREWBOT_HOME", str(tmp_path))
    for module in (events, queues, workflows):
        module._runtime.cache_clear()
    events._registered.cache_clear()
    workflows._tasks.cache_clear()
    monkeypatch.setenv("CREWBOT_WORKFLOW_TASK", "LoadMeeting")
    assert workflows.handler(dict(HEALTH_CHECK), None)["ok"] is True
    monkeypatch.setenv("CREWBOT_WORKFLOW_TASK", "NoSuchTask")
    answer = workflows.handler(dict(HEALTH_CHECK), None)
    assert answer["ok"] is False and "NoSuchTask" in answer["error"]
    monkeypatch.setenv("CREWBOT_SCHEDULE", "calendar-monitor")
    assert events.schedule_handler(dict(HEALTH_CHECK), None) == {
        "ok": True,
        "runs": "schedule calendar-monitor",
        "function": "",
    }
    monkeypatch.setenv("CREWBOT_EVENT_HANDLER", "meeting-prep-start")
    assert events.event_handler(dict(HEALTH_CHECK), None)["ok"] is True  # type: ignore[index]
    monkeypatch.setenv("CREWBOT_QUEUE", "calendar-sync")
    assert queues.handler(dict(HEALTH_CHECK), None)["ok"] is True
    for module in (events, queues, workflows):
        module._runtime.cache_clear()
    events._registered.cache_clear()
    workflows._tasks.cache_clear()
