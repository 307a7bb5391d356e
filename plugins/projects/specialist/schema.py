"""``design_schema``: a relational data model from entity descriptions, as SQL DDL (PostgreSQL) and a JSON
Schema (draft 2020-12) document, both written in the caller's directories.

The model is validated before anything is written: identifiers (and SQL reserved words), known types,
a primary key per entity, unique names, and every reference pointing at an existing key of the same
type. Tables are ordered so each is created after the tables it references (a cycle is an error), and
the DDL is executed in an in-memory SQLite database as a last syntax check (the JSON Schema is checked
against its metaschema when ``jsonschema`` is installed).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from bot.api import ToolError, ToolInvocation, crewbot_tool
from plugins.projects.specialist.base import default_path, slug, write_scoped
from plugins.projects.tools import crew_call

#: type → (PostgreSQL type, JSON Schema)
TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "string": ("VARCHAR(255)", {"type": "string", "maxLength": 255}),
    "text": ("TEXT", {"type": "string"}),
    "email": ("VARCHAR(320)", {"type": "string", "format": "email", "maxLength": 320}),
    "int": ("INTEGER", {"type": "integer"}),
    "bigint": ("BIGINT", {"type": "integer"}),
    "decimal": ("NUMERIC(12, 2)", {"type": "number"}),
    "float": ("DOUBLE PRECISION", {"type": "number"}),
    "bool": ("BOOLEAN", {"type": "boolean"}),
    "date": ("DATE", {"type": "string", "format": "date"}),
    "timestamp": ("TIMESTAMP WITH TIME ZONE", {"type": "string", "format": "date-time"}),
    "uuid": ("UUID", {"type": "string", "format": "uuid"}),
    "json": ("JSONB", {"type": "object"}),
}
ALIASES = {
    "integer": "int",
    "boolean": "bool",
    "datetime": "timestamp",
    "money": "decimal",
    "number": "decimal",
    "double": "float",
    "varchar": "string",
    "str": "string",
    "jsonb": "json",
    "object": "json",
}
RESERVED = frozenset(
    {
        "all",
        "and",
        "any",
        "as",
        "asc",
        "between",
        "by",
        "case",
        "check",
        "column",
        "constraint",
        "create",
        "cross",
        "default",
        "delete",
        "desc",
        "distinct",
        "drop",
        "else",
        "end",
        "exists",
        "false",
        "foreign",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "in",
        "index",
        "inner",
        "insert",
        "into",
        "is",
        "join",
        "key",
        "left",
        "like",
        "limit",
        "not",
        "null",
        "offset",
        "on",
        "or",
        "order",
        "outer",
        "primary",
        "references",
        "right",
        "select",
        "table",
        "then",
        "to",
        "true",
        "union",
        "unique",
        "update",
        "user",
        "using",
        "values",
        "when",
        "where",
        "with",
    }
)
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass
class Field:
    name: str
    type: str
    primary_key: bool = False
    unique: bool = False
    required: bool = False
    references: tuple[str, str] | None = None  # (entity, field)
    description: str = ""


@dataclass
class Entity:
    name: str
    fields: list[Field] = field(default_factory=list)
    description: str = ""

    @property
    def keys(self) -> list[Field]:
        return [f for f in self.fields if f.primary_key]


def _identifier(value: str, what: str) -> str:
    name = value.strip()
    if not _IDENT.match(name):
        raise ToolError(
            f"{what} {value!r} is not a plain identifier (lower case letters, digits, _; starts with a letter)"
        )
    if name in RESERVED:
        raise ToolError(f"{what} {name!r} is an SQL reserved word; use e.g. {name}s or {name}_record")
    return name


def _field(entity: str, raw: Any, index: int) -> Field:
    where = f"{entity} field {index}"
    if isinstance(raw, str):
        words = raw.replace("=", " ").split()
        if len(words) < 2:
            raise ToolError(f"{where} {raw!r}: write 'name type [pk] [unique] [required] [ref entity.field]'")
        name, kind, flags = words[0], words[1].lower(), [w.lower() for w in words[2:]]
        reference = None
        for marker in ("ref", "references", "fk"):
            if marker in flags:
                position = flags.index(marker)
                if position + 1 >= len(flags):
                    raise ToolError(f"{where} {raw!r}: '{marker}' needs a target like customers.id")
                reference = flags.pop(position + 1)
                flags.pop(position)
        unknown = [f for f in flags if f not in ("pk", "primary", "unique", "required", "not_null", "optional")]
        if unknown:
            raise ToolError(
                f"{where} {raw!r}: unknown flag(s) {', '.join(unknown)} (flags: pk, unique, required, "
                "optional, ref entity.field)"
            )
        spec: dict[str, Any] = {
            "name": name,
            "type": kind,
            "primary_key": "pk" in flags or "primary" in flags,
            "unique": "unique" in flags,
            "required": "required" in flags or "not_null" in flags,
            "references": reference,
        }
    elif isinstance(raw, dict):
        spec = raw
    else:
        raise ToolError(f"{where} is a {type(raw).__name__}; give 'name type flags' or an object")
    name = _identifier(str(spec.get("name") or ""), f"{entity} field")
    kind = str(spec.get("type") or "").lower().strip()
    kind = ALIASES.get(kind, kind)
    if kind not in TYPES:
        raise ToolError(f"{entity}.{name}: unknown type {spec.get('type')!r} (types: {', '.join(TYPES)})")
    target = spec.get("references")
    link: tuple[str, str] | None = None
    if target:
        parts = str(target).split(".")
        if len(parts) > 2 or not parts[0]:
            raise ToolError(f"{entity}.{name}: reference {target!r} should be entity or entity.field")
        link = (parts[0], parts[1] if len(parts) == 2 else "")
    return Field(
        name,
        kind,
        bool(spec.get("primary_key")),
        bool(spec.get("unique")),
        bool(spec.get("required")),
        link,
        str(spec.get("description") or "")[:200],
    )


def parse_entities(entities: list[Any]) -> list[Entity]:
    """Entities from the tool's input, validated (see the module docstring)."""
    if not isinstance(entities, list) or not entities:
        raise ToolError(
            'entities is empty: give objects like {"name": "customers", "fields": ["id uuid pk", '
            '"email email unique required"]}'
        )
    found: dict[str, Entity] = {}
    for index, raw in enumerate(entities, 1):
        if not isinstance(raw, dict):
            raise ToolError(f"entity {index} is a {type(raw).__name__}; give an object with name and fields")
        name = _identifier(str(raw.get("name") or ""), f"entity {index} name")
        if name in found:
            raise ToolError(f"entity {name!r} is described twice")
        fields = [_field(name, f, i) for i, f in enumerate(raw.get("fields") or [], 1)]
        if not fields:
            raise ToolError(f"entity {name!r} has no fields")
        names = [f.name for f in fields]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ToolError(f"entity {name!r} has field(s) {', '.join(twice)} twice")
        entity = Entity(name, fields, str(raw.get("description") or "")[:300])
        if not entity.keys:
            raise ToolError(f"entity {name!r} has no primary key; mark one field 'pk' (e.g. 'id uuid pk')")
        found[name] = entity
    for entity in found.values():
        for item in entity.fields:
            if not item.references:
                continue
            target_name, target_field = item.references
            target = found.get(target_name)
            if target is None:
                raise ToolError(
                    f"{entity.name}.{item.name} references {target_name!r}, which is not one of the "
                    f"entities ({', '.join(found)})"
                )
            if not target_field:
                if len(target.keys) != 1:
                    raise ToolError(f"{entity.name}.{item.name}: {target_name} has a composite key; name the field")
                target_field = target.keys[0].name
                item.references = (target_name, target_field)
            referenced = next((f for f in target.fields if f.name == target_field), None)
            if referenced is None:
                raise ToolError(
                    f"{entity.name}.{item.name} references {target_name}.{target_field}, which does not exist"
                )
            if not (referenced.primary_key and len(target.keys) == 1) and not referenced.unique:
                raise ToolError(
                    f"{entity.name}.{item.name} references {target_name}.{target_field}, which is neither "
                    "its single-column primary key nor unique"
                )
            if referenced.type != item.type:
                raise ToolError(
                    f"{entity.name}.{item.name} is {item.type} but {target_name}.{target_field} is "
                    f"{referenced.type}; a reference must have the type of its key"
                )
    return _ordered(list(found.values()))


