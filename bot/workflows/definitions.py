"""Loading and validating ``workflows/*.asl.json``: the only workflow definitions.

A definition is checked completely at load, so a problem shows at start-up with the file and the state
named, not halfway through an execution: every state type, field, path, intrinsic function, choice
rule, retrier and catcher; transitions and reachability; and the task resources (see
:mod:`bot.workflows.tasks` for the placeholder convention). Anything the local runner does not
implement is rejected here with a message saying so. :func:`check_tasks` is the start-up check that
every task a definition names is registered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.workflows import choice, expressions, intrinsics
from bot.workflows.errors import DefinitionError, UnknownTaskError
from bot.workflows.paths import check_path
from bot.workflows.tasks import TaskRegistry, task_name_of_placeholder

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_INVOKE_CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
EVENTS_PUT = "arn:aws:states:::events:putEvents"
#: The one placeholder allowed outside task resources: the project's event bus (in putEvents entries).
EVENT_BUS_PLACEHOLDER = "${EventBusName}"

_PLACEHOLDER = re.compile(r"^\$\{([A-Za-z][A-Za-z0-9_]*)\}$")
_ANY_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

_COMMON = {"Type", "Comment"}
_IO = {"InputPath", "OutputPath"}
_FLOW = {"Next", "End"}
_RESULT = {"ResultPath", "ResultSelector"}
_ERRORS = {"Retry", "Catch"}
_FIELDS: dict[str, set[str]] = {
    "Pass": _COMMON | _IO | _FLOW | {"ResultPath", "Parameters", "Result"},
    "Task": _COMMON
    | _IO
    | _FLOW
    | _RESULT
    | _ERRORS
    | {"Resource", "Parameters", "TimeoutSeconds", "HeartbeatSeconds"},
    "Choice": _COMMON | _IO | {"Choices", "Default"},
    "Wait": _COMMON | _IO | _FLOW | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
    "Succeed": _COMMON | _IO,
    "Fail": _COMMON | {"Error", "Cause", "ErrorPath", "CausePath"},
    "Parallel": _COMMON | _IO | _FLOW | _RESULT | _ERRORS | {"Branches", "Parameters"},
    "Map": _COMMON
    | _IO
    | _FLOW
    | _RESULT
    | _ERRORS
    | {"ItemsPath", "ItemSelector", "Parameters", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath"},
}
for _kind in _FIELDS:  # every state may say its query language; all but Succeed and Fail may assign variables
    _FIELDS[_kind] |= {"QueryLanguage"} | (set() if _kind in ("Succeed", "Fail") else {"Assign"})
_JSONATA_COMMON = {"Type", "Comment", "QueryLanguage"}
_JSONATA_FLOW = {"Next", "End", "Output", "Assign"}
#: The fields of each state type when its query language is JSONata (no *Path, Parameters, ResultSelector ...).
_JSONATA_FIELDS: dict[str, set[str]] = {
    "Pass": _JSONATA_COMMON | _JSONATA_FLOW,
    "Task": _JSONATA_COMMON | _JSONATA_FLOW | _ERRORS | {"Resource", "Arguments", "TimeoutSeconds", "HeartbeatSeconds"},
    "Choice": _JSONATA_COMMON | {"Choices", "Default", "Output", "Assign"},
    "Wait": _JSONATA_COMMON | _JSONATA_FLOW | {"Seconds", "Timestamp"},
    "Succeed": _JSONATA_COMMON | {"Output"},
    "Fail": _JSONATA_COMMON | {"Error", "Cause"},
    "Parallel": _JSONATA_COMMON | _JSONATA_FLOW | _ERRORS | {"Branches", "Arguments"},
    "Map": _JSONATA_COMMON
    | _JSONATA_FLOW
    | _ERRORS
    | {"Items", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency"},
}
_JSONATA_CATCHER_FIELDS = {"ErrorEquals", "Next", "Output", "Assign", "Comment"}
_TERMINAL = {"Choice", "Succeed", "Fail"}
_RESERVED_NAMES = {"Branches", "Iterator", "ItemProcessor", "States"}
_RETRIER_FIELDS = {
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
}
_CATCHER_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Comment", "Assign"}
_INVOKE_PARAMETERS = {"FunctionName", "Payload", "Payload.$"}
_ENTRY_FIELDS = {"Source", "Source.$", "DetailType", "DetailType.$", "Detail", "Detail.$", "EventBusName"}

#: A machine path: where a (sub-)state machine sits in the document. ``()`` is the top level;
#: ``("P", 1)`` is branch 1 of Parallel state ``P``; ``("M",)`` is the item processor of Map ``M``.
MachinePath = tuple[str | int, ...]


@dataclass(frozen=True)
class TaskRef:
    """A Task state's resource, resolved to the task it runs."""

    task: str  # the WorkflowTask name
    style: str  # "function" (plain ARN placeholder), "invoke" (lambda:invoke) or "callback" (.waitForTaskToken)
    state: str  # state name, for messages


