"""The crew's specialist tools (plugins/projects/specialist): each on good and bad input, writes only inside the
calling agent's directories, errors the agent can read, and the offline crew using them in its phases."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import pytest

from bot.agents.tools import CALL_KEY, CallContext, ToolError, ToolRegistration
from plugins.projects.service import project_service
from plugins.projects.specialist import (
    aws_service_lookup,
    design_schema,
    generate_diagram,
    knowledge_base_search,
    lint_code,
    scan_iac,
    threat_model,
    validate_terraform,
    write_adr,
)
from plugins.projects.specialist.code import ruff_binary
from plugins.projects.tools import PHASE_KEY, PROJECT_KEY
from tests.projects.conftest import new_project, project_named


@dataclass
class Crew:
    """Call a specialist tool as one of the crew, inside the project's work."""

    emu: Any
    project_id: str

    def context(self, agent: str, phase: str = "architecture") -> Any:
        class Agent:
            name = agent

        class Context:
            invocation_state = {
                CALL_KEY: CallContext(user_id="project", session_id="s", agent="crew", crewbot=self.emu.crewbot),
                PROJECT_KEY: self.project_id,
                PHASE_KEY: phase,
            }
            tool_use = {"toolUseId": "t1", "name": "x"}

        context = Context()
        context.agent = Agent()  # type: ignore[attr-defined]
        return context

    def call(self, tool: ToolRegistration, agent: str, **kwargs: Any) -> Any:
        return tool.function(**kwargs, tool_context=self.context(agent))

    @property
    def store(self) -> Any:
        return project_service(self.emu.crewbot).artifacts(self.project_id)

    def refusals(self) -> list[str]:
        entries = self.emu.crewbot.records.audit.for_scope(f"project#{self.project_id}")
        return [e.target for e in entries if e.action == "artifact_write_refused"]


@pytest.fixture
def crew(emu: Any) -> Crew:
    new_project(emu)
    return Crew(emu, project_named(emu).project_id)


COMPONENTS = [
    {"name": "Customers", "kind": "user"},
    "Amazon API Gateway",
    "AWS Lambda",
    {"name": "Orders table", "kind": "datastore", "group": "Data"},
]
CONNECTIONS = [
    "Customers -> Amazon API Gateway: HTTPS",
    "Amazon API Gateway -> AWS Lambda",
    {"from": "AWS Lambda", "to": "Orders table", "label": "read/write [orders]"},
]


# -- SA ----------------------------------------------------------------------------------------------


def test_generate_diagram_writes_mermaid_in_the_architects_directory(crew: Crew) -> None:
    result = crew.call(generate_diagram, "sa", title="Checkout", components=COMPONENTS, connections=CONNECTIONS)
    assert result["path"] == "docs/architecture/diagrams/checkout.md" and result["components"] == 4
    text = crew.store.read(result["path"])
    assert result["mermaid"] in text and text.startswith("# Checkout")
    lines = result["mermaid"].splitlines()
    assert lines[0] == "flowchart LR"
    assert '    customers(("Customers"))' in lines  # users are circles
    assert '    amazon_api_gateway["Amazon API Gateway"]' in lines  # kind from the AWS catalogue: api
    assert '        orders_table[("Orders table")]' in lines  # data stores are cylinders, inside their group
    assert '    subgraph g1["Data"]' in lines
    assert "    customers -->|HTTPS| amazon_api_gateway" in lines
    assert "    aws_lambda -->|read/write  orders| orders_table" in lines  # no Mermaid syntax from labels
    assert crew.store.history()[0].author == "sa"


@pytest.mark.parametrize(
    ("components", "connections", "error"),
    [
        ([], [], "components is empty"),
        (["A", "a"], [], "'a' appears twice"),
        ([{"name": "A", "kind": "spaceship"}], [], "kind 'spaceship' is unknown"),
        (["A", "B"], ["A -> C"], "names 'C', which is not one of the components (A, B)"),
        (["A", "B"], ["A to B"], "is not 'From -> To: label'"),
        ([{"kind": "api"}], [], "components item 1 has no name"),
    ],
)
def test_generate_diagram_refuses_bad_input(
    crew: Crew, components: list[Any], connections: list[Any], error: str
) -> None:
    with pytest.raises(ToolError, match=error.replace("(", r"\(").replace(")", r"\)")):
        crew.call(generate_diagram, "sa", title="X", components=components, connections=connections)
    assert not crew.store.files("docs/architecture/diagrams/")


