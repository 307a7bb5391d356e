"""Real Terraform plans of the whole deployment without an AWS account, for the teardown tests.

Terraform plans offline except for two calls: the provider's credential check and ``aws_caller_identity``
(STS ``GetCallerIdentity``), and the plan-time definition check of each state machine (Step Functions
``ValidateStateMachineDefinition``). :class:`AwsEndpoint` answers those two on 127.0.0.1
(``AWS_ENDPOINT_URL`` points the provider at it); it answers nothing else, so a plan that needs any other
AWS call fails. Definitions are checked by the local ASL runner's own tests, not here.

A destroy plan needs a state. :func:`state_from_plan` writes the one a successful apply of a plan would
leave: every planned instance with its planned attributes (values AWS would compute are null) and, as
Terraform records them, the resources each one depends on — read from Terraform's own dependency graph
(``terraform graph -type=plan``). ``terraform plan -destroy -refresh=false`` then plans from it without
calling AWS.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bot.deploy.catalog import Catalog

ACCOUNT = "123456789012"

_CALLER = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    f"<Arn>arn:aws:iam::{ACCOUNT}:user/planner</Arn><UserId>AIDAPLANNER</UserId><Account>{ACCOUNT}</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>plan</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)


class AwsEndpoint:
    """STS ``GetCallerIdentity`` and Step Functions ``ValidateStateMachineDefinition`` on a local port; any
    other request gets a 400 with the AWS error shape, naming what was asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                target = self.headers.get("x-amz-target") or ""
                if target == "AWSStepFunctions.ValidateStateMachineDefinition":
                    calls.append(target)
                    self._answer(200, "application/x-amz-json-1.0", '{"result":"OK","diagnostics":[]}')
                elif "Action=GetCallerIdentity" in body:
                    calls.append("sts.GetCallerIdentity")
                    self._answer(200, "text/xml", _CALLER)
                else:
                    calls.append(target or body[:80])
                    error = {
                        "__type": "UnknownOperationException",
                        "message": f"not served here: {target or body[:80]}",
                    }
                    self._answer(400, "application/x-amz-json-1.0", json.dumps(error))

            def _answer(self, status: int, content_type: str, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OfflineTerraform:
    """A copy of infra/terraform beside what ``make package`` writes, with the provider from ``mirror``."""

    def __init__(self, source: Path, catalog: Catalog, scratch: Path, mirror: Path, endpoint: AwsEndpoint):
        self.dir = scratch / "repo" / "infra" / "terraform"
        shutil.copytree(source, self.dir, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        lambda_dir = scratch / "repo" / "dist" / "lambda"
        catalog.write(lambda_dir)
        # The zips' content does not matter to a plan, only that the files exist.
        for name in ("crewbot.zip", *(f"dependencies{s}-{a}.zip" for s in ("", "-slack") for a in ("arm64", "x86_64"))):
            with zipfile.ZipFile(lambda_dir / name, "w") as zf:
                zf.writestr("placeholder.txt", "not a real package")
        cli_config = scratch / "terraformrc"
        cli_config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n'
            '  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_IN_AUTOMATION": "1",
            "AWS_ENDPOINT_URL": endpoint.url,
            "AWS_ACCESS_KEY_ID": "planner",
            "AWS_SECRET_ACCESS_KEY": "planner",
            "AWS_REGION": "us-east-1",
        }
        self.run("init", "-backend=false", "-input=false")

    def run(self, *args: str) -> str:
        """``terraform args`` in the copy; its stdout (``AssertionError`` with the output on failure)."""
        done = subprocess.run(
            ["terraform", f"-chdir={self.dir}", *args], capture_output=True, text=True, env=self.env, timeout=600
        )
        assert done.returncode == 0, (
            f"terraform {' '.join(args)[:300]} failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
        )
        return done.stdout

    def plan(self, *args: str) -> dict[str, Any]:
        """``terraform plan args`` as the JSON ``terraform show`` gives for it."""
        out = self.dir / f"plan-{uuid.uuid4().hex[:8]}.tfplan"
        self.run("plan", "-input=false", "-lock=false", f"-out={out}", *args)
        shown: dict[str, Any] = json.loads(self.run("show", "-json", str(out)))
        out.unlink()
        return shown


def changed(plan: dict[str, Any], action: str) -> set[str]:
    """The addresses the plan would ``create`` / ``update`` / ``delete``."""
    return {c["address"] for c in plan.get("resource_changes", []) if action in c["change"]["actions"]}


_NODE = re.compile(r'^\s*"\[root\] (?P<src>[^"]+?)(?: \(expand\))?" -> "\[root\] (?P<dst>[^"]+?)(?: \(expand\))?"')
# A resource's type is ``<provider>_<kind>``: var.x, local.x, output.x and module.x have no underscore there.
_RESOURCE = re.compile(r"^(module\.[A-Za-z0-9_-]+\.)*(data\.)?[a-z0-9]+_[a-z0-9_]+\.[A-Za-z0-9_-]+$")


def dependencies(graph_dot: str) -> dict[str, list[str]]:
    """For each resource of ``terraform graph -type=plan``, the resources it depends on, directly or through
    variables, locals, outputs and modules (what Terraform writes as an instance's ``dependencies``)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for line in graph_dot.splitlines():
        match = _NODE.match(line)
        if match:
            edges[match["src"]].add(match["dst"])

    def reachable(start: str) -> Iterator[str]:
        seen: set[str] = set()
        stack = list(edges[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            yield node
            stack.extend(edges[node])

    return {
        node: sorted(n for n in reachable(node) if _RESOURCE.match(n) and not n.startswith("provider"))
        for node in list(edges)
        if _RESOURCE.match(node)
    }


_ADDRESS = re.compile(r"^(?P<modules>(?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)(?P<resource>.+?)(?:\[[^\]]*\])?$")


def module_instance(address: str) -> str:
    """``module.a["x"].aws_t.n["k"]`` → ``module.a["x"]`` (the state's ``module`` of the instance)."""
    match = _ADDRESS.match(address)
    assert match, address
    return match["modules"].rstrip(".")


def is_data_source(address: str) -> bool:
    """Whether the address is a data source's (read, never created or destroyed)."""
    match = _ADDRESS.match(address)
    assert match, address
    return match["resource"].startswith("data.")


def config_address(address: str) -> str:
    """``module.a["x"].aws_t.n["k"]`` → ``module.a.aws_t.n``: the resource in the configuration (the form of
    the graph's nodes and of the state's ``dependencies``)."""
    match = _ADDRESS.match(address)
    assert match, address
    return re.sub(r"\[[^\]]*\]", "", match["modules"]) + match["resource"]


def state_from_plan(plan: dict[str, Any], graph_dot: str, terraform_version: str) -> dict[str, Any]:
    """The state (format 4) that applying ``plan`` would leave, dependencies from ``graph_dot``."""
    depends = dependencies(graph_dot)

    def instances(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from instances(child)

    planned = list(instances(plan["planned_values"]["root_module"]))
    planned += [r for r in instances(plan.get("prior_state", {}).get("values", {}).get("root_module", {}))]
    grouped: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for item in planned:
        module_path, config = module_instance(item["address"]), config_address(item["address"])
        key = (module_path, item["mode"], item["type"], item["name"])
        resource = grouped.setdefault(
            key,
            {
                **({"module": module_path} if module_path else {}),
                "mode": item["mode"],
                "type": item["type"],
                "name": item["name"],
                "provider": f'provider["{item["provider_name"]}"]',
                "instances": [],
            },
        )
        instance: dict[str, Any] = {
            "schema_version": item.get("schema_version", 0),
            "attributes": item.get("values") or {},
            "sensitive_attributes": [],
            "dependencies": depends.get(config, []),
        }
        if "index" in item:
            instance["index_key"] = item["index"]
        resource["instances"].append(instance)
    return {
        "version": 4,
        "terraform_version": terraform_version,
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {},
        "resources": list(grouped.values()),
        "check_results": None,
    }


def write_state(terraform: OfflineTerraform, plan: dict[str, Any]) -> Path:
    """Write the state applying ``plan`` would leave as the copy's local state; return its path."""
    graph = terraform.run("graph", "-type=plan")
    state = state_from_plan(plan, graph, plan.get("terraform_version", "1.11.4"))
    path = terraform.dir / "terraform.tfstate"
    path.write_text(json.dumps(state))
    return path
