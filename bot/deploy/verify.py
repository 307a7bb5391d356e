"""``crewbot deploy verify``: after ``terraform apply``, is the deployment answering?

* a signed ``url_verification`` and a signed ``ssl_check`` through the deployed HTTPS endpoint (what Slack
  sends when the request URL is saved, and its certificate check), signed with the deployed signing
  secret, which is read to sign and never printed;
* every function invoked with the harmless health check (:mod:`bot.entrypoints.health`);
* the alarms present (when the environment's ``alarms`` feature is on);
* the doctor's AWS checks (:class:`~bot.deploy.doctor.Doctor`).
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from bot.deploy.doctor import FAIL, OK, SKIP, Check, Doctor

#: Seconds to wait for the endpoint (a cold start included).
TIMEOUT_S = 15


def signed_post(url: str, body: bytes, content_type: str, signing_secret: str) -> tuple[int, str]:
    """POST ``body`` as Slack would, signed (``v0`` HMAC of timestamp and body); returns (status, text)."""
    from slack_sdk.signature import SignatureVerifier

    timestamp = str(int(time.time()))
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=timestamp, body=body.decode())
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")


class Verifier:
    """The post-deploy checks; ``doctor`` supplies the clients, names and catalog."""

    def __init__(self, doctor: Doctor, url: str | None = None):
        self.doctor = doctor
        self.crewbot = doctor.crewbot
        self.url = url

    def run(self) -> list[Check]:
        return [*self.endpoint(), *self.functions(), self.alarms(), *self.doctor.run(aws_only=True)]

    def endpoint(self) -> Iterator[Check]:
        url = self.url
        if url is None:
            try:
                url = self.doctor.request_url()
            except Exception as exc:
                yield Check("Slack endpoint", FAIL, f"cannot find the HTTP API: {type(exc).__name__}")
                return
        if url is None:
            yield Check("Slack endpoint", FAIL, "no HTTP API is deployed: run `terraform apply` (or pass --url)")
            return
        try:
            secret = self.crewbot.secrets.require("slack_signing_secret")
        except Exception as exc:
            yield Check(
                "Slack endpoint",
                FAIL,
                f"the signing secret cannot be read ({type(exc).__name__}): "
                f"`crewbot secrets set slack_signing_secret --env {self.crewbot.config.environment}`",
            )
            return
        challenge = secrets.token_urlsafe(24)
        body = json.dumps({"token": "verify", "challenge": challenge, "type": "url_verification"}).encode()
        yield self._post("url_verification", url, body, "application/json", secret, expect=challenge)
        form = urllib.parse.urlencode({"ssl_check": "1", "token": "verify"}).encode()
        yield self._post("ssl_check", url, form, "application/x-www-form-urlencoded", secret, expect=None)

    @staticmethod
    def _post(name: str, url: str, body: bytes, kind: str, secret: str, expect: str | None) -> Check:
        label = f"Slack {name}"
        try:
            status, text = signed_post(url, body, kind, secret)
        except Exception as exc:
            return Check(label, FAIL, f"{url} did not answer: {type(exc).__name__}: {exc}")
        if status == 401:
            return Check(
                label,
                FAIL,
                f"{url} refused the signature: the deployed signing secret differs from the one "
                "the functions read (set it again, wait 5 minutes for their cache)",
            )
        if status != 200 or (expect is not None and expect not in text):
            return Check(label, FAIL, f"{url} answered {status}: see the bot function's log group")
        return Check(label, OK, f"{url} answered 200")

    def functions(self) -> Iterator[Check]:
        from bot.entrypoints.health import HEALTH_CHECK

        lam = self.doctor.client("lambda")
        for name in sorted(self.doctor.catalog.functions):
            label = f"function {name}"
            try:
                response = lam.invoke(
                    FunctionName=self.doctor.namer.function(name),
                    InvocationType="RequestResponse",
                    Payload=json.dumps(HEALTH_CHECK).encode(),
                )
                raw = response["Payload"].read()
                answer: Any = json.loads(raw or b"null")
            except Exception as exc:
                yield Check(label, FAIL, f"could not be invoked: {type(exc).__name__}: {exc}")
                continue
            if response.get("FunctionError"):
                message = answer.get("errorMessage", "") if isinstance(answer, dict) else str(answer)
                yield Check(label, FAIL, f"{response['FunctionError']} error: {message} (see its log group)")
            elif not (isinstance(answer, dict) and answer.get("ok")):
                error = answer.get("error", answer) if isinstance(answer, dict) else answer
                yield Check(label, FAIL, f"unhealthy: {error}")
            else:
                yield Check(label, OK, f"healthy ({answer.get('runs', '')})")

    def alarms(self) -> Check:
        if not self.crewbot.config.features.alarms:
            return Check("alarms", SKIP, "the alarms feature is off in this environment")
        prefix = f"{self.doctor.namer.prefix}-"
        try:
            pages = self.doctor.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix)
            names = [a["AlarmName"] for page in pages for a in page.get("MetricAlarms", [])]
        except Exception as exc:
            return Check("alarms", FAIL, f"cannot list them: {type(exc).__name__}")
        dlqs = [n for n in names if "-dlq-depth-" in n]
        if not names or not dlqs:
            return Check(
                "alarms",
                FAIL,
                f"{len(names)} alarms, {len(dlqs)} on dead-letter queues: set alarms = true "
                "in the tfvars and `terraform apply`",
            )
        return Check("alarms", OK, f"{len(names)} alarms ({len(dlqs)} on dead-letter queues)")
