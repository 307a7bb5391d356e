"""The Slack function runs from its own package alone: the code artefact and the slim layer's
distributions (:data:`~bot.deploy.package.SLACK_FUNCTION_DISTRIBUTIONS`), in an isolated interpreter
(``-I -S``: nothing else on ``sys.path``), serve every path the function has (tests/infra/
slack_function_scenario.py) through ``bot.entrypoints.slack.handler`` in ``runtime: aws`` against moto's
server and the fake Slack. A path importing a distribution the slim layer lacks fails here, naming it,
rather than in AWS; so does a distribution in the list that no path imports."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator, Mapping
from importlib.metadata import distribution, packages_distributions
from pathlib import Path
from typing import Any

import boto3
import pytest

from bot.deploy import build_catalog
from bot.deploy.catalog import lambda_environment
from bot.deploy.package import (
    GOOGLE_DISCOVERY_KEEP,
    SLACK_FUNCTION_DISTRIBUTIONS,
    build_code_zip,
    canonical_name,
    distribution_files,
)
from bot.emulator.workspace import ADMIN_USER, user_id_for
from bot.runtime import start
from bot.slack.snapshot import PACKAGED_NAME, build_snapshot
from bot.storage.dynamodb import create_buckets, create_tables
from bot.storage.tables import BUCKETS
from tests.infra.conftest import ACCOUNT, WORKFLOWS
from tests.projects.test_sow import docx_bytes, minimal_pdf

SCENARIO = Path(__file__).with_name("slack_function_scenario.py")
GOOGLE_EVENTS = Path(__file__).parents[1] / "meeting_prep" / "fixtures" / "google" / "resync.json"
REGION = "us-east-1"
OURS = {"bot", "plugins", "tests", "benchmarks"}
#: Distributions a Slack path tries to import but works without, so the slim layer leaves them out.
OPTIONAL = {"pillow": "pypdf imports PIL if present, for images; SOW text is read without it"}


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[dict[str, str]]:
    """moto's server holding what Terraform creates for the Slack function; the function's environment."""
    from moto.server import ThreadedMotoServer

    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # one line per AWS call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    home = tmp_path / "home"
    crewbot = start(
        environ={"CREWBOT_HOME": str(home), "CREWBOT_RUNTIME": "aws", "CREWBOT_AWS__ACCOUNT_ID": f"'{ACCOUNT}'"},
        setup_logging=False,
    )
    try:
        environ = {
            **lambda_environment(crewbot.config, ACCOUNT),
            **credentials,
            "CREWBOT_HOME": str(home),
            "CREWBOT_MODELS__DEFAULT": "offline",
            "CREWBOT_PLUGINS__SETTINGS__MEETING_PREP__OAUTH_BASE_URL": "https://api.example.com",
            "AWS_ENDPOINT_URL": url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        session = boto3.session.Session(
            region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=url)  # type: ignore[call-overload]

        namer, catalog = crewbot.namer, build_catalog(crewbot)
        create_tables(client("dynamodb"), namer, list(catalog.tables.values()))
        create_buckets(client("s3"), namer, REGION, list(BUCKETS))
        client("events").create_event_bus(Name=namer.name("bus"))
        client("scheduler").create_schedule_group(Name=namer.prefix)
        for queue in catalog.queues:
            for name in (queue, f"{queue}-dlq"):
                client("sqs").create_queue(QueueName=namer.queue(name))
        kms = client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{namer.prefix}", TargetKeyId=key)
        values = {
            "slack_signing_secret": "a-signing-secret",
            "slack_bot_token": "xoxb-scenario",
            "google_oauth_client": json.dumps({"client_id": "gid", "client_secret": "gsecret"}),
            "microsoft_oauth_client": json.dumps({"tenant_id": "tid", "client_id": "mid", "client_secret": "msec"}),
        }
        for key_name, spec in crewbot.config.secrets.items():
            client("secretsmanager").create_secret(
                Name=namer.secret(spec.name), SecretString=values.get(key_name, "unused")
            )
        role = f"arn:aws:iam::{ACCOUNT}:role/{namer.name('states')}"
        for path in sorted(WORKFLOWS.glob("*.asl.json")):
            definition = re.sub(
                r"\$\{(\w+)\}", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:task", path.read_text(encoding="utf-8")
            )
            client("stepfunctions").create_state_machine(
                name=namer.state_machine(path.name.removesuffix(".asl.json")), definition=definition, roleArn=role
            )
        yield environ
    finally:
        crewbot.close()
        server.stop()
        werkzeug.setLevel(level)


def slack_package(tmp_path: Path) -> tuple[Path, Path]:
    """The Slack function's package as `make package` builds it: the code zip, unzipped, with its
    routing snapshot, and the slim layer's ``python/`` (the same distributions, copied by their RECORDs
    from this environment). Its configuration names an admin (the emulator's), as a deployment's would."""
    code = tmp_path / "code"
    with zipfile.ZipFile(build_code_zip(tmp_path / "crewbot.zip")) as zf:
        zf.extractall(code)
    config = code / "bot" / "_data" / "config" / "crewbot.yaml"
    text = config.read_text(encoding="utf-8")
    assert "  admins: []" in text
    config.write_text(text.replace("  admins: []", f"  admins: [{user_id_for(ADMIN_USER)}]", 1), encoding="utf-8")
    crewbot = start(config_file=config, environ={"CREWBOT_HOME": str(tmp_path / "build")}, setup_logging=False)
    try:
        build_snapshot(crewbot).write(code / PACKAGED_NAME)
    finally:
        crewbot.close()
    layer = tmp_path / "layer" / "python"
    for name, path in distribution_files(Path(sysconfig.get_paths()["purelib"]), SLACK_FUNCTION_DISTRIBUTIONS):
        if name.startswith("googleapiclient/discovery_cache/documents/") and path.name not in GOOGLE_DISCOVERY_KEEP:
            continue  # pruned by `make package` too
        target = layer / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        # This environment's bytecode too (its source's time kept, so it stays valid): the scenario then
        # spends its time serving requests rather than compiling the layer.
        cached = Path(importlib.util.cache_from_source(str(path)))
        if path.suffix == ".py" and cached.is_file():
            (target.parent / "__pycache__").mkdir(exist_ok=True)
            shutil.copy2(cached, target.parent / "__pycache__" / cached.name)
    return code, layer


def providers(module: str, owners: Mapping[str, list[str]]) -> list[str]:
    """The distributions of this environment that install ``module`` (a submodule: those of its top-level
    package whose files include it, as several distributions share the ``google`` namespace)."""
    top, _, rest = module.partition(".")
    if not rest:
        return list(owners.get(top, ()))
    stem = module.replace(".", "/")
    return [
        name
        for name in owners.get(top, ())
        if any(str(f) == f"{stem}.py" or str(f).startswith(f"{stem}/") for f in distribution(name).files or ())
    ]


def test_the_slack_function_serves_every_path_from_its_package_alone(aws: dict[str, str], tmp_path: Path) -> None:
    code, layer = slack_package(tmp_path)
    pdf, docx = tmp_path / "sow.pdf", tmp_path / "sow.docx"
    pdf.write_bytes(minimal_pdf("Objectives: Sell Acme products online"))
    docx.write_bytes(docx_bytes())
    setup = tmp_path / "setup.json"
    setup.write_text(
        json.dumps(
            {"paths": [str(code), str(layer)], "pdf": str(pdf), "docx": str(docx), "google_events": str(GOOGLE_EVENTS)}
        )
    )
    # -I -S: no site-packages, no PYTHON* variables, no current directory — only the package.
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(SCENARIO), str(setup)],
        capture_output=True,
        text=True,
        env=aws,
        cwd=tmp_path,
        timeout=300,
    )
    owners = packages_distributions()
    lines = done.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("{"), done.stderr[-6000:]
    report = json.loads(lines[-1])
    missing = {canonical_name(d) for name in report["missing"] for d in providers(name, owners)}
    missing -= SLACK_FUNCTION_DISTRIBUTIONS | set(OPTIONAL)
    assert not missing, f"add to SLACK_FUNCTION_DISTRIBUTIONS: {sorted(missing)}\n{report.get('failure', '')}"
    assert "failure" not in report, report["failure"] + done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-6000:]
    assert not report["errors"], report["errors"]

    served, registered = report["served"], report["registered"]
    for kind, names in registered.items():
        unserved = set(names) - set(served[kind]) - {n for n in names if n.startswith("^")}
        assert not unserved, f"registered {kind} the scenario does not serve: {sorted(unserved)}"

    imported: set[str] = set()
    for top in {m.split(".")[0] for m in report["modules"]} - set(sys.stdlib_module_names) - OURS:
        imported.update(canonical_name(d) for d in owners.get(top, ()))
    unused = SLACK_FUNCTION_DISTRIBUTIONS - imported
    assert not unused, (
        f"not imported by the Slack function's paths, drop from SLACK_FUNCTION_DISTRIBUTIONS: {sorted(unused)}"
    )
