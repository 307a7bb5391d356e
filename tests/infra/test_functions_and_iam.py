"""Lambda functions: Terraform deploys exactly the catalog's functions, every handler is a real callable,
and each IAM policy grants exactly the access its declaration names, with actions the code calls."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from typing import Any

import botocore.session
import pytest

from bot.deploy import ACCESS_ACTIONS, Catalog, FunctionSpec, function_actions
from bot.deploy.catalog import CODE_CALLS, NOT_GRANTED, REQUIRED_BY_AWS
from tests.infra.conftest import TF, TerraformFailed, locals_of, parse, tf_files, unquote


def _declared_with_defaults(evaluated: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keep = set(FunctionSpec("x", "a.b", "d", "http").as_terraform())
    return {
        name: {k: v for k, v in {**f, "environment": f["own_environment"]}.items() if k in keep}
        for name, f in evaluated["catalog"]["functions"].items()
    }


def test_terraform_declares_exactly_the_catalog_functions(evaluated: dict[str, Any], catalog: Catalog) -> None:
    declared = _declared_with_defaults(evaluated)
    expected = {name: spec.as_terraform() for name, spec in catalog.functions.items()}
    assert sorted(declared) == sorted(expected), "Terraform deploys other functions than the catalog lists"
    for name in expected:
        assert declared[name] == expected[name], f"{name}: Terraform {declared[name]} != Python {expected[name]}"
    queues = evaluated["declared"]["queues"]
    assert {k: (q["consumer"], q["description"]) for k, q in queues.items()} == {
        k: (q.consumer, q.description) for k, q in catalog.queues.items()
    }


def test_functions_tf_declares_nothing_per_function() -> None:
    # Everything comes from the catalog file: no hand-written entries to keep in step.
    declared = locals_of(TF / "functions.tf")
    for key in ("functions", "queues", "tasks", "workflows", "tables", "event_rules", "schedules"):
        assert isinstance(declared[key], str) and "local.catalog" in declared[key], key


def test_every_handler_is_a_real_callable(catalog: Catalog) -> None:
    for name, spec in catalog.functions.items():
        module_name, _, attr = spec.handler.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise AssertionError(f"{name}: {spec.handler}: {exc}") from exc
        handler = getattr(module, attr, None)
        assert callable(handler), f"{name}: {spec.handler} is not a callable"
        params = list(inspect.signature(handler).parameters)
        assert len(params) >= 2, f"{name}: a Lambda handler takes (event, context), {attr} takes {params}"


def test_access_kinds_are_the_same_on_both_sides() -> None:
    terraform = locals_of(TF / "modules" / "catalog" / "access.tf")["access_actions"]
    assert {k: tuple(v) for k, v in terraform.items()} == ACCESS_ACTIONS


def _policy_kinds(statements: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Access kind -> actions granted. A kind may take several statements (``TaskRun``, ``TaskRunTag`` ...,
    each with its own condition): their actions are united, in ``ACCESS_ACTIONS`` order."""
    sid_to_kind = {k.replace("_", " ").title().replace(" ", ""): k for k in ACCESS_ACTIONS}
    granted: dict[str, set[str]] = {}
    for s in statements:
        kind = next(k for sid, k in sorted(sid_to_kind.items(), key=lambda i: -len(i[0])) if s["sid"].startswith(sid))
        granted.setdefault(kind, set()).update(s["actions"])
    # Actions outside the kind are kept (after the kind's own), so the comparison still sees them.
    return {
        k: tuple([a for a in ACCESS_ACTIONS[k] if a in actions] + sorted(actions - set(ACCESS_ACTIONS[k])))
        for k, actions in granted.items()
    }


def test_each_policy_grants_exactly_the_declared_access(evaluated: dict[str, Any], catalog: Catalog) -> None:
    for name, function in evaluated["catalog"]["functions"].items():
        expected = function_actions(catalog.functions[name])
        granted = _policy_kinds(function["statements"])
        for kind in function["key_kinds"]:  # added by modules/lambda_function on the deployment key
            granted[kind] = ACCESS_ACTIONS[kind]
        assert function["key_actions"] == sorted({a for k in function["key_kinds"] for a in ACCESS_ACTIONS[k]})
        assert granted == expected, f"{name}: policy {granted} != declared {expected}"