def test_specialist_writes_stay_in_the_callers_directories(crew: Crew) -> None:
    with pytest.raises(ToolError, match="write refused: infra may write only under infra/"):
        crew.call(generate_diagram, "infra", title="X", components=["A"], connections=[], path="docs/architecture/x.md")
    with pytest.raises(ToolError, match=r"'\.\.' is not allowed"):
        crew.call(
            generate_diagram,
            "sa",
            title="X",
            components=["A"],
            connections=[],
            path="docs/architecture/../../infra/x.md",
        )
    with pytest.raises(ToolError, match="intruder has no directories"):
        crew.call(write_adr, "intruder", title="T", context="c", decision="d", consequences="q")
    crew.store.write("infra", "infra/main.tf", 'resource "aws_s3_bucket" "b" {}\n')
    with pytest.raises(ToolError, match="write refused: infra may write only under infra/"):
        crew.call(scan_iac, "infra", path="infra/", report_path="security/scan.md")
    assert sorted(crew.refusals()) == [
        "docs/architecture/../../infra/x.md",
        "docs/architecture/x.md",
        "security/scan.md",
    ]
    assert not crew.store.exists("security/scan.md")
    # Without a path, each agent's documents go to its own first directory.
    assert (
        crew.call(generate_diagram, "infra", title="Network", components=["VPC"], connections=[])["path"]
        == "infra/diagrams/network.md"
    )


def test_tools_work_only_inside_project_work(crew: Crew) -> None:
    context = crew.context("sa")
    del context.invocation_state[PROJECT_KEY]
    with pytest.raises(ToolError, match="only inside project work"):
        aws_service_lookup.function(need="queue", tool_context=context)


def test_write_adr_numbers_after_the_existing_records(crew: Crew) -> None:
    first = crew.call(
        write_adr,
        "sa",
        title="Use DynamoDB for orders",
        context="Orders are key lookups.",
        decision="DynamoDB on-demand.",
        consequences="No ad-hoc joins.",
        status="accepted",
    )
    assert first["path"] == "docs/architecture/decisions/0001-use-dynamodb-for-orders.md" and first["number"] == 1
    crew.store.write("sa", "docs/architecture/decisions/0007-older-decision.md", "# ADR 0007")
    second = crew.call(write_adr, "sa", title="Queue checkout events", context="c", decision="SQS", consequences="q")
    assert second["path"] == "docs/architecture/decisions/0008-queue-checkout-events.md"
    again = crew.call(
        write_adr,
        "sa",
        title="Use DynamoDB for orders",
        context="Also carts.",
        decision="DynamoDB on-demand for orders and carts.",
        consequences="No joins.",
    )
    assert (again["number"], again["updated"]) == (1, True)
    text = crew.store.read(first["path"])
    assert text.startswith("# ADR 0001: Use DynamoDB for orders")
    assert "*Status:* proposed" in text and "Also carts." in text and "orders and carts" in text
    assert "- Customer data stays in the EU (GDPR)" in text  # the SOW's constraints, from the template fields
    with pytest.raises(ToolError, match="status must be one of proposed"):
        crew.call(write_adr, "sa", title="T", context="c", decision="d", consequences="q", status="maybe")
    with pytest.raises(ToolError, match="an ADR needs context, consequences"):
        crew.call(write_adr, "sa", title="T", context=" ", decision="d", consequences="")