def _ordered(entities: list[Entity]) -> list[Entity]:
    """Referenced tables first (input order otherwise); a cycle is an error naming the tables in it."""
    by_name = {e.name: e for e in entities}
    done: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise ToolError(
                f"circular references {' -> '.join(cycle)}: break the cycle (make one side a link table "
                "or drop one reference)"
            )
        visiting.append(name)
        for item in by_name[name].fields:
            if item.references and item.references[0] != name:
                visit(item.references[0])
        visiting.pop()
        done.append(name)

    for entity in entities:
        visit(entity.name)
    return [by_name[name] for name in done]


def ddl(entities: list[Entity], title: str) -> str:
    """PostgreSQL DDL: one CREATE TABLE per entity (inline keys and references), indexes on references."""
    out = [f"-- {title}: generated by Crewbot's design_schema (PostgreSQL).", ""]
    for entity in entities:
        if entity.description:
            out.append(f"-- {entity.description}")
        columns = []
        for item in entity.fields:
            column = f"    {item.name} {TYPES[item.type][0]}"
            if item.required or item.primary_key:
                column += " NOT NULL"
            if item.unique and not item.primary_key:
                column += " UNIQUE"
            if item.references:
                column += f" REFERENCES {item.references[0]} ({item.references[1]})"
            columns.append(column)
        columns.append(f"    PRIMARY KEY ({', '.join(k.name for k in entity.keys)})")
        out.append(f"CREATE TABLE {entity.name} (\n" + ",\n".join(columns) + "\n);")
        for item in entity.fields:
            if item.references and not item.primary_key:
                out.append(f"CREATE INDEX {entity.name}_{item.name}_idx ON {entity.name} ({item.name});")
        out.append("")
    return "\n".join(out)


