"""The local ASL runner: executes the same ``workflows/*.asl.json`` as Step Functions, durably.

An execution is a set of *threads* — the top-level state machine, each Parallel branch, each Map
iteration — kept in one record of the ``workflow_executions`` table together with the definition it
started with. The runner steps one thread by one state at a time and persists the record after every
transition (with optimistic concurrency, so two processes never both advance it), appending each step
to ``workflow_history``. A thread that waits — for a task token, a ``Wait`` state, a retry interval or a
timeout — is parked in the record; tokens live in ``workflow_tokens`` (answering one is a conditional
write, so a second answer is detected atomically) and due times in ``workflow_timers``. Nothing lives
only in memory: a new process on the same store picks up where the old one stopped.

Time is the runtime clock. The runner registers a clock listener, so ``advance 2h`` runs the Waits,
retries and timeouts that became due, synchronously; :meth:`LocalWorkflowEngine.run_due` does the same
for real time passing (``crewbot dev`` calls it periodically).

Differences from Step Functions, all deliberate: handlers run in-process and synchronously (a Map's
iterations start in index order, each running up to its first wait, at most ``MaxConcurrency`` at once); a
request-response task's ``TimeoutSeconds`` is checked when its handler returns (a handler cannot be
interrupted). docs/workflows.md lists every known difference and what survives a crash.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import hashlib
import json
import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.events.bus import EventBus
from bot.storage.base import ConflictError, SortCondition, Store, Table
from bot.workflows import choice, expressions, intrinsics, paths, records, templates
from bot.workflows.definitions import EVENTS_PUT, WorkflowDefinition, parse_definition
from bot.workflows.engine import Execution, HistoryEvent, WorkflowEngine
from bot.workflows.errors import (
    ExecutionAlreadyExists,
    ExecutionNotFound,
    InvalidTaskToken,
    TaskTokenAnswered,
    TaskTokenError,
    TaskTokenExpired,
    WorkflowError,
    WorkflowNotFound,
)
from bot.workflows.tasks import TaskContext, TaskRegistry, task_error

logger = logging.getLogger(__name__)

Thread = dict[str, Any]
Record = dict[str, Any]

RUNTIME = "States.Runtime"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
DATA_LIMIT = "States.DataLimitExceeded"
QUERY_ERROR = expressions.QUERY_ERROR
_MISSING: Any = object()  # "no such value" for $states.result / $states.errorOutput

#: Step Functions' hard quotas the runner enforces: the size of any input, output or result (UTF-8 JSON)
#: and the number of events in one execution's history.
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_HISTORY_EVENTS = 25_000
#: The longest a Wait state may wait (Step Functions fails a longer one at run time: about 24,855 days).
MAX_WAIT_SECONDS = 2**31 - 1
#: Values bigger than this are kept in ``workflow_data`` rather than inside the execution record, so a
#: record stays far below the store's item limit however many threads hold large data.
SPILL_BYTES = 8 * 1024
PACK_BYTES = 64 * 1024  # records smaller than this are stored whole
_SPILLED = "__crewbot_spilled__"
#: The local stand-ins for the account and region in ARNs of the context object.
LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "local"


def _java(value: Any) -> str:
    """A value as Step Functions shows it in error causes (strings bare, the rest as JSON)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _shallow(record: Record) -> Record:
    """A copy of ``record`` down to the containers that hold its data slots (threads, waits, queue
    entries), so replacing a slot never touches the record being driven; the values are shared (the
    store serialises them)."""
    out = dict(record)
    threads = {}
    for key, thread in record.get("threads", {}).items():
        copied = dict(thread)
        wait = thread.get("wait")
        if wait:
            copied["wait"] = dict(wait)
            if wait.get("dispatch"):
                copied["wait"]["dispatch"] = dict(wait["dispatch"])
            if wait.get("queue"):
                copied["wait"]["queue"] = [dict(entry) for entry in wait["queue"]]
        threads[key] = copied
    out["threads"] = threads
    return out


def _size(value: Any) -> int:
    """A value's size as Step Functions counts it: the UTF-8 bytes of its JSON text."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


class _HistoryFull(BaseException):  # a control-flow signal: no state's error handling may catch it
    """The execution's history reached its quota; the execution has been failed in memory."""


class _StateError(Exception):
    """A state failed with an ASL error (handled by Retry / Catch)."""

    def __init__(self, error: str | None, cause: str | None = None, heartbeat: bool = False):
        super().__init__(f"{error}: {cause}")
        self.heartbeat = heartbeat  # a States.Timeout from a missed heartbeat
        self.error = error
        self.cause = cause


def _iso(moment: datetime) -> str:
    # Always UTC with a fixed width, so stored times (and timer keys) sort as text.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def error_matches(names: list[str], error: str | None, heartbeat: bool = False) -> bool:
    """ASL error matching: exact names; ``States.ALL`` matches all but ``States.Runtime``;
    ``States.TaskFailed`` matches errors that are not ``States.*`` (as the reference interpreter does);
    ``States.Timeout`` also matches a heartbeat timeout. ``States.Runtime`` and the terminal
    ``States.DataLimitExceeded`` are never caught."""
    if error in (RUNTIME, DATA_LIMIT):
        return False
    for name in names:
        if name in (error, "States.ALL"):
            return True
        if name == "States.TaskFailed" and error is not None and not error.startswith("States."):
            return True
        if name == TIMEOUT and error == HEARTBEAT_TIMEOUT:
            return True
        if name == HEARTBEAT_TIMEOUT and heartbeat:
            return True
    return False