def test_aws_service_lookup_searches_the_catalogue(crew: Crew) -> None:
    found = crew.call(aws_service_lookup, "sa", need="queue orders and retry failed jobs", limit=3)
    assert found["services"][0]["id"] == "sqs" and "queue" in found["services"][0]["matched"]
    assert {"use_for", "limits", "pricing", "avoid_when", "security"} <= set(found["services"][0])
    assert crew.call(aws_service_lookup, "infra", need="sign in for staff with MFA")["services"][0]["id"] == "cognito"
    assert {
        s["id"] for s in crew.call(aws_service_lookup, "sa", need="relational sql", category="database")["services"]
    } == {"rds", "aurora-serverless"}
    # Same input, same answer.
    assert crew.call(aws_service_lookup, "sa", need="search products") == crew.call(
        aws_service_lookup, "sa", need="search products"
    )
    nothing = crew.call(aws_service_lookup, "sa", need="quantum teleportation")
    assert nothing["count"] == 0 and "try other words" in nothing["note"]
    with pytest.raises(ToolError, match="describe the need"):
        crew.call(aws_service_lookup, "sa", need="  ")
    with pytest.raises(ToolError, match="unknown category 'spaceships'; categories: ai, analytics"):
        crew.call(aws_service_lookup, "sa", need="x", category="spaceships")
    with pytest.raises(ToolError, match="limit must be between 1 and 10"):
        crew.call(aws_service_lookup, "sa", need="x", limit=50)


def test_knowledge_base_search_finds_project_documents_and_patterns(crew: Crew) -> None:
    found = crew.call(knowledge_base_search, "sa", query="card payments checkout")
    assert found["results"][0]["source"] == "project"
    assert any("Checkout with card payments" in r["excerpt"] for r in found["results"])
    service = project_service(crew.emu.crewbot)
    service.patterns.contribute(
        name="Idempotent webhooks",
        category="integration",
        tags=["payments"],
        description="Handle provider webhooks once",
        file_name="webhooks.md",
        content="# Webhooks\n\nStore the event id; skip repeats.",
        project_id="earlier",
        author="dev",
    )
    patterns = crew.call(knowledge_base_search, "dev", query="webhook event id repeats", source="patterns")
    assert {r["source"] for r in patterns["results"]} == {"patterns"}
    assert patterns["results"][0]["where"].startswith("pattern pat-")
    assert any("skip repeats" in r["excerpt"] for r in patterns["results"])
    with pytest.raises(ToolError, match="no searchable words"):
        crew.call(knowledge_base_search, "sa", query="the of")
    with pytest.raises(ToolError, match="source must be all, project or patterns"):
        crew.call(knowledge_base_search, "sa", query="webhooks", source="web")


# -- Infra and Security ----------------------------------------------------------------------------

GOOD_TF = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

variable "name" {
  type = string
}

