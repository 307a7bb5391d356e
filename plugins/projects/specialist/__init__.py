"""The crew's specialist tools (the SA, Infra, Security, Dev, Data and QA agents' tools), offline and
deterministic. Each runs inside project work only, reads the project's artifact store, and writes only
inside the calling agent's directories through the store (scope-checked, one commit, refusals audited).

==========================  ==================  ===================================================
tool                        module              for
==========================  ==================  ===================================================
``generate_diagram``        diagrams            SA: Mermaid architecture diagram document
``write_adr``               adr                 SA: numbered Architecture Decision Record
``aws_service_lookup``      catalogue           SA: curated AWS service catalogue by need
``knowledge_base_search``   knowledge           all: this project's artifacts + the pattern library
``validate_terraform``      terraform           Infra, Security: HCL syntax and structure, no providers
``scan_iac``                iac_scan            Infra, Security: misconfiguration rules over the HCL
``threat_model``            threats             Security: STRIDE per element document
``lint_code``               code                Dev, QA: compile + ruff, parse checks, text checks
``design_schema``           schema              Data: SQL DDL + JSON Schema from entities
==========================  ==================  ===================================================
"""

from __future__ import annotations

from bot.api import ToolRegistration
from plugins.projects.specialist.adr import write_adr
from plugins.projects.specialist.catalogue import aws_service_lookup
from plugins.projects.specialist.code import lint_code
from plugins.projects.specialist.diagrams import generate_diagram
from plugins.projects.specialist.iac_scan import scan_iac
from plugins.projects.specialist.knowledge import knowledge_base_search
from plugins.projects.specialist.schema import design_schema
from plugins.projects.specialist.terraform import validate_terraform
from plugins.projects.specialist.threats import threat_model

SPECIALIST_TOOLS: tuple[ToolRegistration, ...] = (
    generate_diagram,
    write_adr,
    aws_service_lookup,
    knowledge_base_search,
    validate_terraform,
    scan_iac,
    threat_model,
    lint_code,
    design_schema,
)