SYNTHETIC: dict[str, Any] = {
    "functions": {
        "bot": {
            "handler": "bot.x.handler",
            "description": "Slack",
            "trigger": "http",
            "tables_read": ["meetings"],
            "tables_write": ["users"],
            "buckets_write": ["sessions"],
            "invoke_self": True,
            "secrets": ["slack_bot_token"],
            "task_callback": True,
            "schedules": True,
            "events_put": True,
            "bedrock": True,
        },
        "worker": {
            "handler": "bot.x.worker",
            "description": "Queue worker",
            "trigger": "queue",
            "timeout_s": 120,
            "queues_consume": ["jobs"],
            "queues_send": ["jobs"],
        },
    },
    "queues": {"jobs": {"consumer": "worker", "description": "Jobs"}},
}


def test_policies_are_scoped_to_the_named_resources(harness: Any) -> None:
    out = harness({}, catalog=SYNTHETIC)
    arns = out["catalog"]["arns"]
    bot = {s["sid"]: s for s in out["catalog"]["functions"]["bot"]["statements"]}
    assert bot["TableRead"]["resources"] == [
        arns["tables"]["meetings"],
        arns["tables"]["meetings"] + "/index/*",
        arns["tables"]["users"],
        arns["tables"]["users"] + "/index/*",
    ]
    assert bot["TableWrite"]["resources"] == [arns["tables"]["users"]]
    assert bot["BucketWrite"]["resources"] == [arns["buckets"]["sessions"] + "/*"]
    assert bot["InvokeSelf"]["resources"] == [arns["functions"]["bot"], arns["functions"]["bot"] + ":live"]
    assert bot["SecretRead"]["resources"] == [arns["secrets"]["slack_bot_token"]]
    assert bot["SecretRead"]["resources"][0].endswith(":secret:crewbot/dev/slack/bot-token-??????")
    assert bot["EventsPut"]["resources"] == [arns["event_bus"]]
    worker = out["catalog"]["functions"]["worker"]
    assert {s["sid"] for s in worker["statements"]} == {"QueueSend", "QueueConsume"} and worker["key_kinds"] == ["kms"]
    # The queue outlives the consumer's retries: visibility is six times the consumer's timeout.
    assert out["catalog"]["queues"]["jobs"]["visibility_timeout_s"] == 720


def test_a_typo_in_an_access_list_fails_the_plan(harness: Any) -> None:
    bad = json.loads(json.dumps(SYNTHETIC))
    bad["functions"]["bot"]["tables_read"] = ["meeting"]
    with pytest.raises(TerraformFailed, match="bot: table meeting"):
        harness({}, catalog=bad)


def _block(text: str, start: int) -> str:
    """The brace-balanced block that opens at or after ``start``."""
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[start : j + 1]
    raise AssertionError("unbalanced braces")


_TLS_ONLY = 'data "aws_iam_policy_document" "tls_only"'


def _all_actions() -> list[tuple[str, str]]:
    """Every IAM action literal in the Terraform sources that can grant something: (file, action).

    The TLS-only bucket policies deny ``s3:*`` over plain HTTP; a deny grants nothing, so they are
    left out here (and checked to be denies)."""
    found: list[tuple[str, str]] = []
    pattern = re.compile(r'"([a-z0-9-]+:[A-Za-z*]+|\*)"')
    for path in tf_files(".tf"):
        text = path.read_text(encoding="utf-8")
        while _TLS_ONLY in text:
            block = _block(text, text.index(_TLS_ONLY))
            assert 'effect    = "Deny"' in block and '"aws:SecureTransport"' in block, path
            text = text.replace(block, "")
        for block in re.findall(r"(?:actions|Action)\s*=\s*\[([^\]]*)\]", text):
            found += [(path.name, a) for a in pattern.findall(block)]
    return found


def test_no_wildcard_actions_on_data_services() -> None:
    actions = _all_actions()
    assert len(actions) > 30, "the action scan found too little; has the policy syntax changed?"
    data_services = ("dynamodb", "s3", "sqs", "states", "events", "secretsmanager", "lambda", "scheduler")
    offenders = [(f, a) for f, a in actions if a == "*" or (a.split(":")[0] in data_services and "*" in a)]
    assert offenders == []


def _boto_operations(service: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(op) for op in model.operation_names}


# IAM prefix of a boto3 service, where it differs.
_IAM_PREFIX = {"stepfunctions": "states"}
# IAM action of a call where it is not the operation's own name.
_ACTION = {
    "s3": {"head_object": "s3:GetObject", "list_objects_v2": "s3:ListBucket", "delete_objects": "s3:DeleteObject"}
}
# boto3 helpers that call an operation on the adapter's behalf.
_HELPERS = {"BatchWriter": "batch_write_item", "batch_writer": "batch_write_item"}