resource "aws_s3_bucket" "site" {
  bucket = "${var.name}-site"
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {
  bucket = aws_s3_bucket.site.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_versioning" "site" {
  bucket = aws_s3_bucket.site.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_logging" "site" {
  bucket        = aws_s3_bucket.site.id
  target_bucket = var.name
  target_prefix = "logs/"
}

output "bucket" {
  value = aws_s3_bucket.site.bucket
}
"""

INSECURE_TF = """resource "aws_s3_bucket" "public" {
  acl = "public-read"
}

resource "aws_security_group" "admin" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "everything" {
  cidr_ipv4   = "0.0.0.0/0"
  ip_protocol = "-1"
}

resource "aws_db_instance" "main" {
  engine              = "postgres"
  password            = "hunter22"
  publicly_accessible = true
}

resource "aws_ebs_volume" "data" {
  size = 10
}

resource "aws_iam_policy" "admin" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

data "aws_iam_policy_document" "s3" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::x/*"]
  }
}

resource "aws_kms_key" "main" {}

data "aws_secretsmanager_secret_version" "db" {
  secret_id = "prod/db/password"
}

resource "aws_lb" "web" {}
"""


def test_validate_terraform_accepts_a_sound_module(crew: Crew) -> None:
    crew.store.write("infra", "infra/main.tf", GOOD_TF)
    result = crew.call(validate_terraform, "infra", path="infra/main.tf")
    assert result["valid"] is True and result["problems"] == [] and result["resources"] == 5
    assert result["files"] == ["infra/main.tf"]


def test_validate_terraform_reports_syntax_errors_with_file_and_line(crew: Crew) -> None:
    crew.store.write("infra", "infra/main.tf", GOOD_TF)
    crew.store.write("infra", "infra/broken.tf", 'resource "aws_sqs_queue" "q" {\n  name = \n}\n')
    result = crew.call(validate_terraform, "security", path="infra/")
    assert result["valid"] is False
    [problem] = result["problems"]
    assert (problem["file"], problem["line"], problem["severity"]) == ("infra/broken.tf", 2, "error")
    assert problem["message"].startswith("syntax error at line 2, column")


def test_validate_terraform_checks_structure_and_references(crew: Crew) -> None:
    crew.store.write(
        "infra",
        "infra/main.tf",
        GOOD_TF
        + """
variable "unused" {
  type = string
}

resource "google_storage_bucket" "other" {
  name = "${local.prefix}-x"
}

resource "aws_s3_bucket" "site" {}

output "missing" {
  value = aws_sqs_queue.jobs.url
}

output "nothing" {}
""",
    )
    problems = {(p["line"], p["message"]) for p in crew.call(validate_terraform, "qa")["problems"]}
    assert problems == {
        (49, "variable.unused is declared but never used"),
        (53, "google_storage_bucket.other: provider 'google' is not declared (declared: aws)"),
        (53, "google_storage_bucket.other refers to local.prefix, which is not declared in infra/"),
        (57, "aws_s3_bucket.site is declared twice (also infra/main.tf line 11)"),
        (59, "output.missing refers to aws_sqs_queue.jobs, which is not declared in infra/"),
        (63, "output.nothing has no value"),
    }


def test_validate_terraform_needs_files_inside_the_repository(crew: Crew) -> None:
    with pytest.raises(ToolError, match=r"no \.tf files under 'infra/'"):
        crew.call(validate_terraform, "infra", path="infra/")
    with pytest.raises(ToolError, match="climbs out"):
        crew.call(validate_terraform, "infra", path="../other-project/infra")
    with pytest.raises(ToolError, match=r"no file 'infra/nope\.tf'"):
        crew.call(validate_terraform, "infra", path="infra/nope.tf")


def test_scan_iac_finds_the_common_misconfigurations(crew: Crew) -> None:
    crew.store.write("infra", "infra/main.tf", INSECURE_TF)
    result = crew.call(scan_iac, "security", path="infra/", report_path="security/iac-scan.md")
    found = {(f["rule"], f["severity"], f["resource"], f["line"]) for f in result["findings"]}
    assert found == {
        ("S3_PUBLIC_ACL", "critical", "aws_s3_bucket.public", 1),
        ("S3_PUBLIC_ACCESS", "high", "aws_s3_bucket.public", 1),
        ("S3_ENCRYPTION", "low", "aws_s3_bucket.public", 1),
        ("S3_VERSIONING", "low", "aws_s3_bucket.public", 1),
        ("S3_LOGGING", "low", "aws_s3_bucket.public", 1),
        ("SG_OPEN_ADMIN", "high", "aws_security_group.admin", 5),  # 22 is found, 443 is fine
        ("SG_OPEN_ALL", "critical", "aws_vpc_security_group_ingress_rule.everything", 20),
        ("RDS_ENCRYPTION", "high", "aws_db_instance.main", 25),
        ("RDS_PUBLIC", "high", "aws_db_instance.main", 25),
        ("HARDCODED_SECRET", "high", "aws_db_instance.main", 25),
        ("EBS_ENCRYPTION", "medium", "aws_ebs_volume.data", 31),
        ("IAM_WILDCARD", "critical", "aws_iam_policy.admin", 35),
        ("IAM_SERVICE_WILDCARD", "medium", "data.aws_iam_policy_document.s3", 41),
        ("KMS_ROTATION", "medium", "aws_kms_key.main", 48),
        ("LOGGING_MISSING", "low", "aws_lb.web", 54),  # the secret's *name* (secret_id) is no finding
    }
    assert result["counts"] == {"critical": 3, "high": 5, "medium": 3, "low": 4}
    assert [f["severity"] for f in result["findings"]][:3] == ["critical"] * 3  # worst first
    assert all(f["fix"] for f in result["findings"])
    report = crew.store.read("security/iac-scan.md")
    assert "| critical | S3_PUBLIC_ACL | `aws_s3_bucket.public` | infra/main.tf:1 |" in report
    assert "Summary: 3 critical, 5 high, 3 medium, 4 low" in report


def test_scan_iac_passes_a_hardened_module_and_reports_unparsable_files(crew: Crew) -> None:
    crew.store.write("infra", "infra/main.tf", GOOD_TF)
    crew.store.write("infra", "infra/broken.tf", "resource {\n")
    result = crew.call(scan_iac, "infra", path="infra/")
    assert result["findings"] == [] and result["counts"] == {}
    assert result["not_scanned"] and result["not_scanned"][0].startswith("infra/broken.tf: syntax error at line")
    assert "report" not in result  # nothing written without a report path


def test_threat_model_applies_stride_per_element(crew: Crew) -> None:
    result = crew.call(threat_model, "security", title="Checkout", components=COMPONENTS, connections=CONNECTIONS)
    assert result["path"] == "security/threat-model-checkout.md"
    # Customers (external: S, R) + API and Lambda (processes: 6 each) + table (store: T, R, I, D) + 3 flows x T, I, D
    assert result["threats"] == 2 + 6 + 6 + 4 + 9
    assert result["by_category"]["Spoofing"] == 3 and result["by_category"]["Elevation of privilege"] == 2
    text = crew.store.read(result["path"])
    assert "Outside the trust boundary: Customers." in text
    assert (
        "| Amazon API Gateway | process | Spoofing | A caller spoofs its identity to Amazon API Gateway. | high |"
        in text
    )  # reachable from the customers: exposed
    assert "| AWS Lambda | process | Spoofing | A caller spoofs its identity to AWS Lambda. | medium |" in text
    assert "Crosses the trust boundary" in text and "Service baseline: Authorise every route" in text


def test_threat_model_reads_a_diagram_and_refuses_bad_sources(crew: Crew) -> None:
    diagram = crew.call(generate_diagram, "sa", title="Checkout", components=COMPONENTS, connections=CONNECTIONS)
    result = crew.call(threat_model, "security", diagram_path=diagram["path"])
    assert result["threats"] == 27 and result["path"] == "security/threat-model-checkout.md"
    assert f"*From:* {diagram['path']}" in crew.store.read(result["path"])
    with pytest.raises(ToolError, match="either components or diagram_path"):
        crew.call(threat_model, "security", components=["A"], diagram_path=diagram["path"])
    with pytest.raises(ToolError, match="was not made by generate_diagram"):
        crew.call(threat_model, "security", diagram_path="docs/project-plan/requirements.md")
    with pytest.raises(ToolError, match="no artifact"):
        crew.call(threat_model, "security", diagram_path="docs/architecture/none.md")


# -- Dev, QA, Data ---------------------------------------------------------------------------------


def test_lint_code_checks_without_running_anything(crew: Crew, tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    crew.store.write("dev", "app/good.py", '"""A module."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n')
    crew.store.write("dev", "app/broken.py", f"open({str(marker)!r}, 'w').write('x')\ndef f(:\n    pass\n")
    crew.store.write("dev", "app/unused.py", "import os\n")
    crew.store.write("dev", "app/config.json", '{"a": 1,}\n')
    crew.store.write("dev", "app/deploy.yaml", "a: [1, 2\n")
    crew.store.write("dev", "app/notes.md", "key AKIA" + "ABCDEFGHIJKLMNOP here  \n")
    result = crew.call(lint_code, "qa", path="app/")
    issues = {(i["file"], i["line"], i["code"]) for i in result["issues"]}
    assert ("app/broken.py", 2, "E999") in issues
    assert ("app/config.json", 1, "JSON") in issues
    assert ("app/deploy.yaml", 2, "YAML") in issues
    assert {("app/notes.md", 1, "SECRET"), ("app/notes.md", 1, "W291")} <= issues
    assert not [i for i in result["issues"] if i["file"] == "app/good.py"]
    if ruff_binary():
        assert ("app/unused.py", 1, "F401") in issues and result["python_checks"] == "compile + ruff"
    assert result["clean"] is False and result["errors"] >= 4
    assert not marker.exists()  # the code was parsed, never executed
    assert crew.call(lint_code, "dev", path="app/good.py")["clean"] is True
    with pytest.raises(ToolError, match="nothing to lint at 'app/missing'"):
        crew.call(lint_code, "dev", path="app/missing")


ENTITIES = [
    {"name": "customers", "fields": ["id uuid pk", "email email unique required"]},
    {
        "name": "orders",
        "description": "A placed order",
        "fields": [
            "id uuid pk",
            "customer_id uuid required ref customers",
            "total decimal required",
            {"name": "placed_at", "type": "datetime", "required": True},
        ],
    },
    {"name": "order_lines", "fields": ["order_id uuid pk ref orders.id", "line int pk", "quantity int required"]},
]


def test_design_schema_writes_ddl_and_json_schema(crew: Crew) -> None:
    from jsonschema import Draft202012Validator

    result = crew.call(design_schema, "data", entities=ENTITIES, name="Orders")
    assert (result["ddl_path"], result["json_schema_path"]) == (
        "data/schema/orders.sql",
        "data/schema/orders.schema.json",
    )
    assert result["references"] == ["orders.customer_id -> customers.id", "order_lines.order_id -> orders.id"]
    ddl = crew.store.read(result["ddl_path"])
    assert "customer_id UUID NOT NULL REFERENCES customers (id)" in ddl and "PRIMARY KEY (order_id, line)" in ddl
    database = sqlite3.connect(":memory:")
    database.execute("PRAGMA foreign_keys = ON")
    database.executescript(ddl)
    database.execute("INSERT INTO customers VALUES ('c1', 'a@example.com')")
    with pytest.raises(sqlite3.IntegrityError):  # the reference is enforced
        database.execute("INSERT INTO orders VALUES ('o1', 'nobody', 1.0, '2026-01-01')")
    schema = json.loads(crew.store.read(result["json_schema_path"]))
    Draft202012Validator.check_schema(schema)
    order = {"$ref": "#/$defs/orders", "$defs": schema["$defs"]}
    good = {"id": "o1", "customer_id": "c1", "total": 10.5, "placed_at": "2026-01-01T10:00:00Z"}
    assert Draft202012Validator(order).is_valid(good)
    assert not Draft202012Validator(order).is_valid({"id": "o1"})  # required fields missing


@pytest.mark.parametrize(
    ("entities", "error"),
    [
        ([], "entities is empty"),
        ([{"name": "order", "fields": ["id uuid pk"]}], "'order' is an SQL reserved word; use e.g. orders"),
        ([{"name": "Bad Name", "fields": ["id uuid pk"]}], "is not a plain identifier"),
        ([{"name": "a", "fields": ["id uuid"]}], "entity 'a' has no primary key"),
        ([{"name": "a", "fields": ["id money2 pk"]}], "a.id: unknown type 'money2'"),
        ([{"name": "a", "fields": ["id uuid pk", "id int"]}], "field\\(s\\) id twice"),
        ([{"name": "a", "fields": ["id uuid pk", "b_id uuid ref b"]}], "references 'b', which is not one of"),
        (
            [{"name": "a", "fields": ["id uuid pk"]}, {"name": "b", "fields": ["id int pk", "a_id int ref a"]}],
            "b.a_id is int but a.id is uuid",
        ),
        (
            [
                {"name": "a", "fields": ["id uuid pk", "b_id uuid ref b"]},
                {"name": "b", "fields": ["id uuid pk", "a_id uuid ref a"]},
            ],
            "circular references a -> b -> a",
        ),
        (
            [
                {"name": "a", "fields": ["id uuid pk", "n string"]},
                {"name": "b", "fields": ["id uuid pk", "x string ref a.n"]},
            ],
            "neither its single-column primary key nor unique",
        ),
        ([{"name": "a", "fields": ["id uuid pk maybe"]}], "unknown flag\\(s\\) maybe"),
    ],
)
def test_design_schema_refuses_invalid_models(crew: Crew, entities: list[Any], error: str) -> None:
    with pytest.raises(ToolError, match=error):
        crew.call(design_schema, "data", entities=entities)
    assert not crew.store.files("data/schema/")


# -- the offline crew uses them -------------------------------------------------------------------


def approve(emu: Any) -> str:
    emu.click("Approve")
    return emu.submit({"quality": "5"}).text


def test_the_architecture_swarm_produces_diagram_adr_threat_model_and_scan(emu: Any) -> None:
    new_project(emu)
    text = approve(emu)
    assert "Architecture is ready for review" in text
    project = project_named(emu)
    service = project_service(emu.crewbot)
    store = service.artifacts(project.project_id)
    [run] = service.items.runs(project.project_id, "architecture")
    assert run["status"] == "completed" and run["node_history"] == ["sa", "infra", "security"]
    diagram = store.read("docs/architecture/diagrams/architecture.md")
    assert "customers -->|HTTPS| amazon_api_gateway" in diagram
    assert "amazon_api_gateway --> aws_lambda" in diagram and "aws_lambda --> amazon_dynamodb" in diagram
    adr = store.read("docs/architecture/decisions/0001-architecture-approach.md")
    assert adr.startswith("# ADR 0001: Architecture approach")
    assert "Amazon DynamoDB (Key-value" in adr and "Amazon DynamoDB: Item size 400 KB." in adr
    architecture = store.read("docs/architecture/architecture.md")
    assert "Services (aws_service_lookup): Amazon Cognito" in architecture
    assert "Related material (knowledge_base_search): docs/project-plan/project-plan.md (Objectives)" in architecture
    threats = store.read("security/threat-model.md")
    assert "*From:* docs/architecture/diagrams/architecture.md" in threats and "| Customers | external |" in threats
    assert "Summary: no findings." in store.read("security/iac-scan-architecture.md")
    review = store.read("security/architecture-review.md")
    assert "Threat model (STRIDE):" in review and "IaC scan of 1 file(s)" in review
    authors = {c.path: c.author for c in store.history()}
    assert authors["docs/architecture/diagrams/architecture.md"] == "sa"
    assert authors["security/threat-model.md"] == authors["security/iac-scan-architecture.md"] == "security"
    # A revision updates the same ADR rather than adding another one.
    emu.click("Revise")
    emu.submit({"feedback": "Prefer Aurora for reporting"})
    assert store.files("docs/architecture/decisions/") == ["docs/architecture/decisions/0001-architecture-approach.md"]
    assert "Revised to address the customer's feedback: Prefer Aurora for reporting" in store.read(
        "docs/architecture/decisions/0001-architecture-approach.md"
    )


def test_later_phases_use_the_schema_lint_and_terraform_checks(emu: Any) -> None:
    new_project(emu)
    approve(emu)
    approve(emu)  # Architecture approved: the POC runs
    project = project_named(emu)
    store = project_service(emu.crewbot).artifacts(project.project_id)
    ddl = store.read("data/schema/data-model.sql")
    for table in ("customers", "products", "orders", "payments", "staff_members"):
        assert f"CREATE TABLE {table} (" in ddl
    assert "Schema: customers, products, orders, payments, staff_members" in store.read("data/data-model.md")
    approve(emu)  # POC approved: Production runs
    plan = store.read("tests/test-plan.md")
    assert "Lint of 2 file(s): 0 error(s)" in plan and "Terraform validation: valid" in plan
    [run] = project_service(emu.crewbot).items.runs(project.project_id, "production")
    assert run["status"] == "completed"


def test_an_agent_in_a_swarm_reads_the_refusals_as_tool_results(emu: Any) -> None:
    """A scripted SA draws into Infra's directory and connects an unknown component: both come back to it as
    error tool results saying why, and the phase goes on."""
    from bot.agents.model_events import ToolCall
    from bot.agents.scripted import ScriptedModel

    diagram = {"title": "X", "components": ["A", "B"]}
    script = ScriptedModel(
        [
            ToolCall("handoff_to_agent", {"agent_name": "sa", "message": "your turn"}),
            "pm done",
            [
                ToolCall("generate_diagram", {**diagram, "connections": ["A -> B"], "path": "infra/x.md"}),
                ToolCall("generate_diagram", {**diagram, "connections": ["A -> Z"]}),
            ],
            "sa done",
        ]
    )
    emu.crewbot.agents.models.override("offline", lambda: script)
    new_project(emu)
    results = [b["toolResult"] for b in script.requests[3].messages[-1]["content"] if "toolResult" in b]
    assert [r["status"] for r in results] == ["error", "error"]
    texts = " ".join(c.get("text", "") for r in results for c in r["content"])
    assert "write refused: sa may write only under docs/architecture/, docs/handoff/" in texts
    assert "names 'Z', which is not one of the components (A, B)" in texts
    store = project_service(emu.crewbot).artifacts(project_named(emu).project_id)
    assert not store.files("infra/") and not store.files("docs/architecture/diagrams/")
    assert "Discovery of Acme store is ready for review" in emu.fake.outputs[-1].message.text