@dataclass
class WorkflowDefinition:
    """One loaded, validated ASL definition."""

    name: str
    document: dict[str, Any]
    source: str = "<memory>"
    tasks: dict[str, list[str]] = field(default_factory=dict)  # task name → states using it
    #: Task states whose resource names no registered task (allowed only with ``any_resource``):
    #: they run only when mocked (``crewbot workflows run --mock``).
    foreign: list[str] = field(default_factory=list)

    def machine(self, path: MachinePath) -> dict[str, Any]:
        """The ``{"StartAt", "States"}`` object at ``path``."""
        node = self.document
        i = 0
        while i < len(path):
            state = node["States"][path[i]]
            if state["Type"] == "Parallel":
                node = state["Branches"][path[i + 1]]
                i += 2
            else:
                node = state.get("ItemProcessor") or state["Iterator"]
                i += 1
        return node

    def state(self, path: MachinePath, name: str) -> dict[str, Any]:
        return self.machine(path)["States"][name]

    def task_ref(self, state: Mapping[str, Any], name: str = "") -> TaskRef:
        """Which task a Task state runs, and how (``function`` / ``invoke`` / ``callback``)."""
        resource = state["Resource"]
        if resource in (LAMBDA_INVOKE, LAMBDA_INVOKE_CALLBACK):
            placeholder = _PLACEHOLDER.match((state.get("Arguments") or state["Parameters"])["FunctionName"])
            style = "invoke" if resource == LAMBDA_INVOKE else "callback"
        else:
            placeholder = _PLACEHOLDER.match(resource)
            style = "function"
        assert placeholder is not None  # checked at load
        task = task_name_of_placeholder(placeholder.group(1))
        assert task is not None
        return TaskRef(task=task, style=style, state=name)

    def render(self, values: Mapping[str, str]) -> str:
        """The document with ``${...}`` placeholders filled, as Terraform's ``templatefile`` does."""
        text = json.dumps(self.document, indent=2)
        missing = sorted({m.group(1) for m in _ANY_PLACEHOLDER.finditer(text)} - set(values))
        if missing:
            raise DefinitionError(f"{self.source}: no value for placeholder(s) {', '.join(missing)}")
        return _ANY_PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    def placeholders(self) -> list[str]:
        """Every Terraform variable the definition needs (``LoadMeetingFunctionArn`` ...)."""
        return sorted({m.group(1) for m in _ANY_PLACEHOLDER.finditer(json.dumps(self.document))})


def workflow_name(path: Path) -> str:
    """``workflows/meeting_prep.asl.json`` → ``meeting_prep``."""
    name = path.name.removesuffix(".json").removesuffix(".asl")
    if not _NAME.match(name):
        raise DefinitionError(f"{path}: file name must be <lower_snake_case>.asl.json (got {path.name!r})")
    return name