def _calls_in(module: str, name: str, service: str) -> set[str]:
    """AWS operations a class or function calls: method names and string operation names
    (``_call("put_item")``, ``get_paginator("list_objects_v2")``, presigned ``get_object``) that are
    operations of ``service``."""
    source = inspect.getsource(importlib.import_module(module))
    tree = next(
        n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == name
    )
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    names |= {_HELPERS[n.id] for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in _HELPERS}
    return names & _boto_operations(service)


def _action(service: str, operation: str) -> str:
    prefix = _IAM_PREFIX.get(service, service)
    return _ACTION.get(service, {}).get(operation) or f"{prefix}:{''.join(p.title() for p in operation.split('_'))}"


@pytest.mark.parametrize("service", sorted(CODE_CALLS))
def test_granted_actions_are_exactly_the_calls_the_adapters_make(service: str) -> None:
    prefix = _IAM_PREFIX.get(service, service)
    called = {_action(service, op) for module, name in CODE_CALLS[service] for op in _calls_in(module, name, service)}
    granted = {a for actions in ACCESS_ACTIONS.values() for a in actions if a.startswith(f"{prefix}:")}
    assert called, f"found no {service} calls in {CODE_CALLS[service]}"
    missing = called - granted - set(NOT_GRANTED)
    assert not missing, f"the code calls {sorted(missing)}, which no access kind grants (bot/deploy/catalog.py)"
    unused = granted - called - set(REQUIRED_BY_AWS)
    assert not unused, f"access kinds grant {sorted(unused)}, which the code never calls"
    stale = {a for a in NOT_GRANTED if a.startswith(f"{prefix}:")} - called
    assert not stale, f"NOT_GRANTED lists {sorted(stale)}, which the code no longer calls"


def test_reads_and_writes_are_split() -> None:
    reads = re.compile(r"^[a-z0-9]+:(Get|BatchGet|Query|List)")
    for kind in ("table_read", "bucket_read"):
        assert all(reads.match(a) for a in ACCESS_ACTIONS[kind]), kind
    for kind in ("table_write", "bucket_write"):
        assert not any(reads.match(a) for a in ACCESS_ACTIONS[kind]), kind


def test_function_specs_reject_impossible_values() -> None:
    with pytest.raises(ValueError, match="handler"):
        FunctionSpec("bot", "handler", "d", "http")
    with pytest.raises(ValueError, match="timeout"):
        FunctionSpec("bot", "bot.x.handler", "d", "http", timeout_s=901)


def test_main_tf_gives_the_catalog_the_declarations() -> None:
    (catalog,) = [b['"catalog"'] for b in parse(TF / "main.tf")["module"] if '"catalog"' in b]
    args = unquote(catalog)
    assert args["functions"] == "${local.functions}" and args["queues"] == "${local.queues}"
    assert args["secrets"] == "${local.secrets}" and args["workflows"] == "${local.workflows}"
    assert args["tables"] == "${local.tables}"
    assert args["tasks"] == "${local.tasks}" and args["task_networks"] == "${local.task_networks}"


def test_bedrock_is_granted_on_the_configured_models_only(evaluated: dict[str, Any], catalog: Catalog) -> None:
    ids = sorted(m["id"] for m in catalog.as_json()["models"])
    assert "us.amazon.nova-lite-v1:0" in ids
    (bedrock,) = [s for s in evaluated["catalog"]["functions"]["bot"]["statements"] if s["sid"] == "Bedrock"]
    account = evaluated["catalog"]["arns"]["event_bus"].split(":")[4]
    assert "arn:aws:bedrock:*::foundation-model/*" not in bedrock["resources"]
    assert f"arn:aws:bedrock:eu-west-1:{account}:inference-profile/us.amazon.nova-lite-v1:0" in bedrock["resources"]
    # A cross-region profile routes to the model in any region of its geography: granted by model id.
    assert "arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0" in bedrock["resources"]
    assert all(
        ("inference-profile/" in r or "foundation-model/" in r) and not r.endswith("/*") for r in bedrock["resources"]
    )
    no_bedrock = evaluated["catalog"]["functions"]["task_load_meeting"]["statements"]
    assert "Bedrock" not in {s["sid"] for s in no_bedrock}