class LocalWorkflowEngine(WorkflowEngine):
    """The durable local ASL runner (``runtime: local``)."""

    def __init__(
        self,
        definitions: Mapping[str, WorkflowDefinition],
        tasks: TaskRegistry,
        store: Store,
        clock: Clock,
        *,
        bus: EventBus | None = None,
        listen: bool = True,
        crewbot: Any = None,
        on_answer: Callable[[str], None] | None = None,
    ):
        self.definitions = dict(definitions)
        #: Called with each token answered, or refused as over (ends its recorded wait for a person).
        self._on_answer = on_answer
        #: The runtime handed to task handlers in their :class:`TaskContext`.
        self.crewbot = crewbot
        self.bus = bus
        self.tasks = tasks
        self.clock = clock
        self._executions: Table = store.table(records.EXECUTIONS)
        self._history: Table = store.table(records.HISTORY)
        self._tokens: Table = store.table(records.TOKENS)
        self._timers: Table = store.table(records.TIMERS)
        self._definitions: Table = store.table(records.DEFINITIONS)
        self._data: Table = store.table(records.DATA)
        self._stored_definitions: set[str] = set()
        self._lock = threading.RLock()
        self._active: set[str] = set()
        self._virtual_now: datetime | None = None
        self._parsed: dict[str, WorkflowDefinition] = {}
        #: Options for parsing stored definitions again (the ``run`` command accepts any resource).
        self.load_options: dict[str, Any] = {}
        #: Mocked Task states by state name, as Step Functions' mocked service integrations:
        #: ``{"Return": <result>}`` or ``{"Throw": {"Error": ..., "Cause": ...}}``.
        self.mocks: dict[str, dict[str, Any]] = {}
        if listen:
            clock.on_advance(self._on_advance)

    # -- the interface ---------------------------------------------------------------------------

    def workflows(self) -> builtins.list[str]:
        return sorted(self.definitions)

    def start(self, workflow: str, input: Any = None, *, name: str | None = None) -> Execution:
        definition = self.definitions.get(workflow)
        if definition is None:
            raise WorkflowNotFound(f"no workflow named {workflow!r} (known: {', '.join(self.workflows()) or 'none'})")
        name = name or str(uuid.uuid4())
        execution_id = f"{workflow}:{name}"
        now = self._now()
        try:
            data = {} if input is None else json.loads(json.dumps(input, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise WorkflowError(f"the input of {workflow!r} must be JSON data: {exc}") from None
        size = _size(data)
        if size > MAX_PAYLOAD_BYTES:
            # Step Functions refuses such a StartExecution call; nothing is created.
            raise WorkflowError(
                f"{DATA_LIMIT}: the input of {workflow!r} is {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes"
            )
        if self._executions.get({"execution_id": execution_id}) is not None:
            raise ExecutionAlreadyExists(f"workflow {workflow!r} already has an execution named {name!r}")
        record: Record = {
            "execution_id": execution_id,
            "workflow": workflow,
            "name": name,
            "kind": "execution",
            "status": "RUNNING",
            "input": data,
            "output": None,
            "error": None,
            "cause": None,
            "started_at": _iso(now),
            "stopped_at": None,
            "started_key": f"{_iso(now)}#{name}",
            "definition_key": self._store_definition(definition),
            "threads": {},
            "next_thread": 0,
            "next_event": 0,
        }
        root = self._new_thread(
            record, parent=None, index=0, machine=[], state=definition.document["StartAt"], data=data
        )
        self._event(record, "ExecutionStarted", {"input": data, "workflow": workflow})
        self._enter(record, root)
        timeout = definition.document.get("TimeoutSeconds")
        if timeout:
            # The execution-level TimeoutSeconds: the whole execution times out when it falls due.
            due = now + timedelta(seconds=timeout)
            record["timeout_at"] = _iso(due)
            self._timers.put(
                {
                    "queue": records.TIMER_QUEUE,
                    "due_key": f"{_iso(due)}#{execution_id}#timeout",
                    "execution_id": execution_id,
                }
            )
        # History and large values first: whatever the record refers to exists once it is stored.
        self._history.put_many(record.pop("_events"))
        try:
            self._executions.create(self._pack(record))
        except ConflictError:
            raise ExecutionAlreadyExists(f"workflow {workflow!r} already has an execution named {name!r}") from None
        logger.info("workflow %s started: %s", workflow, execution_id)
        self._drive_guarded(execution_id)
        return self.describe(execution_id)

    def describe(self, execution_id: str) -> Execution:
        return _to_execution(self._load(execution_id))

    def list(
        self, workflow: str | None = None, *, status: str | None = None, limit: int = 100
    ) -> builtins.list[Execution]:
        if workflow is not None:
            items = self._executions.query_all(workflow, index="by_workflow", descending=True)
        else:
            items = self._executions.query_all("execution", index="by_kind", descending=True)
        found = [
            _to_execution(
                {**item, "input": self._unspill(item.get("input")), "output": self._unspill(item.get("output"))}
            )
            for item in items
            if status is None or item["status"] == status
        ]
        return found[:limit]

    def history(self, execution_id: str) -> builtins.list[HistoryEvent]:
        execution_id = _execution_id(execution_id)
        record = self._executions.get({"execution_id": execution_id})
        if record is None:
            raise ExecutionNotFound(f"no workflow execution {execution_id!r}")
        # Events are written before the record that counts them: any beyond its count belong to
        # transitions a stopped process never committed (they are rewritten when those run again).
        last = f"{record['next_event']:08d}"
        return [
            HistoryEvent(
                id=int(item["event_id"]),
                timestamp=_parse(item["timestamp"]),
                type=item["type"],
                details=item.get("details") or {},
            )
            for item in self._history.query_all(execution_id, sort=SortCondition("lte", last))
        ]

    def send_task_success(self, token: str, output: Any) -> None:
        self._answer_once(token, {"status": "SUCCEEDED", "output": copy.deepcopy(output)})

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        self._answer_once(token, {"status": "FAILED", "error": error, "cause": cause})

    def _answer_once(self, token: str, answer: dict[str, Any]) -> None:
        try:
            self._answer(token, answer)
        except TaskTokenError:
            self._answered(token)  # over already: nobody waits on it any more
            raise

    def _answered(self, token: str) -> None:
        if self._on_answer is not None:
            self._on_answer(token)

    def send_task_heartbeat(self, token: str) -> None:
        record = self._token(token)
        self._check_open(record)
        record["heartbeat_at"] = _iso(self._now())
        try:
            self._tokens.put(record, expected_version=record["version"])
        except ConflictError:
            self._check_open(self._token(token))  # answered meanwhile: say so; otherwise a later heartbeat won

    def stop(self, execution_id: str, error: str = "", cause: str = "") -> Execution:
        with self._lock:
            for _ in range(5):
                record = self._load(execution_id)
                if record["status"] != "RUNNING":
                    return _to_execution(record)
                for thread in list(record["threads"].values()):
                    self._cancel(record, thread)
                self._finish(record, "ABORTED", error=error or None, cause=cause or None)
                if self._save(record) is not None:
                    return _to_execution(record)
        raise WorkflowError(f"{execution_id}: kept changing while stopping it; try again")

    def run_due(self, now: datetime | None = None) -> int:
        """Run every Wait, retry and timeout due by ``now`` (default: the clock), earliest first.

        Each runs *at its due time*: a retry scheduled from it counts from then, so one big clock
        advance plays out everything that would have happened in between, in order."""
        moment = now or self.clock.now()
        touched: set[str] = set()
        with self._lock:
            for _ in range(100_000):  # a bound, so a definition looping on short Waits cannot hang the process
                page = self._timers.query(records.TIMER_QUEUE, sort=SortCondition("lt", _iso(moment) + "$"), limit=1)
                if not page.items:
                    break
                timer = page.items[0]
                self._virtual_now = _parse(timer["due_key"].split("#", 1)[0])
                try:
                    self._drive_guarded(timer["execution_id"])
                finally:
                    self._virtual_now = None
                self._timers.delete({"queue": records.TIMER_QUEUE, "due_key": timer["due_key"]})
                touched.add(timer["execution_id"])
        return len(touched)

    def recover(self) -> builtins.list[str]:
        """Drive every running execution as far as it can go now; returns the ids of those that moved.

        This picks up what a stopped process left behind: a state that was about to run (it runs
        again from its saved input, so task handlers run at least once, as with Lambda retries), a
        callback task whose handler may not have been called (it is called again with the *same*
        token), and an answer that was committed but not yet applied. Each execution recovers on its
        own: one that cannot (its stored data is broken) fails with ``States.Runtime`` saying why, and
        the others go on. Call it when the long-running process starts
        (:func:`bot.events.ticker.start_ticker` does), not from short-lived commands: an execution
        another live process is stepping also looks resumable between two transitions."""
        moved = []
        for item in self._executions.query_all("execution", index="by_kind"):
            if item["status"] != "RUNNING":
                continue
            execution_id = item["execution_id"]
            if self._drive_guarded(execution_id, recovering=True):
                logger.warning("workflow execution %s was interrupted; resumed it", execution_id)
                moved.append(execution_id)
        return moved

    def next_due(self) -> datetime | None:
        """When the earliest Wait, retry or timeout falls due (``None`` when nothing waits on time)."""
        page = self._timers.query(records.TIMER_QUEUE, limit=1)
        return _parse(page.items[0]["due_key"].split("#", 1)[0]) if page.items else None

    def _now(self) -> datetime:
        """The runner's "now": the clock, or, while catching up on due timers, the due time being run."""
        return self._virtual_now or self.clock.now()

    def _on_advance(self, now: datetime) -> None:
        self.run_due(now)

    # -- tokens ----------------------------------------------------------------------------------

    def _token(self, token: str) -> Record:
        if not isinstance(token, str) or not token:
            raise InvalidTaskToken("a task token must be a non-empty string")
        record = self._tokens.get({"token": token})
        if record is None:
            raise InvalidTaskToken(f"unknown task token {token[:12]}…")
        return record

    @staticmethod
    def _check_open(record: Record) -> None:
        status = record["status"]
        if status in ("SUCCEEDED", "FAILED"):
            raise TaskTokenAnswered(
                f"task {record['state']} of {record['execution_id']} was answered already ({status.lower()})"
            )
        if status == "TIMED_OUT":
            raise TaskTokenExpired(f"task {record['state']} of {record['execution_id']} timed out")
        if status != "WAITING":
            raise TaskTokenExpired(
                f"task {record['state']} of {record['execution_id']} is over: the task failed or its execution ended"
            )

    def _answer(self, token: str, answer: dict[str, Any]) -> None:
        record = self._token(token)
        self._check_open(record)
        execution = self._executions.get({"execution_id": record["execution_id"]})
        thread = (execution or {}).get("threads", {}).get(record["thread"]) if execution else None
        wait = (thread or {}).get("wait") or {}
        if execution is None or execution["status"] != "RUNNING" or wait.get("token") != token:
            # No attempt of the task waits on this token any more: refuse it as Step Functions does,
            # rather than accepting an answer nothing would read.
            self._close_token(token, "CANCELLED")
            raise TaskTokenExpired(
                f"TaskTimedOut: task {record['state']} of {record['execution_id']} is over "
                f"(this token belongs to an attempt that ended)"
            )
        # A timer due now, written before the answer: if this process stops right after committing
        # the answer, the next run_due() in any process (the CLI's, the ticker's) applies it.
        self._timers.put(
            {
                "queue": records.TIMER_QUEUE,
                "due_key": f"{_iso(self._now())}#{record['execution_id']}#answer",
                "execution_id": record["execution_id"],
            }
        )
        try:
            # The conditional write is the one place a token changes hands: exactly one answer wins.
            self._tokens.put({**record, **answer, "answered_at": _iso(self._now())}, expected_version=record["version"])
        except ConflictError:
            self._check_open(self._token(token))
            raise
        self._answered(token)
        # The answer is committed: from here on it is applied by this call, or — if this process
        # stops first — by the next recover() / run_due().
        self._drive_guarded(record["execution_id"])

    # -- driving ---------------------------------------------------------------------------------

    def _drive_guarded(self, execution_id: str, recovering: bool = False) -> bool:
        """:meth:`_drive` inside the execution's own error boundary: an execution whose stored data
        cannot be driven fails itself with ``States.Runtime`` instead of raising into the caller (and
        so into other executions' recovery). ``True`` when it moved."""
        try:
            return self._drive(execution_id)
        except Exception as exc:
            logger.exception("workflow execution %s cannot continue; failing it", execution_id)
            what = "could not be recovered" if recovering else "cannot continue"
            self._fail_broken(execution_id, f"The execution {what}: {type(exc).__name__}: {exc}")
            return True

    def _fail_broken(self, execution_id: str, cause: str) -> None:
        with self._lock:
            for _ in range(5):
                item = self._executions.get({"execution_id": execution_id})
                if item is None or item["status"] != "RUNNING":
                    return
                for thread in item.get("threads", {}).values():
                    wait = thread.get("wait") or {}
                    if wait.get("kind") == "token":
                        with contextlib.suppress(Exception):
                            self._close_token(wait["token"], "CANCELLED")
                # Keep what identifies the execution; drop the threads that could not be driven.
                item.update(threads={}, status="FAILED", output=None, error=RUNTIME, cause=cause)
                item["stopped_at"] = _iso(self._now())
                seq = int(item.get("next_event", 0)) + 1
                item["next_event"] = seq
                event = {
                    "execution_id": execution_id,
                    "event_id": f"{seq:08d}",
                    "type": "ExecutionFailed",
                    "timestamp": _iso(self._now()),
                    "details": {"error": RUNTIME, "cause": cause},
                }
                with contextlib.suppress(Exception):
                    self._history.put(event)
                try:
                    self._executions.put(item, expected_version=item["version"])
                    return
                except ConflictError:
                    continue

    def _drive(self, execution_id: str) -> bool:
        """Advance the execution until every thread waits or it ends; ``True`` when it moved.

        Transitions without side effects (Pass, Choice, the bookkeeping of Parallel and Map ...) are
        saved together; the record is always saved before a task handler runs and when the execution
        stops moving, so a stopped process loses at most transitions that are simply redone."""
        with self._lock:
            if execution_id in self._active:
                return False  # re-entered from a handler (it answered its own token): the outer loop sees it
            self._active.add(execution_id)
            try:
                conflicts = 0
                moved = dirty = False
                record = self._load(execution_id)
                while True:
                    if record["status"] != "RUNNING":
                        break
                    if record.get("timeout_at") and _parse(record["timeout_at"]) <= self._now():
                        for thread in list(record["threads"].values()):
                            self._cancel(record, thread)
                        self._finish(record, "TIMED_OUT")
                        moved = dirty = True
                        break
                    if dirty and self._effect_next(record):
                        stored = self._save(record)
                        dirty = False
                        if stored is None:
                            conflicts = self._conflict(execution_id, conflicts)
                            record = self._load(execution_id)
                            continue
                    if not self._advance_one(record):
                        break
                    moved = dirty = True
                if dirty or record.get("_timers"):
                    # Saved when nothing moves any more; a renewed heartbeat only adds a timer.
                    if dirty:
                        if self._save(record) is None:
                            self._conflict(execution_id, conflicts)
                            return self._drive_again(execution_id)
                    else:
                        self._flush_timers(record)
                return moved
            finally:
                self._active.discard(execution_id)

    def _drive_again(self, execution_id: str) -> bool:
        self._active.discard(execution_id)
        return self._drive(execution_id)

    @staticmethod
    def _conflict(execution_id: str, conflicts: int) -> int:
        # Another process moved the execution: reload and look again (a bound, so it cannot spin).
        if conflicts >= 20:
            raise WorkflowError(f"{execution_id}: too many concurrent updates")
        return conflicts + 1

    def _effect_next(self, record: Record) -> bool:
        """Whether the next transition may call a task handler (so what came before must be saved)."""
        for thread in record["threads"].values():
            if thread["status"] == "ready" and self._state(record, thread)["Type"] == "Task":
                return True
            wait = thread.get("wait") or {}
            if wait.get("dispatch"):
                return True
        return False

    def _advance_one(self, record: Record) -> bool:
        """Make one transition on the first thread that can move; ``False`` when none can."""
        now = self._now()
        try:
            for thread in sorted(record["threads"].values(), key=lambda t: t["seq"]):
                if thread["status"] == "ready":
                    self._run_state(record, thread)
                    return True
                if thread["status"] == "waiting" and self._resume(record, thread, now):
                    return True
        except _HistoryFull:
            return True  # the execution has failed; the caller saves it
        return False

    def _resume(self, record: Record, thread: Thread, now: datetime) -> bool:
        wait = thread["wait"]
        kind = wait["kind"]
        if kind == "children":
            return False
        if kind == "token":
            return self._resume_token(record, thread, now)
        if _parse(wait["due"]) > now:
            return False
        state = self._state(record, thread)
        thread["wait"] = None
        if kind == "retry":
            self._event(record, "StateRetried", {"state": thread["state"], "attempt": thread["retry_count"]}, thread)
            thread["status"] = "ready"
            thread["resume_retry"] = True
        else:  # a Wait state's time has come
            self._transition(record, thread, state, wait["output"])
        return True

    def _resume_token(self, record: Record, thread: Thread, now: datetime) -> bool:
        wait = thread["wait"]
        token = self._tokens.get({"token": wait["token"]})
        if token is None:
            raise WorkflowError(f"{record['execution_id']}: task token record {wait['token'][:12]}… is missing")
        dispatch = wait.pop("dispatch", None)
        if dispatch is not None and token["status"] == "WAITING":
            self._dispatch(record, thread, dispatch, wait["token"])
            return True
        if token["status"] == "WAITING":
            error = None
            heartbeat = False
            if wait.get("due") and _parse(wait["due"]) <= now:
                error = TIMEOUT
            elif wait.get("heartbeat_seconds"):
                last = _parse(token.get("heartbeat_at") or wait["since"])
                if last + timedelta(seconds=wait["heartbeat_seconds"]) <= now:
                    # Step Functions records a missed heartbeat as States.Timeout on a TaskTimedOut
                    # event; a retrier or catcher naming States.HeartbeatTimeout matches it too.
                    error, heartbeat = TIMEOUT, True
                else:
                    self._timer(record, thread, last + timedelta(seconds=wait["heartbeat_seconds"]))
            if error is None:
                return False
            try:
                self._tokens.put({**token, "status": "TIMED_OUT"}, expected_version=token["version"])
            except ConflictError:
                return True  # answered in the meantime: the next pass reads the answer
            self._event(record, "TaskTimedOut", {"state": thread["state"], "error": error}, thread)
            thread["wait"] = None
            self._handle_error(record, thread, _StateError(error, None, heartbeat=heartbeat))
            return True
        thread["wait"] = None
        if token["status"] == "TIMED_OUT":  # timed out by a process that stopped before saving the execution
            self._handle_error(record, thread, _StateError(TIMEOUT, None))
        elif token["status"] == "SUCCEEDED":
            self._event(record, "TaskSucceeded", {"state": thread["state"], "output": token.get("output")}, thread)
            state = self._state(record, thread)
            self._finish_work(record, thread, state, token.get("output"))
        else:
            error = token.get("error") or "States.TaskFailed"
            self._event(
                record,
                "TaskFailed",
                {"state": thread["state"], "error": error, "cause": token.get("cause") or ""},
                thread,
            )
            self._handle_error(record, thread, _StateError(error, token.get("cause") or ""))
        return True

    # -- states ----------------------------------------------------------------------------------

    def _enter(self, record: Record, thread: Thread) -> None:
        state = self._state(record, thread)
        thread["entered_at"] = _iso(self._now())
        thread["retry_count"] = 0
        thread["retries"] = {}
        self._event(
            record, f"{state['Type']}StateEntered", {"state": thread["state"], "input": thread["input"]}, thread
        )
        thread["entered_event"] = record["next_event"]

    def _run_state(self, record: Record, thread: Thread) -> None:
        state = self._state(record, thread)
        thread["status"] = "running"
        retrying = thread.pop("resume_retry", False)
        try:
            getattr(self, f"_do_{state['Type'].lower()}")(record, thread, state, retrying)
        except paths.PathError as exc:
            self._handle_error(record, thread, self._runtime(thread, str(exc)))
        except _StateError as exc:
            if exc.error == RUNTIME and exc.cause and not exc.cause.startswith("An error occurred"):
                exc = self._runtime(thread, exc.cause)
            self._handle_error(record, thread, exc)
        except Exception as exc:  # a bug must fail the execution visibly, not wedge it
            logger.exception("workflow %s: state %s failed unexpectedly", record["execution_id"], thread["state"])
            self._handle_error(record, thread, _StateError(RUNTIME, f"{type(exc).__name__}: {exc}"))

    @staticmethod
    def _runtime(thread: Thread, message: str, error: str = RUNTIME) -> _StateError:
        """A ``States.Runtime`` (or other) error of the state ``thread`` is in, worded as Step Functions
        words it."""
        where = f" (entered at the event id #{thread['entered_event']})" if thread.get("entered_event") else ""
        return _StateError(error, f"An error occurred while executing the state '{thread['state']}'{where}. {message}")

    # -- JSONata and variables -------------------------------------------------------------------

    def _is_jsonata(self, record: Record, state: Mapping[str, Any]) -> bool:
        top = self._definition(record).document.get("QueryLanguage", "JSONPath")
        return bool(state.get("QueryLanguage", top) == "JSONata")

    def _bindings(
        self,
        record: Record,
        thread: Thread,
        *,
        result: Any = _MISSING,
        error_output: Any = _MISSING,
        extra_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """What a JSONata expression sees: the variables and ``$states``."""
        states: dict[str, Any] = {
            "input": thread["input"],
            "context": json.loads(json.dumps(self._context(record, thread, extra_context))),
        }
        if result is not _MISSING:
            states["result"] = result
        if error_output is not _MISSING:
            states["errorOutput"] = error_output
        return {**thread.get("vars", {}), "states": states}

    def _query(self, thread: Thread, template: Any, bindings: dict[str, Any], field: str) -> Any:
        try:
            return expressions.render(template, bindings, field)
        except expressions.QueryError as exc:
            raise self._runtime(thread, str(exc), QUERY_ERROR) from None

    def _assigned(
        self,
        record: Record,
        thread: Thread,
        assign: Any,
        data: Any = None,
        *,
        bindings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The variables an ``Assign`` sets, evaluated with the variables as they were before it
        (JSONata: against ``bindings``; JSONPath: ``$`` is ``data``)."""
        if not assign:
            return {}
        if bindings is not None:
            return dict(self._query(thread, assign, bindings, "Assign"))
        return dict(templates.render(assign, data, self._context(record, thread)))

    @staticmethod
    def _apply(thread: Thread, assigned: Mapping[str, Any]) -> None:
        if assigned:
            thread["vars"] = {**thread.get("vars", {}), **assigned}

    def _jsonata_exit(
        self, record: Record, thread: Thread, state: Mapping[str, Any], bindings: dict[str, Any], default: Any
    ) -> None:
        """A JSONata state's ``Output`` (``default`` without one) and ``Assign``, then on."""
        output = self._query(thread, state["Output"], bindings, "Output") if "Output" in state else default
        assigned = self._assigned(record, thread, state.get("Assign"), bindings=bindings)
        self._apply(thread, assigned)
        self._transition(record, thread, state, output)

    def _jsonata_value(self, record: Record, thread: Thread, value: Any, field: str) -> Any:
        if expressions.is_expression(value):
            return self._query(thread, value, self._bindings(record, thread), field)
        return value

    def _effective_input(
        self, record: Record, thread: Thread, state: Mapping[str, Any], extra_context: Mapping[str, Any] | None = None
    ) -> Any:
        data = paths.select(state.get("InputPath", "$"), thread["input"], self._context(record, thread))
        if "Parameters" in state and state["Type"] != "Map":
            context = self._context(record, thread, extra_context)
            data = templates.render(state["Parameters"], data, context)
        return data

    def _task_input(
        self, record: Record, thread: Thread, state: Mapping[str, Any], extra_context: Mapping[str, Any] | None
    ) -> Any:
        """A Task's (or Parallel's) effective input: JSONata ``Arguments`` or JSONPath ``Parameters``."""
        if self._is_jsonata(record, state):
            if "Arguments" not in state:
                return thread["input"]
            bindings = self._bindings(record, thread, extra_context=extra_context)
            return self._query(thread, state["Arguments"], bindings, "Arguments")
        return self._effective_input(record, thread, state, extra_context)

    def _do_pass(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        if self._is_jsonata(record, state):
            self._jsonata_exit(record, thread, state, self._bindings(record, thread), thread["input"])
            return
        data = self._effective_input(record, thread, state)
        result = copy.deepcopy(state["Result"]) if "Result" in state else data
        self._finish_work(record, thread, state, result, selector=False)

    def _do_succeed(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        if self._is_jsonata(record, state):
            bindings = self._bindings(record, thread)
            output = self._query(thread, state["Output"], bindings, "Output") if "Output" in state else thread["input"]
            self._exit(record, thread, state, output)
            self._thread_done(record, thread, output)
            return
        data = self._effective_input(record, thread, state)
        output = paths.select(state.get("OutputPath", "$"), data, self._context(record, thread))
        self._exit(record, thread, state, output)
        self._thread_done(record, thread, output)

    def _do_fail(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        error = self._fail_field(record, thread, state, "Error")
        cause = self._fail_field(record, thread, state, "Cause")
        self._event(record, "StateFailed", {"state": thread["state"], "error": error, "cause": cause}, thread)
        self._thread_failed(record, thread, error, cause)

    def _fail_field(self, record: Record, thread: Thread, state: dict[str, Any], key: str) -> str | None:
        """A Fail state's ``Error`` / ``Cause``: the literal, or what its ``*Path`` (a path or an
        intrinsic function) gives; ``None`` when the state has neither, as Step Functions reports it."""
        if f"{key}Path" not in state:
            value = state.get(key)
            if self._is_jsonata(record, state):
                value = self._jsonata_value(record, thread, value, key)
            return None if value is None else value if isinstance(value, str) else json.dumps(value)
        expression = state[f"{key}Path"]
        context = self._context(record, thread)
        if expression.startswith("$"):
            value = paths.read(expression, thread["input"], context, field=f"{key}Path")
        else:
            value = intrinsics.evaluate(expression, thread["input"], context)
        return value if isinstance(value, str) else json.dumps(value)

    def _do_choice(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        if self._is_jsonata(record, state):
            self._jsonata_choice(record, thread, state)
            return
        data = self._effective_input(record, thread, state)
        context = self._context(record, thread)
        rule = next((rule for rule in state["Choices"] if choice.evaluate(rule, data, context)), None)
        target = rule["Next"] if rule is not None else state.get("Default")
        if target is None:
            raise _StateError("States.NoChoiceMatched", f"No Choice Rules matched and no Default in {thread['state']}")
        # The matching rule's Assign, or the state's when the Default is taken.
        assigned = self._assigned(record, thread, (rule or state).get("Assign"), data)
        output = paths.select(state.get("OutputPath", "$"), data, context)
        self._apply(thread, assigned)
        self._exit(record, thread, state, output)
        self._goto(record, thread, target, output)

    def _jsonata_choice(self, record: Record, thread: Thread, state: dict[str, Any]) -> None:
        bindings = self._bindings(record, thread)
        chosen: Mapping[str, Any] | None = None
        for rule in state["Choices"]:
            holds = self._query(thread, rule["Condition"], bindings, "Condition")
            if not isinstance(holds, bool):
                raise self._runtime(
                    thread,
                    f"The JSONata expression '{expressions.body(rule['Condition'])}' specified for the field "
                    f"'Condition' returned an unexpected result type. Expected 'boolean', but was "
                    f"'{expressions.type_name(holds)}' for value: {_java(holds)}",
                    QUERY_ERROR,
                )
            if holds:
                chosen = rule
                break
        source = chosen if chosen is not None else state
        target = chosen["Next"] if chosen is not None else state.get("Default")
        if target is None:
            raise _StateError("States.NoChoiceMatched", f"No Choice Rules matched and no Default in {thread['state']}")
        output = self._query(thread, source["Output"], bindings, "Output") if "Output" in source else thread["input"]
        self._apply(thread, self._assigned(record, thread, source.get("Assign"), bindings=bindings))
        self._exit(record, thread, state, output)
        self._goto(record, thread, target, output)

    def _do_wait(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        jsonata = self._is_jsonata(record, state)
        data = thread["input"] if jsonata else self._effective_input(record, thread, state)
        context = self._context(record, thread)
        now = self._now()
        if "Seconds" in state or "SecondsPath" in state:
            if "Seconds" in state:
                seconds = self._jsonata_value(record, thread, state["Seconds"], "Seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                    raise _StateError(
                        RUNTIME, f"The Seconds field must be a non-negative integer, got {_java(seconds)}"
                    )
            else:
                path = state["SecondsPath"]
                seconds = paths.read(path, data, context, field="SecondsPath")
                shown = f"{path} == {_java(seconds)}"
                if isinstance(seconds, bool) or not isinstance(seconds, int):
                    raise _StateError(RUNTIME, f"The SecondsPath parameter cannot be parsed as a long value: {shown}")
                if seconds < 0:
                    raise _StateError(RUNTIME, f"The SecondsPath parameter references a negative value: {shown}")
            if seconds > MAX_WAIT_SECONDS:
                raise _StateError(RUNTIME, "Wait state delay is too long.")
            due = now + timedelta(seconds=seconds)
        else:
            if "Timestamp" in state:
                stamp = self._jsonata_value(record, thread, state["Timestamp"], "Timestamp")
            else:
                stamp = paths.read(state["TimestampPath"], data, context, field="TimestampPath")
            parsed = choice._timestamp(stamp)
            if parsed is None and jsonata:
                raise self._runtime(
                    thread,
                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "
                    f"{_java(stamp)}",
                    QUERY_ERROR,
                )
            if parsed is None:
                raise _StateError(
                    RUNTIME,
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                    f"format string: {state.get('TimestampPath')} == {_java(stamp)}",
                )
            if (parsed - now).total_seconds() > MAX_WAIT_SECONDS:
                raise _StateError(RUNTIME, "Wait state delay is too long.")
            due = parsed
        if jsonata:
            bindings = self._bindings(record, thread)
            output = self._query(thread, state["Output"], bindings, "Output") if "Output" in state else data
            self._apply(thread, self._assigned(record, thread, state.get("Assign"), bindings=bindings))
        else:
            output = paths.select(state.get("OutputPath", "$"), data, context)
            self._apply(thread, self._assigned(record, thread, state.get("Assign"), data))
        if due <= now:
            self._transition(record, thread, state, output)
            return
        self._park(record, thread, {"kind": "wait", "due": _iso(due), "output": output})
        self._timer(record, thread, due)

    def _do_task(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        if state["Resource"] == EVENTS_PUT:
            self._put_events(record, thread, state)
            return
        definition = self._definition(record)
        if thread["state"] in self.mocks:
            self._run_mock(record, thread, state, self.mocks[thread["state"]])
            return
        if thread["state"] in definition.foreign:
            raise _StateError("States.TaskFailed", f"the resource {state['Resource']!r} can only run mocked")
        ref = definition.task_ref(state, thread["state"])
        task = self.tasks.get(ref.task)
        if task is None:
            raise _StateError("States.TaskFailed", f"no workflow task named {ref.task!r} is registered")
        token = secrets.token_urlsafe(48) if ref.style == "callback" else None
        effective = self._task_input(record, thread, state, {"Task": {"Token": token}} if token else None)
        payload = effective if ref.style == "function" else effective.get("Payload", {})
        self._check_size(payload, f"The state/task '{thread['state']}' has returned a result")
        context = self._task_context(record, thread, ref.task, token)
        now = self._now()
        # The history shows the payload but not the token itself: whoever holds a token can answer it.
        shown = (
            {**payload, "taskToken": f"{token[:8]}…"}
            if token and isinstance(payload, dict) and payload.get("taskToken") == token
            else payload
        )
        self._event(record, "TaskScheduled", {"state": thread["state"], "task": ref.task, "payload": shown}, thread)
        if token is not None:
            # The token exists, and the execution is saved waiting on it, before the handler runs:
            # a handler may answer it at once, and a token a handler has seen stays valid for this
            # attempt even if the process stops (the handler is then called again with the same token).
            self._tokens.create(
                {
                    "token": token,
                    "execution_id": record["execution_id"],
                    "thread": thread["id"],
                    "state": thread["state"],
                    "status": "WAITING",
                    "issued_at": _iso(now),
                }
            )
            wait: dict[str, Any] = {
                "kind": "token",
                "token": token,
                "since": _iso(now),
                "dispatch": {"task": ref.task, "payload": payload},
            }
            timeout = self._seconds(record, thread, state, "TimeoutSeconds")
            heartbeat = self._seconds(record, thread, state, "HeartbeatSeconds")
            if timeout:
                wait["due"] = _iso(now + timedelta(seconds=timeout))
                self._timer(record, thread, _parse(wait["due"]))
            if heartbeat:
                wait["heartbeat_seconds"] = heartbeat
                self._timer(record, thread, now + timedelta(seconds=heartbeat))
            self._park(record, thread, wait)
            return
        try:
            result = task.handler(copy.deepcopy(payload), context)
        except Exception as exc:
            error, cause = task_error(exc)
            if token is not None:
                self._close_token(token, "CANCELLED")
            self._event(record, "TaskFailed", {"state": thread["state"], "error": error, "cause": cause}, thread)
            raise _StateError(error, cause) from None
        try:
            result = json.loads(json.dumps(result, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise _StateError(
                "Runtime.MarshalError", f"task {ref.task} returned a value that is not JSON: {exc}"
            ) from None
        timeout = self._seconds(record, thread, state, "TimeoutSeconds")
        if timeout and self._now() - now > timedelta(seconds=timeout):
            self._event(record, "TaskTimedOut", {"state": thread["state"], "error": TIMEOUT}, thread)
            raise _StateError(TIMEOUT, f"The task ran longer than {timeout} seconds")
        if ref.style == "invoke":
            result = {"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200}
        self._check_size(result, f"The state/task '{thread['state']}' has returned a result")
        self._event(record, "TaskSucceeded", {"state": thread["state"], "output": result}, thread)
        self._finish_work(record, thread, state, result)

    def _run_mock(self, record: Record, thread: Thread, state: dict[str, Any], mock: dict[str, Any]) -> None:
        token = "mock-task-token" if str(state["Resource"]).endswith(".waitForTaskToken") else None
        effective = self._task_input(record, thread, state, {"Task": {"Token": token}} if token else None)
        self._event(record, "TaskScheduled", {"state": thread["state"], "mock": True, "parameters": effective}, thread)
        if "Throw" in mock:
            error, cause = mock["Throw"].get("Error", ""), mock["Throw"].get("Cause", "")
            self._event(record, "TaskFailed", {"state": thread["state"], "error": error, "cause": cause}, thread)
            raise _StateError(error, cause)
        result = copy.deepcopy(mock.get("Return"))
        self._check_size(result, f"The state/task '{thread['state']}' has returned a result")
        self._event(record, "TaskSucceeded", {"state": thread["state"], "output": result}, thread)
        self._finish_work(record, thread, state, result)

    def _seconds(self, record: Record, thread: Thread, state: Mapping[str, Any], key: str) -> int | None:
        """A Task's ``TimeoutSeconds`` / ``HeartbeatSeconds`` (a JSONata expression in a JSONata state)."""
        value = state.get(key)
        if value is None or not self._is_jsonata(record, state):
            return value
        value = self._jsonata_value(record, thread, value, key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise _StateError(RUNTIME, f"The {key} field must be a positive integer, got {_java(value)}")
        return value

    def _task_context(self, record: Record, thread: Thread, task: str, token: str | None) -> TaskContext:
        return TaskContext(
            task=task,
            task_token=token,
            workflow=record["workflow"],
            execution_id=record["execution_id"],
            state=thread["state"],
            retry_count=thread["retry_count"],
            crewbot=self.crewbot,
        )

    def _dispatch(self, record: Record, thread: Thread, dispatch: dict[str, Any], token: str) -> None:
        """Call a callback task's handler with its token (the execution is saved waiting on it)."""
        task = self.tasks.get(dispatch["task"])
        try:
            if task is None:
                raise LookupError(f"no workflow task named {dispatch['task']!r} is registered")
            task.handler(copy.deepcopy(dispatch["payload"]), self._task_context(record, thread, task.name, token))
        except Exception as exc:
            error, cause = task_error(exc)
            self._close_token(token, "CANCELLED")
            thread["wait"] = None
            self._event(record, "TaskFailed", {"state": thread["state"], "error": error, "cause": cause}, thread)
            self._handle_error(record, thread, _StateError(error, cause))
            return
        self._event(record, "TaskSubmitted", {"state": thread["state"], "task": dispatch["task"]}, thread)

    def _put_events(self, record: Record, thread: Thread, state: dict[str, Any]) -> None:
        """``events:putEvents``: publish each entry on the bus (in AWS: EventBridge, same result shape)."""
        if self.bus is None:
            raise _StateError("States.TaskFailed", "events:putEvents needs an event bus; none was given")
        entries = self._effective_input(record, thread, state)["Entries"]
        self._event(
            record, "TaskScheduled", {"state": thread["state"], "resource": EVENTS_PUT, "entries": entries}, thread
        )
        ids = []
        for entry in entries:
            detail = entry.get("Detail", {})
            try:
                if isinstance(detail, str):
                    detail = json.loads(detail)
                ids.append({"EventId": self.bus.publish(entry["Source"], entry["DetailType"], detail)})
            except (ValueError, KeyError, TypeError) as exc:
                raise _StateError("EventBridge.FailedEntry", f"{type(exc).__name__}: {exc}") from None
        result = {"Entries": ids, "FailedEntryCount": 0}
        self._event(record, "TaskSucceeded", {"state": thread["state"], "output": result}, thread)
        self._finish_work(record, thread, state, result)

    def _do_parallel(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        data = self._task_input(record, thread, state, None)
        machine = thread["machine"]
        self._park(record, thread, {"kind": "children"})
        for i, branch in enumerate(state["Branches"]):
            self._start_child(record, thread, i, [*machine, thread["state"], i], branch["StartAt"], data)

    def _do_map(self, record: Record, thread: Thread, state: dict[str, Any], retrying: bool) -> None:
        if self._is_jsonata(record, state):
            self._jsonata_map(record, thread, state)
            return
        context = self._context(record, thread)
        data = paths.select(state.get("InputPath", "$"), thread["input"], context)
        limit = state.get("MaxConcurrency", 0)
        if "MaxConcurrencyPath" in state:
            path = state["MaxConcurrencyPath"]
            limit = paths.read(path, data, context, field="MaxConcurrencyPath")
            if isinstance(limit, str) and limit.strip().isdigit():
                limit = int(limit)  # a numeric string is taken as its number
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise _StateError(
                    RUNTIME,
                    f'The MaxConcurrencyPath field refers to value "{_java(limit)}" '
                    f"which is not a valid integer: {path}",
                )
        items = paths.read(state.get("ItemsPath", "$"), data, context)
        if not isinstance(items, list):
            raise _StateError(RUNTIME, f"Map {thread['state']}: ItemsPath did not select a list: {items!r}")
        selector = state.get("ItemSelector", state.get("Parameters"))
        processor = state.get("ItemProcessor") or state["Iterator"]
        if not items:
            self._finish_work(record, thread, state, [])
            return
        inputs = []
        for i, item in enumerate(items):
            item_input = item
            if selector is not None:
                item_context = self._context(record, thread, {"Map": {"Item": {"Index": i, "Value": item}}})
                item_input = templates.render(selector, data, item_context)
            inputs.append({"index": i, "input": item_input})
        self._start_map(record, thread, processor, inputs, limit)

    def _jsonata_map(self, record: Record, thread: Thread, state: dict[str, Any]) -> None:
        bindings = self._bindings(record, thread)
        if "Items" in state:
            items = self._query(thread, state["Items"], bindings, "Items")
            if not isinstance(items, list):
                raise self._runtime(
                    thread,
                    f"The JSONata expression '{expressions.body(state['Items'])}' specified for the field 'Items' "
                    f"returned an unexpected result type. Expected 'array', but was "
                    f"'{expressions.type_name(items)}' for value: {json.dumps(items, separators=(',', ':'))}",
                    QUERY_ERROR,
                )
        else:
            items = thread["input"]
            if not isinstance(items, list):
                raise self._runtime(
                    thread,
                    f"Map state input must be an array but was: {json.dumps(items, separators=(',', ':'))}",
                    QUERY_ERROR,
                )
        limit = self._jsonata_value(record, thread, state.get("MaxConcurrency", 0), "MaxConcurrency")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise _StateError(RUNTIME, f"The MaxConcurrency field must be a non-negative integer, got {_java(limit)}")
        processor = state.get("ItemProcessor") or state["Iterator"]
        inputs = []
        for i, item in enumerate(items):
            item_input = item
            if "ItemSelector" in state:
                extra = {"Map": {"Item": {"Index": i, "Value": item}}}
                item_bindings = self._bindings(record, thread, extra_context=extra)
                item_input = self._query(thread, state["ItemSelector"], item_bindings, "ItemSelector")
            inputs.append({"index": i, "input": item_input})
        if not inputs:
            self._finish_work(record, thread, state, [])
            return
        self._start_map(record, thread, processor, inputs, limit)

    def _start_map(
        self,
        record: Record,
        thread: Thread,
        processor: Mapping[str, Any],
        inputs: builtins.list[dict[str, Any]],
        limit: int,
    ) -> None:
        # MaxConcurrency: only that many iterations run at once; the rest wait in the parent, in order
        # (matters when iterations wait, e.g. one approval after another with MaxConcurrency 1).
        limit = limit or len(inputs)
        machine = [*thread["machine"], thread["state"]]
        self._park(
            record,
            thread,
            {
                "kind": "children",
                "queue": inputs[limit:],
                "machine": machine,
                "start": processor["StartAt"],
                "count": len(inputs),
            },
        )
        for entry in inputs[:limit]:
            self._start_child(record, thread, entry["index"], machine, processor["StartAt"], entry["input"])

    # -- transitions -----------------------------------------------------------------------------

    def _finish_work(
        self, record: Record, thread: Thread, state: Mapping[str, Any], result: Any, selector: bool = True
    ) -> None:
        """A Task / Parallel / Map / Pass produced ``result``: ResultSelector, Assign, ResultPath,
        OutputPath (JSONata: Output and Assign), then on."""
        try:
            if self._is_jsonata(record, state):
                self._jsonata_exit(record, thread, state, self._bindings(record, thread, result=result), result)
                return
            context = self._context(record, thread)
            if selector and "ResultSelector" in state:
                result = templates.render(state["ResultSelector"], result, context)
            assigned = self._assigned(record, thread, state.get("Assign"), result)
            combined = paths.apply_result_path(state.get("ResultPath", "$"), thread["input"], result)
            output = paths.select(state.get("OutputPath", "$"), combined, context)
        except paths.PathError as exc:
            self._handle_error(record, thread, self._runtime(thread, str(exc)))
            return
        except _StateError as exc:
            self._handle_error(record, thread, exc)
            return
        self._apply(thread, assigned)
        self._transition(record, thread, state, output)

    def _transition(self, record: Record, thread: Thread, state: Mapping[str, Any], output: Any) -> None:
        if _size(output) > MAX_PAYLOAD_BYTES:
            self._handle_error(
                record,
                thread,
                _StateError(
                    DATA_LIMIT,
                    f"The state/task '{thread['state']}' returned a result with a size exceeding the maximum "
                    f"number of bytes service limit.",
                ),
            )
            return
        self._exit(record, thread, state, output)
        if state.get("End"):
            self._thread_done(record, thread, output)
        else:
            self._goto(record, thread, state["Next"], output)

    def _exit(self, record: Record, thread: Thread, state: Mapping[str, Any], output: Any) -> None:
        self._event(record, f"{state['Type']}StateExited", {"state": thread["state"], "output": output}, thread)

    def _goto(self, record: Record, thread: Thread, target: str, data: Any) -> None:
        thread.update(state=target, input=data, status="ready", wait=None)
        self._enter(record, thread)

    def _park(self, record: Record, thread: Thread, wait: dict[str, Any]) -> None:
        thread["status"] = "waiting"
        thread["wait"] = wait

    def _handle_error(self, record: Record, thread: Thread, exc: _StateError) -> None:
        state = self._state(record, thread)
        if exc.error != RUNTIME:
            for i, retrier in enumerate(state.get("Retry", [])):
                if not error_matches(retrier["ErrorEquals"], exc.error, exc.heartbeat):
                    continue
                attempts = thread["retries"].get(str(i), 0)
                if attempts >= retrier.get("MaxAttempts", 3):
                    break  # this retrier is spent: on to Catch
                delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempts
                if "MaxDelaySeconds" in retrier:
                    delay = min(delay, retrier["MaxDelaySeconds"])
                thread["retries"][str(i)] = attempts + 1
                thread["retry_count"] += 1
                due = self._now() + timedelta(seconds=delay)
                self._event(
                    record,
                    "StateRetryScheduled",
                    {"state": thread["state"], "error": exc.error, "attempt": attempts + 1, "delay_seconds": delay},
                    thread,
                )
                self._park(record, thread, {"kind": "retry", "due": _iso(due)})
                self._timer(record, thread, due)
                return
            for catcher in state.get("Catch", []):
                if error_matches(catcher["ErrorEquals"], exc.error, exc.heartbeat):
                    # A missing Error or Cause (a Fail state without them, a timeout) is left out.
                    error_output = {k: v for k, v in (("Error", exc.error), ("Cause", exc.cause)) if v is not None}
                    try:
                        if self._is_jsonata(record, state):
                            bindings = self._bindings(record, thread, error_output=error_output)
                            output = (
                                self._query(thread, catcher["Output"], bindings, "Output")
                                if "Output" in catcher
                                else error_output
                            )
                            assigned = self._assigned(record, thread, catcher.get("Assign"), bindings=bindings)
                        else:
                            assigned = self._assigned(record, thread, catcher.get("Assign"), error_output)
                            output = paths.apply_result_path(
                                catcher.get("ResultPath", "$"), thread["input"], error_output
                            )
                    except paths.PathError as path_exc:
                        self._thread_failed(record, thread, RUNTIME, str(path_exc))
                        return
                    except _StateError as state_exc:
                        self._thread_failed(record, thread, state_exc.error, state_exc.cause)
                        return
                    self._apply(thread, assigned)
                    self._event(
                        record,
                        "StateCaught",
                        {"state": thread["state"], "error": exc.error, "next": catcher["Next"]},
                        thread,
                    )
                    self._exit(record, thread, state, output)
                    self._goto(record, thread, catcher["Next"], output)
                    return
        self._thread_failed(record, thread, exc.error, exc.cause)

    # -- threads ---------------------------------------------------------------------------------

    def _new_thread(
        self, record: Record, parent: str | None, index: int, machine: builtins.list[Any], state: str, data: Any
    ) -> Thread:
        seq = record["next_thread"]
        record["next_thread"] = seq + 1
        thread: Thread = {
            "id": f"t{seq}",
            "seq": seq,
            "parent": parent,
            "index": index,
            "machine": machine,
            "state": state,
            "input": data,
            "status": "ready",
            "wait": None,
            "retry_count": 0,
            "retries": {},
            # Variables: a branch or iteration starts with its parent's; what it assigns stays inside it.
            "vars": copy.deepcopy(record["threads"][parent].get("vars", {})) if parent is not None else {},
        }
        record["threads"][thread["id"]] = thread
        return thread

    def _start_child(
        self, record: Record, parent: Thread, index: int, machine: builtins.list[Any], start: str, data: Any
    ) -> None:
        child = self._new_thread(record, parent["id"], index, machine, start, copy.deepcopy(data))
        self._enter(record, child)

    def _children(self, record: Record, thread: Thread) -> builtins.list[Thread]:
        return sorted((t for t in record["threads"].values() if t["parent"] == thread["id"]), key=lambda t: t["index"])

    def _thread_done(self, record: Record, thread: Thread, output: Any) -> None:
        thread.update(status="done", output=output, wait=None)
        parent_id = thread["parent"]
        if parent_id is None:
            self._finish(record, "SUCCEEDED", output=output)
            return
        parent = record["threads"][parent_id]
        queue = parent["wait"].get("queue") if parent.get("wait") else None
        if queue:  # a Map iteration finished: start the next waiting one
            entry = queue.pop(0)
            self._start_child(
                record, parent, entry["index"], parent["wait"]["machine"], parent["wait"]["start"], entry["input"]
            )
            return
        children = self._children(record, parent)
        if any(child["status"] != "done" for child in children):
            return
        for child in children:
            del record["threads"][child["id"]]
        parent["wait"] = None
        parent["status"] = "running"
        self._finish_work(record, parent, self._state(record, parent), [child["output"] for child in children])

    def _thread_failed(self, record: Record, thread: Thread, error: str | None, cause: str | None) -> None:
        parent_id = thread["parent"]
        if parent_id is None:
            for other in list(record["threads"].values()):
                if other is not thread:
                    self._cancel(record, other)
            self._finish(record, "FAILED", error=error, cause=cause)
            return
        parent = record["threads"][parent_id]
        # One failed branch or iteration fails the whole Parallel / Map: stop its siblings.
        for child in self._children(record, parent):
            self._cancel(record, child)
        parent["wait"] = None
        parent["status"] = "running"
        self._handle_error(record, parent, _StateError(error, cause))

    def _cancel(self, record: Record, thread: Thread) -> None:
        """Remove ``thread`` and its descendants; their waiting tokens become invalid."""
        for child in [t for t in record["threads"].values() if t["parent"] == thread["id"]]:
            self._cancel(record, child)
        wait = thread.get("wait") or {}
        if wait.get("kind") == "token":
            self._close_token(wait["token"], "CANCELLED")
        record["threads"].pop(thread["id"], None)

    def _close_token(self, token: str, status: str) -> None:
        record = self._tokens.get({"token": token})
        if record is not None and record["status"] == "WAITING":
            # Answered at this very moment? Then the answer is simply ignored: the task is over.
            with contextlib.suppress(ConflictError):
                self._tokens.put({**record, "status": status}, expected_version=record["version"])

    def _finish(
        self, record: Record, status: str, output: Any = None, error: str | None = None, cause: str | None = None
    ) -> None:
        record.update(status=status, output=output, error=error, cause=cause, stopped_at=_iso(self._now()))
        for thread in list(record["threads"].values()):
            wait = thread.get("wait") or {}
            if wait.get("kind") == "token":
                self._close_token(wait["token"], "CANCELLED")
        record["threads"] = {}
        kind = {
            "SUCCEEDED": "ExecutionSucceeded",
            "FAILED": "ExecutionFailed",
            "ABORTED": "ExecutionAborted",
            "TIMED_OUT": "ExecutionTimedOut",
        }[status]
        details = {"output": output} if status == "SUCCEEDED" else {"error": error, "cause": cause}
        self._event(record, kind, details)
        logger.info("workflow execution %s %s", record["execution_id"], status.lower())

    # -- persistence -----------------------------------------------------------------------------

    def _load(self, execution_id: str) -> Record:
        record = self._executions.get({"execution_id": _execution_id(execution_id)})
        if record is None:
            raise ExecutionNotFound(f"no workflow execution {execution_id!r}")
        return self._unpack(record)

    def _save(self, record: Record) -> Record | None:
        """Store the record if nobody changed it since it was read; the record (with its new
        version), or ``None`` when another process changed it first.

        Its new history events and timers are written first: a process stopping in between leaves
        a timer that finds nothing to do, or events beyond the record's count that are not shown and
        are rewritten when those transitions run again — never a record pointing at nothing."""
        events = record.pop("_events", [])
        if events:
            self._history.put_many(events)
        self._flush_timers(record)
        try:
            packed = self._pack(record)
            stored = self._executions.put(packed, expected_version=record["version"])
        except ConflictError:
            return None
        except ValueError as exc:  # still too big for the store (e.g. a Map with a huge queue of small items)
            logger.error("workflow execution %s: %s", record["execution_id"], exc)
            for thread in list(record["threads"].values()):
                self._cancel(record, thread)
            self._finish(record, "FAILED", error=DATA_LIMIT, cause=f"The execution's state is too large to keep: {exc}")
            self._history.put_many(record.pop("_events", []))
            stored = self._executions.put(self._pack(record), expected_version=record["version"])
        record["version"] = stored["version"]
        return record

    # -- large values: kept in workflow_data, referred to from the record ------------------------

    def _spill(self, execution_id: str, value: Any) -> Any:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        if len(text) <= SPILL_BYTES:
            return value
        digest = hashlib.sha256(text.encode()).hexdigest()
        self._data.put({"execution_id": execution_id, "digest": digest, "value": value})
        return {_SPILLED: digest, "execution_id": execution_id}

    def _unspill(self, value: Any) -> Any:
        if isinstance(value, dict) and _SPILLED in value and len(value) == 2:
            item = self._data.get({"execution_id": value["execution_id"], "digest": value[_SPILLED]})
            if item is None:
                raise WorkflowError(f"{value['execution_id']}: stored value {value[_SPILLED][:12]}… is missing")
            return item["value"]
        return value

    @staticmethod
    def _data_slots(record: Record) -> builtins.list[tuple[dict[str, Any], str]]:
        """Where large values sit in a record: its input and output, and each thread's data."""
        slots: builtins.list[tuple[dict[str, Any], str]] = [(record, "input"), (record, "output")]
        for thread in record.get("threads", {}).values():
            slots += [(thread, "input"), (thread, "output"), (thread, "vars")]
            wait = thread.get("wait") or {}
            if "output" in wait:
                slots.append((wait, "output"))
            if wait.get("dispatch"):
                slots.append((wait["dispatch"], "payload"))
            for entry in wait.get("queue") or ():
                slots.append((entry, "input"))
        return slots

    def _pack(self, record: Record) -> Record:
        """A copy of the record for the store, with large values replaced by references (only when
        the record would be large: most records are written as they are)."""
        packed = _shallow({k: v for k, v in record.items() if not k.startswith("_")})
        if len(json.dumps(packed, separators=(",", ":"))) <= PACK_BYTES:
            return packed
        for holder, key in self._data_slots(packed):
            if key in holder:
                holder[key] = self._spill(packed["execution_id"], holder[key])
        return packed

    def _unpack(self, record: Record) -> Record:
        for holder, key in self._data_slots(record):
            if key in holder:
                holder[key] = self._unspill(holder[key])
        return record

    def _check_size(self, value: Any, what: str) -> None:
        size = _size(value)
        if size > MAX_PAYLOAD_BYTES:
            raise _StateError(
                DATA_LIMIT,
                f"{what} with a size exceeding the maximum number of bytes service limit.",
            )

    def _flush_timers(self, record: Record) -> None:
        for due_key in record.pop("_timers", []):
            self._timers.put({"queue": records.TIMER_QUEUE, "due_key": due_key, "execution_id": record["execution_id"]})

    def _event(self, record: Record, kind: str, details: dict[str, Any], thread: Thread | None = None) -> None:
        seq = record["next_event"] + 1
        if seq >= MAX_HISTORY_EVENTS and record["status"] == "RUNNING" and not record.get("_history_full"):
            # Step Functions' hard quota: the execution fails rather than growing its history further.
            record["_history_full"] = True
            for other in list(record["threads"].values()):
                self._cancel(record, other)
            self._finish(
                record,
                "FAILED",
                error=RUNTIME,
                cause=f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS}).",
            )
            raise _HistoryFull
        record["next_event"] = seq
        if thread is not None and thread["parent"] is not None:
            details = {**details, "thread": thread["id"], "index": thread["index"]}
        record.setdefault("_events", []).append(
            {
                "execution_id": record["execution_id"],
                "event_id": f"{seq:08d}",
                "type": kind,
                "timestamp": _iso(self._now()),
                "details": details,
            }
        )

    def _timer(self, record: Record, thread: Thread, due: datetime) -> None:
        record.setdefault("_timers", []).append(f"{_iso(due)}#{record['execution_id']}#{thread['id']}")

    def _store_definition(self, definition: WorkflowDefinition) -> str:
        """Keep this version of the definition (once); its key, which executions refer to."""
        digest = hashlib.sha256(json.dumps(definition.document, sort_keys=True).encode()).hexdigest()
        key = f"{definition.name}#{digest}"
        if key not in self._stored_definitions:
            if self._definitions.get({"definition_key": key}) is None:
                self._definitions.put(
                    {"definition_key": key, "workflow": definition.name, "document": definition.document}
                )
            self._stored_definitions.add(key)
            self._parsed.setdefault(key, definition)
        return key

    def _definition(self, record: Record) -> WorkflowDefinition:
        # Each execution runs the definition it started with, even if the file changed since.
        key = record.get("definition_key")
        if key is None:  # a record written before definitions were kept apart carries its own copy
            digest = hashlib.sha256(json.dumps(record["definition"], sort_keys=True).encode()).hexdigest()
            key = f"{record['workflow']}#{digest}"
        parsed = self._parsed.get(key)
        if parsed is None:
            if "definition" in record:
                document = record["definition"]
            else:
                item = self._definitions.get({"definition_key": key})
                if item is None:
                    raise WorkflowError(f"{record['execution_id']}: its definition {key[:40]}… is missing")
                document = item["document"]
            parsed = parse_definition(
                record["workflow"], document, f"{record['workflow']} (stored)", **self.load_options
            )
            self._parsed[key] = parsed
        return parsed

    def _state(self, record: Record, thread: Thread) -> dict[str, Any]:
        return self._definition(record).state(tuple(thread["machine"]), thread["state"])

    def _context(self, record: Record, thread: Thread, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The context object (``$$``) as Step Functions builds it: ARNs for the execution and the
        state machine (in the local account and region), ``State.RetryCount`` only in Task states."""
        workflow = record["workflow"]
        state: dict[str, Any] = {"Name": thread["state"], "EnteredTime": _aws_time(thread.get("entered_at"))}
        if self._state(record, thread)["Type"] == "Task":
            state["RetryCount"] = thread.get("retry_count", 0)
        context: dict[str, Any] = {
            "Execution": {
                "Id": execution_arn(workflow, record["name"]),
                "Input": record["input"],
                "StartTime": _aws_time(record["started_at"]),
                "Name": record["name"],
                "RoleArn": f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{workflow}-local",
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": state_machine_arn(workflow), "Name": workflow},
            "State": state,
        }
        if extra:
            context.update(extra)
        return paths.Context(context, thread.get("vars", {}))


def state_machine_arn(workflow: str) -> str:
    """The local stand-in for a state machine's ARN (``$$.StateMachine.Id``)."""
    return f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:stateMachine:{workflow}"


def execution_arn(workflow: str, name: str) -> str:
    """The local stand-in for an execution's ARN (``$$.Execution.Id``); the engine accepts it as an
    execution id, as the Step Functions engine accepts an execution ARN."""
    return f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:{workflow}:{name}"


def _execution_id(execution_id: str) -> str:
    prefix = f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:"
    return execution_id[len(prefix) :] if execution_id.startswith(prefix) else execution_id


def _aws_time(text: str | None) -> str | None:
    """A stored time as Step Functions writes times in the context object (``...T09:00:00.000Z``)."""
    if text is None:
        return None
    return _parse(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{_parse(text).microsecond // 1000:03d}Z"


def _to_execution(record: Mapping[str, Any]) -> Execution:
    return Execution(
        execution_id=record["execution_id"],
        workflow=record["workflow"],
        name=record["name"],
        status=record["status"],
        input=record.get("input"),
        output=record.get("output"),
        error=record.get("error"),
        cause=record.get("cause"),
        started_at=_parse(record["started_at"]),
        stopped_at=_parse(record["stopped_at"]) if record.get("stopped_at") else None,
    )
