"""``crewbot secrets set NAME`` (asks for the value without echo) and ``crewbot secrets check``.

In ``runtime: aws`` the value goes to Secrets Manager (or SSM Parameter Store, as the secret's ``source``
says) under ``<project>/<environment>/<name>``, with the operator's credentials; locally to the data
directory's ``.env`` file (readable by its owner only). Values are never printed or logged; setting one
is recorded in the audit log by name.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from bot.cli.context import CliContext


def add_to(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("secrets", help="set a secret (no echo) or check that every secret exists")
    commands = parser.add_subparsers(dest="secrets_command", metavar="STEP", required=True)
    setter = commands.add_parser("set", help="store a secret's value, typed without echo")
    setter.add_argument("name", help="the secret's name in configuration (e.g. slack_bot_token)")
    setter.set_defaults(func=run_set)
    check = commands.add_parser("check", help="every secret exists and has a value (names only)")
    check.set_defaults(func=run_check)


def run_set(ctx: CliContext) -> int:
    crewbot = ctx.crewbot
    name = ctx.args.name
    if name not in crewbot.config.secrets:
        known = ", ".join(sorted(crewbot.config.secrets))
        print(f"crewbot secrets: no secret {name!r} is configured (known: {known})", file=sys.stderr)
        return 2
    value = getpass.getpass(f"{name} ({crewbot.secrets.describe(name)}): ")
    if not value:
        print("crewbot secrets: nothing typed, nothing stored", file=sys.stderr)
        return 1
    spec = crewbot.config.secrets[name]
    if crewbot.config.runtime == "aws":
        import boto3

        from bot.deploy.dlq import AUDIT_SCOPE, operator

        region = crewbot.config.aws.region
        path = crewbot.namer.secret(spec.name)
        if spec.source == "secretsmanager":
            boto3.client("secretsmanager", region_name=region).put_secret_value(SecretId=path, SecretString=value)
        else:
            ssm = boto3.client("ssm", region_name=region)
            ssm.put_parameter(Name=f"/{path}", Value=value, Type="SecureString", Overwrite=True)
        actor = operator(crewbot)
    else:
        from bot.deploy.dlq import AUDIT_SCOPE, operator

        _write_dotenv(Path(crewbot.config.home) / ".env", spec.env, value)
        actor = operator(crewbot)
    crewbot.records.audit.record(AUDIT_SCOPE, actor, "secret.set", name)
    ctx.print(f"stored {name} ({crewbot.secrets.describe(name)}); functions pick it up within 5 minutes")
    return 0


def _write_dotenv(path: Path, variable: str, value: str) -> None:
    """Set ``variable`` in a ``.env`` file, keeping its other lines; the file is the owner's only."""
    from dotenv import set_key

    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
    os.chmod(path, 0o600)
    set_key(str(path), variable, value, quote_mode="always")


def run_check(ctx: CliContext) -> int:
    from bot.deploy.doctor import FAIL, Doctor

    checks = list(Doctor(ctx.crewbot).secrets())
    for check in checks:
        ctx.print(check.line())
    return 1 if any(c.status == FAIL for c in checks) else 0
