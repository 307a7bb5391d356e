"""``crewbot doctor``: is this environment ready to run? One :class:`Check` per thing, each saying what to do.

It checks the configuration and plugins, that every secret exists (names only: a value is never read
where a metadata call answers, and never printed), Slack (``auth.test``, the token's scopes against the
manifest, the request URL), in AWS the deployed tables, buckets, queues, schedules, state machines (the
version each one's ``live`` alias runs has the registered ASL file's definition) and functions (running
the packaged code), model access for each configured Bedrock profile, and the calendar OAuth settings.
AWS calls use the operator's credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "fail", "skip"]
OK: Status = "ok"
FAIL: Status = "fail"
SKIP: Status = "skip"
MARK = {OK: "✓", FAIL: "✗", SKIP: "·"}
#: Inference profile ids start with a geography (``us.amazon.nova-lite-v1:0``); the others are model ids.
_PROFILE = re.compile(r"^(us|eu|apac|us-gov|global)\.")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, the outcome, and what was found or what to do."""

    name: str
    status: Status
    detail: str = ""

    def line(self) -> str:
        return f"{MARK[self.status]} {self.name}" + (f": {self.detail}" if self.detail else "")


ClientFactory = Callable[[str], Any]


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__


class Doctor:
    """The checks for one runtime. ``client(service)`` makes boto3 clients (moto or stubs in tests);
    ``slack_base_url`` points the Slack checks at another Web API (the fake Slack in tests)."""

    def __init__(
        self,
        crewbot: Any,
        *,
        client: ClientFactory | None = None,
        slack_base_url: str | None = None,
        package_dir: Path | None = None,
    ):
        import boto3

        self.crewbot = crewbot
        self.config = crewbot.config
        self.namer = crewbot.namer
        region = self.config.aws.region
        self.client: ClientFactory = client or (lambda service: boto3.client(service, region_name=region))  # type: ignore[call-overload]
        self.slack_base_url = slack_base_url
        self.package_dir = package_dir
        self.aws = self.config.runtime == "aws"
        from bot.deploy.catalog import build_catalog

        self.catalog = build_catalog(crewbot)

    # -- all of it -----------------------------------------------------------------------------------

    def run(self, *, aws_only: bool = False) -> list[Check]:
        """Every check, in report order (``aws_only``: the deployed resources only, for ``deploy verify``)."""
        if aws_only:
            return list(self.aws_resources())
        return [
            *self.plugins(),
            *self.secrets(),
            *self.slack(),
            *self.aws_resources(),
            *self.models(),
            *self.calendars(),
        ]

    def plugins(self) -> Iterator[Check]:
        errors = self.crewbot.plugins.errors()
        for name, problems in sorted(errors.items()):
            yield Check(f"plugin {name}", FAIL, "; ".join(problems) + " (fix it or deny the plugin)")
        if not errors:
            yield Check("configuration and plugins", OK, f"{len(self.crewbot.plugins.active())} plugins loaded")

    # -- secrets -------------------------------------------------------------------------------------

    def secrets(self) -> Iterator[Check]:
        names = self.catalog.secrets if self.aws else tuple(sorted(self.config.secrets))
        for name in names:
            where = self.crewbot.secrets.describe(name)
            if not self.aws:
                if self.crewbot.secrets.is_set(name):
                    yield Check(f"secret {name}", OK, f"set ({where})")
                else:
                    yield Check(f"secret {name}", SKIP, f"not set ({where}); needed only with real Slack or calendars")
                continue
            yield self._aws_secret(name, where)

    def _aws_secret(self, name: str, where: str) -> Check:
        spec = self.config.secrets[name]
        path = self.namer.secret(spec.name)
        todo = f"run `crewbot secrets set {name} --env {self.config.environment}`"
        try:
            if spec.source == "secretsmanager":
                versions = self.client("secretsmanager").list_secret_version_ids(SecretId=path)["Versions"]
                if not any("AWSCURRENT" in v.get("VersionStages", []) for v in versions):
                    return Check(f"secret {name}", FAIL, f"{where} has no value: {todo}")
            else:
                self.client("ssm").describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"/{path}"]}])[
                    "Parameters"
                ][0]
        except Exception as exc:
            code = _error_code(exc)
            if code in ("ResourceNotFoundException", "IndexError", "ParameterNotFound"):
                return Check(f"secret {name}", FAIL, f"{where} does not exist: run `terraform apply`, then {todo}")
            return Check(f"secret {name}", FAIL, f"{where}: {code} (may these credentials read it?)")
        return Check(f"secret {name}", OK, f"{where} has a value")

    # -- Slack -----------------------------------------------------------------------------------------

    def slack(self) -> Iterator[Check]:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        try:
            token = self.crewbot.secrets.get("slack_bot_token")
        except Exception as exc:
            yield Check("Slack", FAIL, f"the bot token cannot be read: {type(exc).__name__}")
            return
        if not token:
            status = FAIL if self.aws else SKIP
            yield Check("Slack", status, "no bot token: set slack_bot_token (the local emulator needs none)")
            return
        from bot.slack.client import slack_client

        # The runtime's Web API (the fake Slack in tests), asked with the configured token.
        client = WebClient(token=token, base_url=self.slack_base_url or slack_client(self.crewbot).base_url)
        try:
            response = client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error", "error")
            yield Check(
                "Slack auth.test",
                FAIL,
                f"{error}: the bot token is wrong or revoked; copy the Bot User "
                "OAuth Token (OAuth & Permissions) into slack_bot_token",
            )
            return
        except Exception as exc:
            yield Check("Slack auth.test", FAIL, f"Slack is unreachable: {type(exc).__name__}")
            return
        yield Check("Slack auth.test", OK, f"bot {response.get('user')} in {response.get('team')}")
        yield self._scopes(response.headers)
        yield from self._request_url()

    def _scopes(self, headers: Any) -> Check:
        from bot.slack.manifest import build_manifest

        wanted = set(build_manifest(self.crewbot)["oauth_config"]["scopes"]["bot"])
        header = {k.lower(): v for k, v in dict(headers or {}).items()}.get("x-oauth-scopes")
        if header is None:
            return Check("Slack scopes", SKIP, "Slack did not report the token's scopes")
        granted = {s.strip() for s in str(header).split(",") if s.strip()}
        missing = sorted(wanted - granted)
        if missing:
            return Check(
                "Slack scopes",
                FAIL,
                f"missing {', '.join(missing)}: update the app from `crewbot manifest --output -` and reinstall it",
            )
        return Check("Slack scopes", OK, f"the token has the manifest's {len(wanted)} scopes")

    def request_url(self) -> str | None:
        """The deployed Slack request URL (API Gateway's endpoint + ``/slack/events``), if the API exists.

        With a CloudFront distribution in front of the API (Terraform's ``waf_rate_limit``), the
        distribution's URL instead: the API refuses requests that do not come through it.
        """
        name = f"{self.namer.prefix}-slack"
        for api in self.client("apigatewayv2").get_apis().get("Items", []):
            if api.get("Name") == name:
                return f"{self.cloudfront_url(api['ApiEndpoint']) or api['ApiEndpoint']}/slack/events"
        return None

    def cloudfront_url(self, api_endpoint: str) -> str | None:
        """``https://`` + the first alias (else the domain) of the CloudFront distribution whose origin is the API."""
        host = api_endpoint.removeprefix("https://").rstrip("/")
        for page in self.client("cloudfront").get_paginator("list_distributions").paginate():
            for distribution in page.get("DistributionList", {}).get("Items", []):
                if any(o.get("DomainName") == host for o in distribution.get("Origins", {}).get("Items", [])):
                    aliases = distribution.get("Aliases", {}).get("Items") or [distribution["DomainName"]]
                    return f"https://{aliases[0]}"
        return None

    def _request_url(self) -> Iterator[Check]:
        if not self.aws:
            yield Check("Slack request URL", SKIP, "local runtime: the emulator or Socket Mode")
            return
        try:
            url = self.request_url()
        except Exception as exc:
            yield Check("Slack request URL", FAIL, f"{_error_code(exc)} listing the HTTP APIs")
            return
        if url is None:
            yield Check("Slack request URL", FAIL, "no HTTP API is deployed: run `terraform apply`")
        else:
            yield Check("Slack request URL", OK, f"{url} (the app's request URL must be this)")

    # -- AWS resources -------------------------------------------------------------------------------

    def aws_resources(self) -> Iterator[Check]:
        if not self.aws:
            yield Check("AWS resources", SKIP, "local runtime (use --env with runtime: aws)")
            return
        yield self._each("tables", sorted(self.catalog.tables), self._table)
        yield self._each("buckets", list(self.catalog.buckets), self._bucket)
        queues = [*sorted(self.catalog.queues), *[f"{q}-dlq" for q in sorted(self.catalog.queues)]]
        from bot.deploy.dlq import ASYNC_TRIGGERS

        queues += [f"{fn}-async-dlq" for fn, f in sorted(self.catalog.functions.items()) if f.trigger in ASYNC_TRIGGERS]
        yield self._each("queues", queues, self._queue)
        yield self._each("schedules", sorted(self.catalog.schedules), self._schedule)
        for name in sorted(self.catalog.workflows):
            yield self._state_machine(name)
        yield from self._functions()

    def _each(self, kind: str, names: list[str], probe: Callable[[str], None]) -> Check:
        missing: list[str] = []
        for name in names:
            try:
                probe(name)
            except Exception as exc:
                missing.append(f"{name} ({_error_code(exc)})")
        if missing:
            return Check(f"AWS {kind}", FAIL, f"missing {', '.join(missing)}: run `terraform apply`")
        return Check(f"AWS {kind}", OK, f"{len(names)} found")

    def _table(self, name: str) -> None:
        self.client("dynamodb").describe_table(TableName=self.namer.table(name))

    def _bucket(self, name: str) -> None:
        self.client("s3").head_bucket(Bucket=self.namer.bucket(name))

    def _queue(self, name: str) -> None:
        self.client("sqs").get_queue_url(QueueName=self.namer.queue(name))

    def _schedule(self, name: str) -> None:
        prefix = self.namer.prefix
        self.client("scheduler").get_schedule(Name=f"{prefix}-{name.replace('_', '-')}", GroupName=f"{prefix}-fixed")

    def expected_definition(self, name: str) -> Any:
        """The registered definition as Terraform renders it (placeholders bound to the deployed names)."""
        from bot.deploy.catalog import function_name

        account, region = self.config.aws.account_id, self.config.aws.region
        bindings = {"EventBusName": self.namer.name("bus"), "ScheduleGroupName": self.namer.prefix}

        def bind(match: re.Match[str]) -> str:
            key = match.group(1)
            if key.endswith("FunctionArn"):
                fn = self.namer.function(function_name("workflow_task", key.removesuffix("FunctionArn")))
                return f"arn:aws:lambda:{region}:{account}:function:{fn}:live"
            return bindings.get(key, match.group(0))

        text = self.catalog.workflows[name].source.read_text(encoding="utf-8")
        return json.loads(_PLACEHOLDER.sub(bind, text))

    def state_machine_arn(self, name: str) -> str:
        account, region = self.config.aws.account_id, self.config.aws.region
        return f"arn:aws:states:{region}:{account}:stateMachine:{self.namer.state_machine(name)}"

    def _state_machine(self, name: str) -> Check:
        from bot.deploy.rollback import ALIAS, alias_version

        label = f"state machine {name}"
        sfn = self.client("stepfunctions")
        arn = self.state_machine_arn(name)
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
        except Exception as exc:
            return Check(label, FAIL, f"{_error_code(exc)}: run `terraform apply`")
        # Executions run the version the alias routes to, not the state machine's latest definition.
        try:
            version = alias_version(sfn, arn)
            deployed = sfn.describe_state_machine(stateMachineArn=f"{arn}:{version}")
        except Exception as exc:
            return Check(
                label, FAIL, f"no {ALIAS} alias on a published version ({_error_code(exc)}): `terraform apply`"
            )
        source = self.catalog.workflows[name].source.name
        if json.loads(deployed["definition"]) != self.expected_definition(name):
            return Check(
                label,
                FAIL,
                f"{ALIAS} runs version {version}, whose definition differs from {source}: `make package`, "
                f"`terraform apply` (or, after a rollback, `crewbot deploy promote --workflow {name}`)",
            )
        return Check(label, OK, f"{ALIAS} runs version {version}, whose definition matches {source}")

    def _package_hash(self) -> str | None:
        if self.package_dir is None or not (self.package_dir / "crewbot.zip").is_file():
            return None
        digest = hashlib.sha256((self.package_dir / "crewbot.zip").read_bytes()).digest()
        return base64.b64encode(digest).decode()

    def _functions(self) -> Iterator[Check]:
        expected = self._package_hash()
        lam = self.client("lambda")
        missing, stale = [], []
        for name in sorted(self.catalog.functions):
            try:
                config = lam.get_function(FunctionName=self.namer.function(name))["Configuration"]
            except Exception as exc:
                missing.append(f"{name} ({_error_code(exc)})")
                continue
            if expected is not None and config.get("CodeSha256") != expected:
                stale.append(name)
        if missing:
            yield Check("AWS functions", FAIL, f"missing {', '.join(missing)}: run `terraform apply`")
        elif stale:
            yield Check("AWS functions", FAIL, f"{', '.join(stale)} run other code than the package: `terraform apply`")
        else:
            what = "running the packaged code" if expected else "deployed (no local package to compare)"
            yield Check("AWS functions", OK, f"{len(self.catalog.functions)} {what}")

    # -- models and calendars -------------------------------------------------------------------------

    def models(self) -> Iterator[Check]:
        profiles = {n: p for n, p in self.config.models.profiles.items() if p.provider == "bedrock" and p.model_id}
        if not self.aws:
            yield Check("model access", SKIP, "local runtime: agents use the configured profile or the offline model")
            return
        for name, profile in sorted(profiles.items()):
            model = str(profile.model_id)
            region = profile.region or self.config.aws.region
            try:
                bedrock = self.client("bedrock")
                if _PROFILE.match(model):
                    bedrock.get_inference_profile(inferenceProfileIdentifier=model)
                else:
                    bedrock.get_foundation_model(modelIdentifier=model)
            except Exception as exc:
                yield Check(
                    f"model {name}",
                    FAIL,
                    f"{model} in {region}: {_error_code(exc)}: turn on model access "
                    "in the Bedrock console, or fix the profile's model_id",
                )
                continue
            yield Check(f"model {name}", OK, f"{model} available in {region}")

    def calendars(self) -> Iterator[Check]:
        active = set(self.crewbot.plugins.active())
        providers = sorted(p for p in ("calendar_google", "calendar_microsoft") if p in active)
        if not providers or "meeting_prep" not in active:
            yield Check("calendar OAuth", SKIP, "no OAuth calendar provider is enabled")
            return
        # The consent links' base is a setting of whichever enabled plugin serves the OAuth callback,
        # found by the setting it declares rather than by the name the plugin was installed under.
        settings = self.crewbot.plugins.settings
        found = (getattr(settings.get(name), "oauth_base_url", None) for name in sorted(active))
        base = next((value for value in found if value), None)
        if self.aws:
            # Terraform tells the functions the API's URL; the consent links must come back to it.
            try:
                url = self.request_url()
            except Exception:
                url = None
            deployed = url.removesuffix("/slack/events") if url else None
            if deployed is None or (base and base.rstrip("/") != deployed):
                yield Check(
                    "calendar OAuth",
                    FAIL,
                    f"the OAuth base URL ({base or 'unset'}) is not the deployed API "
                    f"({deployed or 'none'}): `terraform apply`, then register the redirect URLs again",
                )
                return
            base = deployed
        for provider in providers:
            secret = f"{provider.removeprefix('calendar_')}_oauth_client"
            if secret not in self.config.secrets:
                yield Check(f"calendar OAuth {provider}", FAIL, f"no secret {secret} is configured")
            else:
                yield Check(
                    f"calendar OAuth {provider}",
                    OK,
                    f"redirect {base or '(local)'}/oauth/{provider.removeprefix('calendar_')}/callback",
                )