def json_schema(entities: list[Entity], title: str, identifier: str) -> dict[str, Any]:
    """A JSON Schema with one definition per entity (records as an API or pipeline would carry them)."""
    definitions: dict[str, Any] = {}
    for entity in entities:
        properties = {}
        for item in entity.fields:
            prop = dict(TYPES[item.type][1])
            notes = [item.description] if item.description else []
            if item.references:
                notes.append(f"references {item.references[0]}.{item.references[1]}")
            if notes:
                prop["description"] = "; ".join(notes)
            properties[item.name] = prop
        definitions[entity.name] = {
            "type": "object",
            **({"description": entity.description} if entity.description else {}),
            "properties": properties,
            "required": [f.name for f in entity.fields if f.required or f.primary_key],
            "additionalProperties": False,
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": identifier,
        "title": title,
        "$defs": definitions,
    }


def check_ddl(text: str) -> None:
    """Run the DDL in an empty in-memory SQLite database (syntax and reference order)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(text)
    except sqlite3.Error as exc:
        raise ToolError(f"the generated DDL does not run: {exc}") from None
    finally:
        connection.close()


@crewbot_tool(side_effects="write")
def design_schema(
    entities: list[dict[str, Any]],
    name: str = "data-model",
    tool_context: ToolInvocation | None = None,
) -> dict[str, Any]:
    """Design a relational schema: validates the entities, then writes SQL DDL (PostgreSQL) and a JSON Schema into
    schema/ under your first directory.

    Args:
        entities: Objects {"name": "orders", "description": "...", "fields": [...]}; each field is a string
            "name type [pk] [unique] [required] [ref entity.field]" (e.g. "customer_id uuid required ref customers")
            or an object {"name", "type", "primary_key", "unique", "required", "references"}. Types: string, text,
            email, int, bigint, decimal, float, bool, date, timestamp, uuid, json. Names are lower_snake_case and
            not SQL reserved words (orders, not order).
        name: The model's name, used for the file names.
    """
    call = crew_call(tool_context)
    model = parse_entities(entities)
    base = slug(name, "data-model")
    title = f"{call.project.name} — {name}"
    sql = ddl(model, title)
    check_ddl(sql)
    schema = json_schema(model, title, f"urn:crewbot:{call.project.project_id}:{base}")
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # optional: the dev extra has it; the structure above is fixed and tested
        pass
    else:
        Draft202012Validator.check_schema(schema)
    folder = default_path(call, "schema/", "")
    written_sql = write_scoped(call, f"{folder}{base}.sql", sql, f"{call.agent}: schema {name} DDL ({call.phase})")
    written_json = write_scoped(
        call,
        f"{folder}{base}.schema.json",
        json.dumps(schema, indent=2) + "\n",
        f"{call.agent}: schema {name} JSON Schema ({call.phase})",
    )
    return {
        "status": "written",
        "entities": [e.name for e in model],
        "ddl_path": written_sql["path"],
        "json_schema_path": written_json["path"],
        "ddl": sql,
        "references": [
            f"{e.name}.{f.name} -> {f.references[0]}.{f.references[1]}" for e in model for f in e.fields if f.references
        ],
    }
