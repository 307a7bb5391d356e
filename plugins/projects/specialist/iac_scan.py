"""``scan_iac``: security checks over the project's Terraform, offline.

Checkov is the usual scanner for this, but it cannot run inside Crewbot's environment: installing it would
downgrade boto3/botocore and pin ~60 other packages (checked with ``pip install --dry-run checkov``),
and it is too heavy for a Lambda package. These rules cover the misconfigurations the crew's reviews
care about most, over python-hcl2's parse of the module — each finding names the rule, severity,
resource, file and line, and the fix. Rules:

=====================  ========  ==================================================================
rule                   severity  what
=====================  ========  ==================================================================
S3_PUBLIC_ACL          critical  bucket ACL public-read / public-read-write / authenticated-read
S3_PUBLIC_ACCESS       high      no aws_s3_bucket_public_access_block (or a flag of it not true)
S3_ENCRYPTION          low       no explicit server-side encryption configuration
S3_VERSIONING          low       versioning not enabled
S3_LOGGING             low       no server access logging
SG_OPEN_ALL            critical  ingress from 0.0.0.0/0 or ::/0 on all ports / protocols
SG_OPEN_ADMIN          high      ingress from 0.0.0.0/0 or ::/0 on an admin or database port
RDS_ENCRYPTION         high      aws_db_instance / aws_rds_cluster without storage_encrypted = true
RDS_PUBLIC             high      publicly_accessible = true
EBS_ENCRYPTION         medium    EBS volume / instance block device not encrypted (and no account default)
IAM_WILDCARD           crit/high an Allow of action "*" (critical with resource "*")
IAM_SERVICE_WILDCARD   medium    an Allow of "service:*"
IAM_PRINCIPAL_ANY      high      a policy granting Principal "*"
KMS_ROTATION           medium    aws_kms_key without enable_key_rotation = true
DYNAMODB_PITR          low       aws_dynamodb_table without point-in-time recovery
LOGGING_MISSING        low       load balancer / API stage / CloudFront without access logs
CLOUDTRAIL_VALIDATION  low       trail without log file validation or not multi-region
HARDCODED_SECRET       high      a password / secret / token attribute set to a literal
AWS_ACCESS_KEY         critical  an AWS access key id (AKIA…) in the code
=====================  ========  ==================================================================
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.api import ToolInvocation, crewbot_tool
from plugins.projects.specialist.base import write_scoped
from plugins.projects.specialist.terraform import Block, Module, expressions, strings, tool_modules
from plugins.projects.tools import crew_call

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
ADMIN_PORTS: dict[int, str] = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    2375: "Docker",
    3306: "MySQL",
    3389: "RDP",
    1433: "SQL Server",
    1521: "Oracle",
    5432: "PostgreSQL",
    5601: "Kibana",
    6379: "Redis",
    9200: "Elasticsearch",
    27017: "MongoDB",
}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
# Attribute names that hold a secret (secret_id, token_type, kms_key_id … name one and are not matched).
_SECRET_NAME = re.compile(
    r"(^|_)(password|passwd|secret|secret_string|secret_key|token|auth_token|api_?key|"
    r"access_?key|private_?key|client_secret)$",
    re.I,
)
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
_HEREDOC = re.compile(r"^<<-?\s*([A-Za-z_]\w*)\s*\n(.*)\n\s*\1\s*$", re.S)
_HCL_FIELD = {name: re.compile(rf'"?{name}"?\s*[=:]\s*(\[[^\]]*\]|"[^"]*")') for name in ("Action", "Resource")}
_HCL_PRINCIPAL = re.compile(r'"?(Principal|AWS)"?\s*[=:]\s*"\*"')


@dataclass
class Finding:
    rule: str
    severity: str
    resource: str
    file: str
    line: int | None
    title: str
    fix: str

    def view(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name)
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _literal(value: Any) -> str | None:
    """A plain string value without any expression in it."""
    return value if isinstance(value, str) and "${" not in value else None


def _refers(block: Block, target: Block) -> bool:
    address = ".".join(target.labels)
    return any(re.search(rf"(?<![\w.]){re.escape(address)}\b", e) for e in expressions(block.body))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Scanner:
    """The rules over one module."""

    def __init__(self, module: Module):
        self.module = module
        self.findings: list[Finding] = []

    def add(self, rule: str, severity: str, block: Block, title: str, fix: str) -> None:
        self.findings.append(Finding(rule, severity, block.address, block.file, block.line, title, fix))

    def of(self, *types: str) -> list[Block]:
        return [b for b in self.module.of("resource") if b.labels and b.labels[0] in types]

    def linked(self, kind: str, bucket: Block) -> list[Block]:
        return [b for b in self.of(kind) if _refers(b, bucket)]

    def run(self) -> list[Finding]:
        self.s3()
        self.security_groups()
        self.databases()
        self.ebs()
        self.iam()
        self.logging()
        self.secrets()
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(self.findings, key=lambda f: (order[f.severity], f.file, f.line or 0, f.rule))

    def s3(self) -> None:
        for bucket in self.of("aws_s3_bucket"):
            name = bucket.address
            acls = [bucket.body.get("acl")] + [b.body.get("acl") for b in self.linked("aws_s3_bucket_acl", bucket)]
            public = [a for a in acls if a in ("public-read", "public-read-write", "authenticated-read")]
            if public:
                self.add(
                    "S3_PUBLIC_ACL",
                    "critical",
                    bucket,
                    f"{name} has the ACL {public[0]}: anyone can read it",
                    "Remove the public ACL (object ownership BucketOwnerEnforced) and serve public files "
                    "through CloudFront with origin access control.",
                )
            blocks = self.linked("aws_s3_bucket_public_access_block", bucket)
            flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
            if not blocks:
                self.add(
                    "S3_PUBLIC_ACCESS",
                    "high",
                    bucket,
                    f"{name} has no public access block",
                    "Add aws_s3_bucket_public_access_block for it with all four flags = true.",
                )
            else:
                off = [f for f in flags if not any(_true(b.body.get(f)) for b in blocks)]
                if off:
                    self.add(
                        "S3_PUBLIC_ACCESS",
                        "high",
                        bucket,
                        f"{name}'s public access block leaves {', '.join(off)} off",
                        "Set " + ", ".join(f"{f} = true" for f in off) + ".",
                    )
            if not _blocks(bucket.body, "server_side_encryption_configuration") and not self.linked(
                "aws_s3_bucket_server_side_encryption_configuration", bucket
            ):
                self.add(
                    "S3_ENCRYPTION",
                    "low",
                    bucket,
                    f"{name} declares no server-side encryption (S3 applies "
                    "SSE-S3 by default, but nothing here says which key)",
                    "Add aws_s3_bucket_server_side_encryption_configuration with SSE-KMS for personal or "
                    "sensitive data.",
                )
            inline = any(_true(v.get("enabled")) for v in _blocks(bucket.body, "versioning"))
            enabled = any(
                str(c.get("status", "")).lower() == "enabled"
                for b in self.linked("aws_s3_bucket_versioning", bucket)
                for c in _blocks(b.body, "versioning_configuration")
            )
            if not (inline or enabled):
                self.add(
                    "S3_VERSIONING",
                    "low",
                    bucket,
                    f"{name} has no versioning: overwritten or deleted objects are gone",
                    'Add aws_s3_bucket_versioning with status = "Enabled" (and a lifecycle rule for old versions).',
                )
            if not _blocks(bucket.body, "logging") and not self.linked("aws_s3_bucket_logging", bucket):
                self.add(
                    "S3_LOGGING",
                    "low",
                    bucket,
                    f"{name} has no server access logging",
                    "Add aws_s3_bucket_logging to a log bucket (or CloudTrail data events).",
                )

    def security_groups(self) -> None:
        rules: list[tuple[Block, dict[str, Any]]] = []
        for group in self.of("aws_security_group"):
            rules += [(group, r) for r in _blocks(group.body, "ingress")]
        rules += [(b, b.body) for b in self.of("aws_security_group_rule") if b.body.get("type") == "ingress"]
        rules += [(b, b.body) for b in self.of("aws_vpc_security_group_ingress_rule")]
        for block, rule in rules:
            cidrs = [
                c
                for key in ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6")
                for c in strings(rule.get(key))
            ]
            if not any(c in OPEN_CIDRS for c in cidrs):
                continue
            protocol = str(rule.get("protocol", rule.get("ip_protocol", "tcp"))).lower()
            low, high = _int(rule.get("from_port")), _int(rule.get("to_port"))
            if protocol in ("-1", "all") or (low is not None and high is not None and low <= 0 and high >= 65535):
                self.add(
                    "SG_OPEN_ALL",
                    "critical",
                    block,
                    f"{block.address} lets the whole internet in on every port",
                    "Allow only the ports the service needs (usually 443) and only from known ranges "
                    "or a load balancer's security group.",
                )
                continue
            if low is None or high is None:
                continue
            exposed = [f"{port} ({name})" for port, name in ADMIN_PORTS.items() if low <= port <= high]
            if exposed:
                self.add(
                    "SG_OPEN_ADMIN",
                    "high",
                    block,
                    f"{block.address} opens {', '.join(exposed)} to the internet",
                    "Remove the public rule; reach instances through SSM Session Manager and "
                    "databases from the application's security group only.",
                )

    def databases(self) -> None:
        for db in self.of("aws_db_instance", "aws_rds_cluster"):
            if not _true(db.body.get("storage_encrypted")):
                self.add(
                    "RDS_ENCRYPTION",
                    "high",
                    db,
                    f"{db.address} stores data unencrypted",
                    "Set storage_encrypted = true with a kms_key_id (it cannot be changed later without a "
                    "snapshot restore).",
                )
            if _true(db.body.get("publicly_accessible")):
                self.add(
                    "RDS_PUBLIC",
                    "high",
                    db,
                    f"{db.address} is reachable from the internet",
                    "Set publicly_accessible = false and keep it in private subnets.",
                )
        for table in self.of("aws_dynamodb_table"):
            if not any(_true(p.get("enabled")) for p in _blocks(table.body, "point_in_time_recovery")):
                self.add(
                    "DYNAMODB_PITR",
                    "low",
                    table,
                    f"{table.address} has no point-in-time recovery",
                    "Add point_in_time_recovery { enabled = true }.",
                )
        for key in self.of("aws_kms_key"):
            if not _true(key.body.get("enable_key_rotation")):
                self.add(
                    "KMS_ROTATION", "medium", key, f"{key.address} is not rotated", "Set enable_key_rotation = true."
                )

    def ebs(self) -> None:
        if any(_true(b.body.get("enabled", True)) for b in self.of("aws_ebs_encryption_by_default")):
            return
        for volume in self.of("aws_ebs_volume"):
            if not _true(volume.body.get("encrypted")):
                self.add(
                    "EBS_ENCRYPTION",
                    "medium",
                    volume,
                    f"{volume.address} is not encrypted",
                    "Set encrypted = true (or enable aws_ebs_encryption_by_default for the account).",
                )
        for instance in self.of("aws_instance"):
            devices = _blocks(instance.body, "root_block_device") + _blocks(instance.body, "ebs_block_device")
            if not devices or any(not _true(d.get("encrypted")) for d in devices):
                self.add(
                    "EBS_ENCRYPTION",
                    "medium",
                    instance,
                    f"{instance.address} has unencrypted block devices",
                    "Add root_block_device { encrypted = true } (and for every ebs_block_device), or enable "
                    "aws_ebs_encryption_by_default.",
                )

    def iam(self) -> None:
        for doc in [b for b in self.module.of("data") if b.labels and b.labels[0] == "aws_iam_policy_document"]:
            for statement in _blocks(doc.body, "statement"):
                if str(statement.get("effect", "Allow")) != "Allow":
                    continue
                self._actions(doc, strings(statement.get("actions")), strings(statement.get("resources")))
                for principal in _blocks(statement, "principals"):
                    if "*" in strings(principal.get("identifiers")):
                        self._principal(doc)
        for policy in self.of(
            "aws_iam_policy",
            "aws_iam_role_policy",
            "aws_iam_user_policy",
            "aws_iam_group_policy",
            "aws_s3_bucket_policy",
            "aws_sqs_queue_policy",
            "aws_sns_topic_policy",
            "aws_iam_role",
        ):
            for attribute in ("policy", "assume_role_policy", "inline_policy"):
                for text in strings(policy.body.get(attribute)):
                    self._policy_text(policy, text)

    def _policy_text(self, block: Block, text: str) -> None:
        heredoc = _HEREDOC.match(text.strip())
        raw = heredoc.group(2) if heredoc else text
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if isinstance(document, dict):
            statements = document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                    continue
                actions, resources = statement.get("Action", []), statement.get("Resource", [])
                self._actions(
                    block,
                    actions if isinstance(actions, list) else [actions],
                    resources if isinstance(resources, list) else [resources],
                )
                principal = statement.get("Principal")
                if principal == "*" or (isinstance(principal, dict) and "*" in strings(principal.get("AWS"))):
                    self._principal(block)
            return
        # jsonencode({...}) or a reference: read the Action / Resource values out of the expression.
        found = {k: re.findall(r'"([^"]*)"', " ".join(p.findall(text))) for k, p in _HCL_FIELD.items()}
        if found["Action"]:
            self._actions(block, found["Action"], found["Resource"])
        if _HCL_PRINCIPAL.search(text):
            self._principal(block)

    def _actions(self, block: Block, actions: list[Any], resources: list[Any]) -> None:
        actions = [str(a) for a in actions]
        if "*" in actions:
            everything = "*" in [str(r) for r in resources]
            self.add(
                "IAM_WILDCARD",
                "critical" if everything else "high",
                block,
                f"{block.address} allows every action" + (" on every resource" if everything else ""),
                "List the actions the role needs (IAM Access Analyzer can generate them from CloudTrail).",
            )
        wide = sorted({a for a in actions if re.fullmatch(r"[a-z0-9-]+:\*", a)})
        if wide:
            self.add(
                "IAM_SERVICE_WILDCARD",
                "medium",
                block,
                f"{block.address} allows {', '.join(wide)}",
                "Name the actions (e.g. s3:GetObject, s3:PutObject) instead of a service wildcard.",
            )

    def _principal(self, block: Block) -> None:
        self.add(
            "IAM_PRINCIPAL_ANY",
            "high",
            block,
            f'{block.address} grants access to any principal ("*")',
            "Name the accounts, roles or services, or add conditions (aws:SourceArn, aws:PrincipalOrgID).",
        )

    def logging(self) -> None:
        for lb in self.of("aws_lb", "aws_alb"):
            if not any(_true(a.get("enabled")) for a in _blocks(lb.body, "access_logs")):
                self.add(
                    "LOGGING_MISSING",
                    "low",
                    lb,
                    f"{lb.address} writes no access logs",
                    "Add access_logs { bucket = ..., enabled = true }.",
                )
        for stage in self.of("aws_api_gateway_stage", "aws_apigatewayv2_stage"):
            if not _blocks(stage.body, "access_log_settings"):
                self.add(
                    "LOGGING_MISSING",
                    "low",
                    stage,
                    f"{stage.address} writes no access logs",
                    "Add access_log_settings with a CloudWatch log group (retention set).",
                )
        for cdn in self.of("aws_cloudfront_distribution"):
            if not _blocks(cdn.body, "logging_config"):
                self.add(
                    "LOGGING_MISSING",
                    "low",
                    cdn,
                    f"{cdn.address} writes no access logs",
                    "Add logging_config (or CloudFront standard logging v2 to S3 / CloudWatch).",
                )
        for trail in self.of("aws_cloudtrail"):
            if not _true(trail.body.get("enable_log_file_validation")) or not _true(
                trail.body.get("is_multi_region_trail")
            ):
                self.add(
                    "CLOUDTRAIL_VALIDATION",
                    "low",
                    trail,
                    f"{trail.address} is not multi-region with log file validation",
                    "Set is_multi_region_trail = true and enable_log_file_validation = true.",
                )

    def secrets(self) -> None:
        for block in self.module.blocks:
            if block.kind not in ("resource", "data", "provider", "module", "locals"):
                continue
            for name, value in _pairs(block.body):
                literal = _literal(value)
                if (
                    literal
                    and _SECRET_NAME.search(name)
                    and literal.strip()
                    and not literal.startswith(("arn:", "aws:", "alias/"))
                ):
                    self.add(
                        "HARDCODED_SECRET",
                        "high",
                        block,
                        f"{block.address} sets {name} to a literal value",
                        "Read it from Secrets Manager (manage_master_user_password for RDS) or a sensitive "
                        "variable; rotate the exposed value.",
                    )
            if any(_ACCESS_KEY.search(s) for s in strings(block.body)):
                self.add(
                    "AWS_ACCESS_KEY",
                    "critical",
                    block,
                    f"{block.address} contains an AWS access key id",
                    "Delete the key in IAM now, remove it from the repository history, use roles instead.",
                )


def _pairs(value: Any) -> list[tuple[str, Any]]:
    """Every (name, value) pair in nested blocks and objects."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.startswith("__"):
                continue
            found.append((key, inner))
            found += _pairs(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _pairs(inner)
    return found


def report(path: str, files: list[str], findings: list[Finding], syntax: list[str], agent: str, phase: str) -> str:
    """The scan as a Markdown document."""
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    lines = [
        f"# IaC security scan of {path}",
        "",
        f"*Scanner:* Crewbot IaC rules · *By:* {agent} · *Phase:* {phase}",
        "",
        "Files: " + (", ".join(f"`{f}`" for f in files) or "none"),
        "",
        "Summary: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) if findings else "Summary: no findings.",
        "",
    ]
    if syntax:
        lines += ["## Not scanned (syntax errors)", "", *[f"- {s}" for s in syntax], ""]
    if findings:
        lines += [
            "## Findings",
            "",
            "| severity | rule | resource | where | finding | fix |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {f.severity} | {f.rule} | `{f.resource}` | {f.file}:{f.line or '?'} | {f.title} | {f.fix} |"
            for f in findings
        ]
    return "\n".join(lines) + "\n"


def scan_modules(modules: list[Module]) -> tuple[list[Finding], list[str]]:
    findings = [f for m in modules for f in Scanner(m).run()]
    syntax = [f"{p.file}: {p.message}" for m in modules for p in m.problems]
    return findings, syntax


@crewbot_tool(side_effects="write")
def scan_iac(path: str = "infra/", report_path: str = "", tool_context: ToolInvocation | None = None) -> dict:
    """Scan the project's Terraform for security misconfigurations: public or unencrypted S3, security groups open
    to the internet on admin ports, unencrypted RDS/EBS, IAM wildcards, missing logging, hard-coded secrets.
    Each finding has a severity, the resource, file and line, and the fix.

    Args:
        path: A .tf file or a directory of the project repository (default infra/).
        report_path: Also write the findings as a Markdown report here (inside your own directories).
    """
    call = crew_call(tool_context)
    store = call.service.artifacts(call.project.project_id)
    modules = tool_modules(store, path)
    findings, syntax = scan_modules(modules)
    files = [f for m in modules for f in m.files]
    result: dict[str, Any] = {
        "files": files,
        "resources": sum(len(m.of("resource")) for m in modules),
        "counts": {s: n for s in SEVERITIES if (n := sum(1 for f in findings if f.severity == s))},
        "findings": [f.view() for f in findings],
        "not_scanned": syntax,
    }
    if report_path:
        text = report(path, files, findings, syntax, call.agent, call.phase)
        result["report"] = write_scoped(call, report_path, text, f"{call.agent}: IaC scan of {path} ({call.phase})")
    return result