def load_file(path: str | Path) -> WorkflowDefinition:
    """Read and validate one ``*.asl.json`` file."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return parse_definition(workflow_name(path), document, str(path))


def parse_definition(
    name: str, document: Any, source: str = "<memory>", *, any_resource: bool = False
) -> WorkflowDefinition:
    """Validate an ASL document; :class:`DefinitionError` naming ``source`` and the state otherwise.

    ``any_resource`` accepts Task resources that name no Crewbot task (any ARN): such states are
    listed in :attr:`WorkflowDefinition.foreign` and can only run mocked."""
    definition = WorkflowDefinition(name=name, document=document, source=source)
    checker = _Checker(definition, any_resource=any_resource)
    try:
        if not isinstance(document, dict):
            raise ValueError("the definition must be a JSON object")
        extra = set(document) - {"StartAt", "States", "Comment", "Version", "QueryLanguage", "TimeoutSeconds"}
        if extra:
            raise ValueError(f"unsupported top-level field(s) {sorted(extra)}")
        if document.get("QueryLanguage", "JSONPath") not in ("JSONPath", "JSONata"):
            raise ValueError(f"QueryLanguage: must be JSONPath or JSONata, not {document['QueryLanguage']!r}")
        checker.language = document.get("QueryLanguage", "JSONPath")
        timeout = document.get("TimeoutSeconds")
        if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0):
            raise ValueError("TimeoutSeconds: must be a positive integer")
        checker.machine(document, "")
    except ValueError as exc:
        raise DefinitionError(f"{source}: {exc}") from None
    return definition


class _Checker:
    def __init__(self, definition: WorkflowDefinition, any_resource: bool = False):
        self.definition = definition
        self.any_resource = any_resource
        self.language = "JSONPath"

    def machine(self, machine: Any, where: str) -> None:
        if not isinstance(machine, dict):
            raise ValueError(f"{where or 'definition'}: must be an object with StartAt and States")
        states = machine.get("States")
        if not isinstance(states, dict) or not states:
            raise ValueError(f"{where}States: must be a non-empty object")
        start = machine.get("StartAt")
        if not isinstance(start, str) or start not in states:
            raise ValueError(f"{where}StartAt: {start!r} is not a state")
        edges: dict[str, set[str]] = {}
        for name, state in states.items():
            if not isinstance(name, str) or not name or len(name) > 80:
                raise ValueError(f"{where}States: invalid state name {name!r}")
            if name in _RESERVED_NAMES:
                raise ValueError(
                    f"{where}States.{name}: name the state otherwise; asl-validator (run in CI) "
                    f"mistakes a state called {name!r} for the ASL field"
                )
            edges[name] = self.state(state, name, states, f"{where}States.{name}")
        reachable = set()
        todo: list[str] = [start]
        while todo:
            current = todo.pop()
            if current not in reachable:
                reachable.add(current)
                todo.extend(edges[current])
        unreachable = sorted(set(states) - reachable)
        if unreachable:
            raise ValueError(f"{where}States: state(s) {', '.join(unreachable)} cannot be reached from {start}")

    def state(self, state: Any, name: str, states: Mapping[str, Any], where: str) -> set[str]:
        if not isinstance(state, dict):
            raise ValueError(f"{where}: must be an object")
        kind = state.get("Type")
        if kind not in _FIELDS:
            raise ValueError(f"{where}: state type {kind!r} is not supported (supported: {', '.join(_FIELDS)})")
        language = state.get("QueryLanguage", self.language)
        if language not in ("JSONPath", "JSONata"):
            raise ValueError(f"{where}.QueryLanguage: must be JSONPath or JSONata, not {language!r}")
        jsonata = language == "JSONata"
        if jsonata and self.language == "JSONPath" and kind in ("Parallel", "Map") and "QueryLanguage" in state:
            pass  # a JSONata Parallel/Map inside a JSONPath machine: its branches default to JSONPath
        allowed = _JSONATA_FIELDS[kind] if jsonata else _FIELDS[kind]
        extra = set(state) - allowed
        if extra:
            raise ValueError(
                f"{where}: field(s) {sorted(extra)} not supported in a {language} {kind} state by the local runner"
            )
        nexts: set[str] = set()

        def target(value: Any, field_name: str) -> None:
            if value not in states:
                raise ValueError(f"{where}.{field_name}: {value!r} is not a state")
            nexts.add(value)

        if kind not in _TERMINAL:
            if ("Next" in state) == bool(state.get("End")):
                raise ValueError(f"{where}: needs exactly one of Next or End: true")
            if "Next" in state:
                target(state["Next"], "Next")
        for i, retrier in enumerate(state.get("Retry", [])):
            self.retrier(retrier, f"{where}.Retry[{i}]", last=i == len(state["Retry"]) - 1)
        for i, catcher in enumerate(state.get("Catch", [])):
            self.catcher(catcher, f"{where}.Catch[{i}]", last=i == len(state["Catch"]) - 1, jsonata=jsonata)
            target(catcher["Next"], f"Catch[{i}].Next")
        if jsonata:
            self._jsonata(state, kind, name, where, target)
            return nexts
        for key in ("InputPath", "OutputPath"):
            self.path(state, key, where)
        if "ResultPath" in state:
            self.path(state, "ResultPath", where, reference=True, context=False)
        for key in ("Parameters", "ResultSelector", "ItemSelector", "Assign"):
            if key in state:
                self.template(state[key], f"{where}.{key}")
        getattr(self, f"_{kind.lower()}")(state, name, where, target)
        return nexts

    def _jsonata(self, state: dict[str, Any], kind: str, name: str, where: str, target: Any) -> None:
        """A JSONata state: every ``{% %}`` expression parses; the rest as in JSONPath states."""
        for key in ("Arguments", "Output", "Assign", "Items", "ItemSelector", "Error", "Cause"):
            if key in state:
                expressions.check_template(state[key], f"{where}.{key}")
        for key in ("Seconds", "Timestamp", "MaxConcurrency", "TimeoutSeconds", "HeartbeatSeconds"):
            value = state.get(key)
            if expressions.is_expression(value):
                expressions.check_template(value, f"{where}.{key}")
            elif (
                key == "Seconds"
                and key in state
                and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
            ):
                raise ValueError(f"{where}.Seconds: must be a non-negative integer or a JSONata expression")
        if "Assign" in state and not isinstance(state["Assign"], dict):
            raise ValueError(f"{where}.Assign: must be an object of variable names")
        if kind == "Choice":
            rules = state.get("Choices")
            if not isinstance(rules, list) or not rules:
                raise ValueError(f"{where}.Choices: must be a non-empty list")
            for i, rule in enumerate(rules):
                at = f"{where}.Choices[{i}]"
                if not isinstance(rule, dict) or "Condition" not in rule or "Next" not in rule:
                    raise ValueError(f"{at}: a JSONata choice rule needs Condition and Next")
                extra = set(rule) - {"Condition", "Next", "Output", "Assign", "Comment"}
                if extra:
                    raise ValueError(f"{at}: field(s) {sorted(extra)} not supported in a JSONata choice rule")
                expressions.check_template(rule, at)
                target(rule["Next"], f"Choices[{i}].Next")
            if "Default" in state:
                target(state["Default"], "Default")
        elif kind == "Wait":
            if ("Seconds" in state) == ("Timestamp" in state):
                raise ValueError(f"{where}: needs exactly one of Seconds or Timestamp")
        elif kind == "Task":
            resource = state.get("Resource")
            if not isinstance(resource, str):
                raise ValueError(f"{where}.Resource: missing")
            try:
                self._resource(state, resource, name, where, params_key="Arguments")
            except ValueError:
                if not self.any_resource:
                    raise
                self.definition.foreign.append(name)
        elif kind == "Parallel":
            self._parallel(state, name, where, target)
        elif kind == "Map":
            self._map(state, name, where, target)

    # -- per type ----------------------------------------------------------------------------

    def _pass(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        self.no_placeholders(state.get("Result"), f"{where}.Result")

    def _succeed(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        pass

    def _fail(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        for key in ("Error", "Cause"):
            if key in state and not isinstance(state[key], str):
                raise ValueError(f"{where}.{key}: must be a string")
            if key in state and f"{key}Path" in state:
                raise ValueError(f"{where}: use {key} or {key}Path, not both")
            if f"{key}Path" in state:
                value = state[f"{key}Path"]
                if isinstance(value, str) and value.startswith("States."):
                    try:
                        intrinsics.parse(value)
                    except ValueError as exc:
                        raise ValueError(f"{where}.{key}Path: {exc}") from None
                else:
                    self.path(state, f"{key}Path", where, reference=True)

    def _choice(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        rules = state.get("Choices")
        if not isinstance(rules, list) or not rules:
            raise ValueError(f"{where}.Choices: must be a non-empty list")
        for i, rule in enumerate(rules):
            choice.check_rule(rule, f"{where}.Choices[{i}]")
            if "Next" not in rule:
                raise ValueError(f"{where}.Choices[{i}]: missing Next")
            target(rule["Next"], f"Choices[{i}].Next")
        if "Default" in state:
            target(state["Default"], "Default")

    def _wait(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        given = [key for key in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if key in state]
        if len(given) != 1:
            raise ValueError(f"{where}: needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath")
        key = given[0]
        if key == "Seconds" and (not isinstance(state[key], int) or isinstance(state[key], bool) or state[key] < 0):
            raise ValueError(f"{where}.Seconds: must be a non-negative integer")
        if key == "Timestamp" and choice._timestamp(state[key]) is None:
            raise ValueError(f"{where}.Timestamp: {state[key]!r} is not an RFC 3339 timestamp with a time zone")
        if key.endswith("Path"):
            self.path(state, key, where, reference=True)

    def _task(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        resource = state.get("Resource")
        if not isinstance(resource, str):
            raise ValueError(f"{where}.Resource: missing")
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            value = state.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise ValueError(f"{where}.{key}: must be a positive integer")
        if "HeartbeatSeconds" in state and state["HeartbeatSeconds"] >= state.get("TimeoutSeconds", 99999999):
            raise ValueError(f"{where}: HeartbeatSeconds must be smaller than TimeoutSeconds")
        if self.any_resource:
            try:
                self._resource(state, resource, name, where)
            except ValueError:
                self.definition.foreign.append(name)
            return
        self._resource(state, resource, name, where)

    def _resource(
        self, state: dict[str, Any], resource: str, name: str, where: str, params_key: str = "Parameters"
    ) -> None:
        params = state.get(params_key)
        if resource == EVENTS_PUT:
            self._put_events(state, where)
            return
        if resource in (LAMBDA_INVOKE, LAMBDA_INVOKE_CALLBACK):
            if not isinstance(params, dict):
                raise ValueError(f"{where}.Parameters: {resource} needs Parameters with FunctionName and Payload")
            extra = set(params) - _INVOKE_PARAMETERS
            if extra:
                raise ValueError(
                    f"{where}.Parameters: field(s) {sorted(extra)} not supported for lambda:invoke "
                    f"(use FunctionName and Payload)"
                )
            function = params.get("FunctionName")
            if not isinstance(function, str) or not _PLACEHOLDER.match(function):
                raise ValueError(
                    f"{where}.Parameters.FunctionName: must be a task placeholder like "
                    f'"${{LoadMeetingFunctionArn}}", got {function!r}'
                )
            placeholder = function
            if "Payload" not in params and "Payload.$" not in params:
                raise ValueError(f"{where}.Parameters: Payload (or Payload.$) is required")
            token_ref = "$states.context.Task.Token" if params_key == "Arguments" else "$$.Task.Token"
            if resource == LAMBDA_INVOKE_CALLBACK and token_ref not in json.dumps(params.get("Payload", {})):
                raise ValueError(
                    f"{where}.Parameters.Payload: a .waitForTaskToken task must pass the token, "
                    f'e.g. "taskToken.$": "$$.Task.Token"'
                )
        else:
            if not _PLACEHOLDER.match(resource):
                raise ValueError(
                    f"{where}.Resource: {resource!r} is not supported; use a task placeholder like "
                    f'"${{LoadMeetingFunctionArn}}", {LAMBDA_INVOKE} or {LAMBDA_INVOKE_CALLBACK}'
                )
            placeholder = resource
        match = _PLACEHOLDER.match(placeholder)
        assert match is not None
        task = task_name_of_placeholder(match.group(1))
        if task is None:
            raise ValueError(
                f"{where}: placeholder ${{{match.group(1)}}} must name a task as "
                f"${{<TaskName>FunctionArn}} with a CamelCase task name"
            )
        self.definition.tasks.setdefault(task, []).append(name)
        if "HeartbeatSeconds" in state and resource != LAMBDA_INVOKE_CALLBACK:
            raise ValueError(f"{where}.HeartbeatSeconds: only .waitForTaskToken tasks can send heartbeats here")

    def _put_events(self, state: dict[str, Any], where: str) -> None:
        if "TimeoutSeconds" in state or "HeartbeatSeconds" in state:
            raise ValueError(f"{where}: TimeoutSeconds / HeartbeatSeconds are not supported for events:putEvents")
        params = state.get("Parameters")
        if (
            not isinstance(params, dict)
            or set(params) != {"Entries"}
            or not isinstance(params["Entries"], list)
            or not params["Entries"]
        ):
            raise ValueError(f"{where}.Parameters: events:putEvents needs exactly a non-empty Entries list")
        for i, entry in enumerate(params["Entries"]):
            at = f"{where}.Parameters.Entries[{i}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{at}: must be an object")
            extra = set(entry) - _ENTRY_FIELDS
            if extra:
                raise ValueError(
                    f"{at}: field(s) {sorted(extra)} not supported (use Source, DetailType, Detail, EventBusName)"
                )
            for key in ("Source", "DetailType"):
                if key not in entry and f"{key}.$" not in entry:
                    raise ValueError(f"{at}: {key} is required")
            if entry.get("EventBusName", EVENT_BUS_PLACEHOLDER) != EVENT_BUS_PLACEHOLDER:
                raise ValueError(f"{at}.EventBusName: must be {EVENT_BUS_PLACEHOLDER} (the project's bus)")

    def _parallel(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            raise ValueError(f"{where}.Branches: must be a non-empty list")
        for i, branch in enumerate(branches):
            extra = set(branch) - {"StartAt", "States", "Comment"} if isinstance(branch, dict) else set()
            if extra:
                raise ValueError(f"{where}.Branches[{i}]: unsupported field(s) {sorted(extra)}")
            self.machine(branch, f"{where}.Branches[{i}].")

    def _map(self, state: dict[str, Any], name: str, where: str, target: Any) -> None:
        if "ItemProcessor" in state and "Iterator" in state:
            raise ValueError(f"{where}: use ItemProcessor or Iterator, not both")
        if "ItemSelector" in state and "Parameters" in state:
            raise ValueError(f"{where}: use ItemSelector or Parameters, not both")
        key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        processor = state.get(key)
        if not isinstance(processor, dict):
            raise ValueError(f"{where}: needs an ItemProcessor")
        config = processor.get("ProcessorConfig", {})
        if config.get("Mode", "INLINE") != "INLINE" or set(config) - {"Mode"}:
            raise ValueError(f"{where}.{key}.ProcessorConfig: only the INLINE mode is supported (no distributed map)")
        extra = set(processor) - {"StartAt", "States", "Comment", "ProcessorConfig"}
        if extra:
            raise ValueError(f"{where}.{key}: unsupported field(s) {sorted(extra)}")
        if "ItemsPath" in state:
            self.path(state, "ItemsPath", where, reference=True)
        limit = state.get("MaxConcurrency", 0)
        if expressions.is_expression(limit):
            limit = 0  # a JSONata expression, checked when the state runs
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"{where}.MaxConcurrency: must be a non-negative integer")
        if "MaxConcurrencyPath" in state:
            if "MaxConcurrency" in state:
                raise ValueError(f"{where}: use MaxConcurrency or MaxConcurrencyPath, not both")
            self.path(state, "MaxConcurrencyPath", where, reference=True)
        self.machine(processor, f"{where}.{key}.")

    # -- pieces --------------------------------------------------------------------------------

    def path(
        self, state: Mapping[str, Any], key: str, where: str, reference: bool = False, context: bool = True
    ) -> None:
        value = state.get(key, "$")
        if value is None and key in ("InputPath", "OutputPath", "ResultPath"):
            return
        if not isinstance(value, str):
            raise ValueError(f"{where}.{key}: must be a JSONPath string")
        try:
            check_path(value, reference=reference, context_allowed=context)
        except ValueError as exc:
            raise ValueError(f"{where}.{key}: {exc}") from None

    def template(self, template: Any, where: str) -> None:
        if isinstance(template, dict):
            for key, value in template.items():
                if key.endswith(".$"):
                    if not isinstance(value, str):
                        raise ValueError(f"{where}.{key}: must be a path or an intrinsic function")
                    try:
                        if value.startswith("$"):
                            check_path(value)
                        else:
                            intrinsics.parse(value)
                    except ValueError as exc:
                        raise ValueError(f"{where}.{key}: {exc}") from None
                elif not (key == "FunctionName" or (key == "EventBusName" and value == EVENT_BUS_PLACEHOLDER)):
                    self.template(value, f"{where}.{key}")
        elif isinstance(template, list):
            for i, value in enumerate(template):
                self.template(value, f"{where}[{i}]")
        else:
            self.no_placeholders(template, where)

    def no_placeholders(self, value: Any, where: str) -> None:
        text = json.dumps(value)
        if "${" in text:
            raise ValueError(
                f"{where}: '${{' placeholders are only supported as task resources "
                f"(Terraform's templatefile would fill them; the local runner cannot)"
            )

    def retrier(self, retrier: Any, where: str, last: bool) -> None:
        if not isinstance(retrier, dict):
            raise ValueError(f"{where}: must be an object")
        extra = set(retrier) - _RETRIER_FIELDS
        if extra:
            raise ValueError(f"{where}: unsupported field(s) {sorted(extra)}")
        self.error_equals(retrier, where, last)
        for key, low in (("IntervalSeconds", 1), ("MaxAttempts", 0), ("MaxDelaySeconds", 1)):
            value = retrier.get(key, low)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{where}.{key}: must be an integer >= {low}")
        rate = retrier.get("BackoffRate", 2.0)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or rate < 1.0:
            raise ValueError(f"{where}.BackoffRate: must be a number >= 1.0")
        if retrier.get("JitterStrategy", "NONE") != "NONE":
            raise ValueError(f"{where}.JitterStrategy: only NONE is supported (jitter is not deterministic)")

    def catcher(self, catcher: Any, where: str, last: bool, jsonata: bool = False) -> None:
        if not isinstance(catcher, dict):
            raise ValueError(f"{where}: must be an object")
        extra = set(catcher) - (_JSONATA_CATCHER_FIELDS if jsonata else _CATCHER_FIELDS)
        if extra:
            raise ValueError(f"{where}: unsupported field(s) {sorted(extra)}")
        if "Next" not in catcher:
            raise ValueError(f"{where}: missing Next")
        self.error_equals(catcher, where, last)
        if "ResultPath" in catcher:
            self.path(catcher, "ResultPath", where, reference=True, context=False)

    def error_equals(self, item: Mapping[str, Any], where: str, last: bool) -> None:
        names = item.get("ErrorEquals")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"{where}.ErrorEquals: must be a non-empty list of error names")
        if "States.ALL" in names and (len(names) > 1 or not last):
            raise ValueError(f"{where}.ErrorEquals: States.ALL must appear alone, in the last entry")


def load_definitions(paths: Iterable[str | Path]) -> dict[str, WorkflowDefinition]:
    """Load every file; all problems are collected into one :class:`DefinitionError`."""
    found: dict[str, WorkflowDefinition] = {}
    problems: list[str] = []
    for path in paths:
        try:
            definition = load_file(path)
        except DefinitionError as exc:
            problems.append(str(exc))
            continue
        if definition.name in found:
            problems.append(f"{path}: workflow {definition.name!r} is also defined by {found[definition.name].source}")
            continue
        found[definition.name] = definition
    if problems:
        raise DefinitionError("\n".join(problems))
    return found


def check_tasks(definitions: Iterable[WorkflowDefinition], tasks: TaskRegistry) -> None:
    """The start-up check: every task a definition names is registered (``UnknownTaskError`` otherwise)."""
    missing = [
        f"{definition.source}: state(s) {', '.join(states)} use ${{{task}FunctionArn}} but no plugin registered "
        f"a workflow task named {task!r}"
        for definition in definitions
        for task, states in definition.tasks.items()
        if task not in tasks
    ]
    if missing:
        known = ", ".join(tasks.names()) or "none"
        raise UnknownTaskError("\n".join(missing) + f"\n(registered workflow tasks: {known})")


def iter_states(definition: WorkflowDefinition) -> Iterator[tuple[MachinePath, str, dict[str, Any]]]:
    """Every state of the definition with its machine path."""

    def walk(path: MachinePath) -> Iterator[tuple[MachinePath, str, dict[str, Any]]]:
        for name, state in definition.machine(path)["States"].items():
            yield path, name, state
            if state["Type"] == "Parallel":
                for i in range(len(state["Branches"])):
                    yield from walk((*path, name, i))
            elif state["Type"] == "Map":
                yield from walk((*path, name))

    return walk(())
