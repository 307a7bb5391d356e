"""The Supervisor: a Strands agent whose tools delegate to other agents through the worker queue.

One orchestration, step by step:

1. A user's message (a DM to the Supervisor, ``/crewbot ask``, or a ``task.request`` event) starts a
   Supervisor turn. Its tools are built from the agent registry at that moment — one ``ask_<agent>``
   tool per delegable agent the user may use — so a newly registered or approved agent is there
   without code changes.
2. Each delegation tool the model calls records a delegation (worker-state table) and sends a
   ``task.request`` work item to the worker queue, then raises a Strands *interrupt*. Strands runs the
   tool calls of one model message concurrently, so N delegations of a turn are N queue messages at
   once; the turn stops with all their interrupts and its state is saved in the Supervisor's session.
   No process waits for the workers.
3. Workers (the queue's consumer: a Lambda in AWS, a thread pool locally) run the target agent with its
   own timeout, budget and retries and record the result once (conditional writes). The result that
   completes the round publishes ``task.completion``.
4. ``task.completion`` resumes the Supervisor from its session with every result of the round at once
   (the interrupts' responses): it answers, or delegates again (a new round).

Failures: a worker that fails on its last attempt records an error result (the Supervisor's model sees
the failed tool and says which agent failed and why) and its message goes to the dead-letter queue. An
orchestration that passes its deadline has its missing results filled with timeouts by the sweep.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.api import (
    AgentSpec,
    Event,
    IncomingMessage,
    Message,
    QueueSpec,
    Reply,
    RetryLater,
    SlackReply,
    ToolError,
    slack_client,
)
from plugins.supervisor.settings import SupervisorSettings
from plugins.supervisor.state import (
    COMPLETED,
    FAILED,
    ORCHESTRATIONS,
    RUNNING,
    WAITING,
    WORKER_STATE,
    OrchestrationState,
    past,
)

if TYPE_CHECKING:
    from bot.api import Crewbot
    from plugins.supervisor.fabricator import Fabricator

logger = logging.getLogger(__name__)

SUPERVISOR = "supervisor"
EVENT_SOURCE = "crewbot.supervisor"
TASK_REQUEST = "task.request"
TASK_COMPLETION = "task.completion"
#: A one-off schedule publishes this at an orchestration's deadline.
DEADLINE = "orchestration.deadline"
#: The worker queue: 15-minute visibility (a delegated turn may take that long), DLQ after 3 receives.
WORKER_QUEUE = QueueSpec("supervisor-tasks", max_receive_count=3, visibility_timeout=900)
#: Key of the orchestration in a Supervisor turn's invocation state.
ORCHESTRATION_KEY = "crewbot_orchestration"
_TOOL_PREFIX = "ask_"


def delegation_tool_name(agent: str) -> str:
    return f"{_TOOL_PREFIX}{agent}"[:64]


class Supervisor:
    """The Supervisor of one runtime (``supervisor(crewbot)``)."""

    def __init__(self, crewbot: Crewbot, settings: SupervisorSettings | None = None):
        self.crewbot = crewbot
        self.settings = settings or SupervisorSettings()

    @cached_property
    def state(self) -> OrchestrationState:
        store = self.crewbot.store
        return OrchestrationState(store.table(ORCHESTRATIONS), store.table(WORKER_STATE), self.crewbot.clock.now)

    @property
    def queue(self) -> Any:
        return self.crewbot.queues.get(WORKER_QUEUE.name, WORKER_QUEUE)

    @property
    def fabricator(self) -> Fabricator:
        from plugins.supervisor.fabricator import fabricator

        return fabricator(self.crewbot)

    # -- who can be asked ----------------------------------------------------------------------------

    def delegates_for(self, user_id: str) -> list[AgentSpec]:
        """The agents the Supervisor may delegate to for ``user_id``: delegable (by their spec, by
        ``delegates`` in the settings, or approved by the Fabricator) and usable by that user."""
        self.fabricator.sync()
        configured = set(self.settings.delegates)
        return [
            spec
            for spec in self.crewbot.agents.available_to(user_id)
            if spec.name != SUPERVISOR and (spec.delegable or spec.name in configured)
        ]

    def tools_for(self, user_id: str) -> list[Any]:
        """One Strands tool per delegate: its name, description and input from the agent's spec."""
        return [self._delegation_tool(spec) for spec in self.delegates_for(user_id)]

    def _delegation_tool(self, spec: AgentSpec) -> Any:
        from strands import tool

        agent = spec.name
        schema = {
            "json": {
                "type": "object",
                "properties": {"task": {"type": "string", "description": spec.delegation.input}},
                "required": ["task"],
            }
        }

        def delegate(task: str, tool_context: Any) -> str:
            run = tool_context.invocation_state[ORCHESTRATION_KEY]
            delegation_id = str(tool_context.tool_use["toolUseId"])
            self.dispatch(run["id"], int(run["round"]), delegation_id, agent, task)
            outcome = tool_context.interrupt(
                f"delegation:{agent}", reason={"delegation_id": delegation_id, "agent": agent}
            )
            if not isinstance(outcome, dict) or outcome.get("status") != "done":
                reason = outcome.get("result") if isinstance(outcome, dict) else outcome
                raise ToolError(f"agent {agent} failed: {reason}")
            return str(outcome.get("result") or "(no answer)")

        description = f"Delegate a task to the {agent} agent: {spec.description}"
        return tool(name=delegation_tool_name(agent), description=description, inputSchema=schema, context=True)(
            delegate
        )

    def dispatch(self, orchestration_id: str, number: int, delegation_id: str, agent: str, task: str) -> None:
        """Record a delegation and send its ``task.request`` work item (once, even if the tool re-runs)."""
        if self.state.add_delegation(orchestration_id, number, delegation_id, agent, task) is None:
            return
        orchestration = self.state.get(orchestration_id) or {}
        self.queue.send(
            {
                "type": TASK_REQUEST,
                "orchestration_id": orchestration_id,
                "delegation_id": delegation_id,
                "round": number,
                "agent": agent,
                "input": task,
                "user_id": orchestration.get("user_id", ""),
                "channel_id": orchestration.get("channel_id", ""),
            }
        )

    # -- starting and resuming -----------------------------------------------------------------------

    def start(
        self,
        *,
        user_id: str,
        text: str,
        channel_id: str,
        thread_ts: str,
        conversation: str,
        reply: Reply | None = None,
        source: str = "dm",
    ) -> dict[str, Any]:
        """Start an orchestration for ``text`` and run the Supervisor's first turn."""
        now = self.crewbot.clock.now()
        orchestration = self.state.create(
            user_id=user_id,
            question=text[:2000],
            channel_id=channel_id,
            thread_ts=thread_ts,
            conversation=conversation,
            source=source,
            deadline=(now + timedelta(seconds=self.settings.orchestration_timeout_s)).isoformat(),
        )
        try:  # one event at the deadline (EventBridge Scheduler in AWS); the sweep is the safety net
            self.crewbot.scheduler.once(
                f"supervisor-deadline-{orchestration['orchestration_id']}",
                datetime.fromisoformat(orchestration["deadline"]),
                EVENT_SOURCE,
                DEADLINE,
                {"orchestration_id": orchestration["orchestration_id"]},
            )
        except Exception:
            logger.warning("no deadline event for %s; the sweep will time it out", orchestration["orchestration_id"])
        if reply is not None:
            reply.status("thinking…")
        self._turn(orchestration, text, reply)
        return self.state.get(orchestration["orchestration_id"]) or orchestration

    def on_completion(self, event: Event) -> None:
        """``task.completion``: resume the orchestration with every result of the round (once)."""
        orchestration_id = str(event.detail.get("orchestration_id", ""))
        number = int(event.detail.get("round", 0))
        if not self.state.claim_resume(orchestration_id, number):
            logger.info("task.completion for %s round %d ignored (already resumed)", orchestration_id, number)
            return
        orchestration = self.state.get(orchestration_id)
        record = self.state.round(orchestration_id, number)
        if orchestration is None or record is None:
            return
        responses = []
        for delegation_id, interrupt_id in record["expected"].items():
            done = self.state.delegation(orchestration_id, delegation_id) or {}
            responses.append(
                {
                    "interruptResponse": {
                        "interruptId": interrupt_id,
                        "response": {"status": done.get("status"), "result": done.get("result", "")},
                    }
                }
            )
        self._turn(orchestration, responses, None)

    def on_request(self, event: Event) -> None:
        """``task.request`` on the bus: start an orchestration (what ``/crewbot ask`` publishes)."""
        detail = event.detail
        self.start(
            user_id=str(detail["user_id"]),
            text=str(detail["text"]),
            channel_id=str(detail["channel_id"]),
            thread_ts=str(detail["thread_ts"]),
            conversation=str(detail.get("conversation") or f"ask-{detail['channel_id']}-{detail['thread_ts']}"),
            reply=self._thread_reply(str(detail["user_id"]), str(detail["channel_id"]), str(detail["thread_ts"])),
            source="ask",
        )

    def _thread_reply(self, user_id: str, channel_id: str, thread_ts: str) -> Reply | None:
        try:
            client = slack_client(self.crewbot)
        except Exception:  # no Slack configured (a CLI or test run): nobody to show progress to
            return None
        message = IncomingMessage(user_id=user_id, channel_id=channel_id, thread_ts=thread_ts, text="", ts=thread_ts)
        return SlackReply(client, message)

    def _turn(self, orchestration: dict[str, Any], prompt: Any, reply: Reply | None) -> None:
        from plugins.supervisor import turns
        from plugins.supervisor.offline import SupervisorOfflineModel

        orchestration_id = orchestration["orchestration_id"]
        number = int(orchestration.get("round", 0)) + 1
        self.state.update(orchestration_id, status=RUNNING, round=number)
        user_id = orchestration["user_id"]
        where = {
            "user_id": user_id,
            "conversation": orchestration["conversation"],
            "channel_id": orchestration["channel_id"],
            "thread_ts": orchestration["thread_ts"],
        }
        reply = reply or self._thread_reply(user_id, orchestration["channel_id"], orchestration["thread_ts"])
        try:
            spec = self.crewbot.agents.registry.get(SUPERVISOR)
            with turns.conversation(self.crewbot, SUPERVISOR, **where) as session_id:
                result, summary, tokens = turns.run(
                    self.crewbot,
                    spec,
                    session_id=session_id,
                    user_id=user_id,
                    channel_id=orchestration["channel_id"],
                    prompt=prompt,
                    tools=self.tools_for(user_id),
                    offline=lambda reason: SupervisorOfflineModel(reason, self.settings.max_delegations),
                    state={ORCHESTRATION_KEY: {"id": orchestration_id, "round": number}},
                )
                text = orchestration["question"] if number == 1 else "(results of the delegated tasks)"
                turns.record(self.crewbot, session_id, SUPERVISOR, text=text, tokens=tokens, **where)
        except Exception as exc:
            logger.exception("supervisor turn failed (orchestration %s)", orchestration_id)
            self.state.update(orchestration_id, status=FAILED, error=f"{type(exc).__name__}: {exc}")
            if reply is not None:
                reply.post(f"Sorry, the Supervisor failed: {exc} (orchestration {orchestration_id}).")
            return
        if str(result.stop_reason) == "interrupt":
            expected = {
                str(i.reason["delegation_id"]): i.id
                for i in result.interrupts
                if isinstance(i.reason, dict) and "delegation_id" in i.reason
            }
            self.state.update(orchestration_id, status=WAITING)
            self._show_progress(orchestration_id, reply)
            completion = self.state.seal_round(orchestration_id, number, expected)
            if completion.round_complete:
                self._announce(orchestration_id, number)
            return
        answer = str(result).strip() or "(no answer)"
        delegations = self.state.delegations(orchestration_id)
        contributors = sorted({d["agent"] for d in delegations if d.get("status") == "done"})
        failed = sorted({d["agent"] for d in delegations if d.get("status") == "error"})
        footer = contributors_line(contributors, failed)
        text = f"{answer}\n\n{footer}" if footer else answer
        self.state.update(
            orchestration_id, status=COMPLETED, answer=text[:4000], contributors=contributors, failed=failed
        )
        self._show_progress(orchestration_id, reply, final=True)
        if reply is not None:
            reply.stream(iter([text]))
            asked = ", ".join(f"{d['agent']} {_mark(d)}" for d in delegations)
            reply.context(_with_asked(summary, asked) if asked else summary)

    def _announce(self, orchestration_id: str, number: int) -> None:
        self.crewbot.bus.publish(EVENT_SOURCE, TASK_COMPLETION, {"orchestration_id": orchestration_id, "round": number})

    # -- progress in Slack --------------------------------------------------------------------------

    def progress_text(self, orchestration_id: str) -> str:
        delegations = self.state.delegations(orchestration_id)
        if not delegations:
            return ""
        marks = ", ".join(f"{d['agent']} {_mark(d)}" for d in delegations)
        return f"Asked {len(delegations)} agent{'s' if len(delegations) != 1 else ''}: {marks}"

    def _show_progress(self, orchestration_id: str, reply: Reply | None, final: bool = False) -> None:
        text = self.progress_text(orchestration_id)
        if not text:
            return
        orchestration = self.state.get(orchestration_id) or {}
        ts = orchestration.get("progress_ts")
        if ts:
            self._update_progress(orchestration, text)
        elif reply is not None and not final:
            posted = reply.post(text)
            if posted:
                self.state.update(orchestration_id, progress_ts=posted)

    def _update_progress(self, orchestration: dict[str, Any], text: str) -> None:
        try:
            slack_client(self.crewbot).chat_update(
                channel=orchestration["channel_id"], ts=orchestration["progress_ts"], text=text
            )
        except Exception:  # progress is a courtesy; the answer still comes
            logger.warning("could not update the progress of %s", orchestration["orchestration_id"], exc_info=True)

    # -- workers ------------------------------------------------------------------------------------

    def work(self, message: Message) -> None:
        """Consume one ``task.request``: run the agent, record its result once, announce a full round."""
        body = message.body if isinstance(message.body, dict) else {}
        orchestration_id = str(body.get("orchestration_id", ""))
        delegation_id = str(body.get("delegation_id", ""))
        orchestration = self.state.get(orchestration_id)
        delegation = self.state.delegation(orchestration_id, delegation_id)
        if orchestration is None or delegation is None or delegation.get("status") != "pending":
            return  # a duplicate delivery, or an orchestration that ended: nothing to do
        agent = str(body["agent"])
        last_attempt = message.receive_count >= WORKER_QUEUE.max_receive_count
        try:
            text, tokens = self._run_delegate(orchestration, agent, str(body.get("input", "")), delegation_id, message)
        except (KeyError, PermissionError) as exc:  # no such agent / not allowed: retrying cannot help
            self._finish(orchestration_id, delegation_id, "error", _reason(exc), attempts=message.receive_count)
            return
        except Exception as exc:
            if not last_attempt:
                delay = self.settings.retry_delay_s * message.receive_count
                raise RetryLater(delay, f"{agent} failed: {_reason(exc)}") from exc
            self._finish(orchestration_id, delegation_id, "error", _reason(exc), attempts=message.receive_count)
            # Visible again at once: the queue's redrive moves it to the dead-letter queue (3 receives).
            raise RetryLater(0, f"{agent} failed {message.receive_count} times: {_reason(exc)}") from exc
        self._finish(orchestration_id, delegation_id, "done", text, attempts=message.receive_count, tokens=tokens)

    def _run_delegate(
        self, orchestration: dict[str, Any], agent: str, task: str, delegation_id: str, message: Message
    ) -> tuple[str, int]:
        self.fabricator.sync()
        spec = self.crewbot.agents.registry.get(agent)
        conversation = f"{orchestration['orchestration_id']}-{delegation_id}-{message.receive_count}"
        # The turn runs on its own thread so the agent's timeout holds even if the model hangs.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"delegate-{agent}")
        future = pool.submit(
            self.crewbot.agents.ask,
            agent,
            user_id=orchestration["user_id"],
            conversation=conversation,
            text=task,
            channel_id=orchestration.get("channel_id", ""),
        )
        try:
            turn = future.result(timeout=spec.delegation.timeout_s)
        except FutureTimeout:
            raise TimeoutError(f"no answer within {spec.delegation.timeout_s} s") from None
        finally:
            pool.shutdown(wait=False)
        return turn.text, turn.input_tokens + turn.output_tokens

    def _finish(self, orchestration_id: str, delegation_id: str, status: str, result: str, **extra: Any) -> None:
        completion = self.state.record_result(orchestration_id, delegation_id, status, result, **extra)
        if not completion.counted:
            return
        orchestration = self.state.get(orchestration_id) or {}
        if orchestration.get("progress_ts"):
            self._update_progress(orchestration, self.progress_text(orchestration_id))
        if completion.round_complete:
            self._announce(orchestration_id, completion.round)

    # -- the sweep: deadlines and lost events --------------------------------------------------------

    def on_deadline(self, event: Event) -> None:
        """The orchestration's deadline: fill its missing results with timeouts (if it is still waiting)."""
        orchestration = self.state.get(str(event.detail.get("orchestration_id", "")))
        if orchestration is not None and orchestration.get("status") == WAITING:
            self._time_out(orchestration)

    def _time_out(self, orchestration: dict[str, Any]) -> None:
        reason = f"timed out: the orchestration's {self.settings.orchestration_timeout_s} s limit passed"
        for delegation in self.state.delegations(orchestration["orchestration_id"]):
            if delegation.get("status") == "pending":
                self._finish(orchestration["orchestration_id"], delegation["delegation_id"], "error", reason)

    def sweep(self, *_: Any) -> list[str]:
        """Time out overdue orchestrations and re-announce rounds whose ``task.completion`` was lost
        (a crash between the last result and the event). Returns the orchestrations it acted on."""
        now = self.crewbot.clock.now()
        acted = []
        for orchestration in self.state.with_status(WAITING):
            orchestration_id = orchestration["orchestration_id"]
            number = int(orchestration.get("round", 0))
            record = self.state.round(orchestration_id, number)
            if record is not None and record.get("emitted"):
                emitted_at = record.get("emitted_at") or record["created_at"]
                if past((_after(emitted_at, 60)), now):
                    self._announce(orchestration_id, number)
                    acted.append(orchestration_id)
                continue
            if not past(orchestration.get("deadline"), now):
                continue
            self._time_out(orchestration)
            acted.append(orchestration_id)
        return acted


def _with_asked(summary: str, asked: str) -> str:
    """The context line with the agents asked (and how each did) in place of the tools used."""
    parts = summary.split(" · ")
    return " · ".join([*parts[:2], f"asked {asked}", *parts[3:]])


def contributors_line(contributors: list[str], failed: list[str]) -> str:
    parts = []
    if contributors:
        parts.append(f"Contributors: {', '.join(contributors)}")
    if failed:
        parts.append(f"no answer from: {', '.join(failed)}")
    return f"_{' · '.join(parts)}_" if parts else ""


def _mark(delegation: dict[str, Any]) -> str:
    status = delegation.get("status")
    return "✓" if status == "done" else "✗" if status == "error" else "…"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 300 else text[:299] + "…"


def _after(iso: str, seconds: int) -> str:
    return (datetime.fromisoformat(iso) + timedelta(seconds=seconds)).isoformat()


def supervisor(crewbot: Crewbot) -> Supervisor:
    """The runtime's Supervisor (one per runtime)."""
    return crewbot.service(
        "supervisor.supervisor", lambda: Supervisor(crewbot, crewbot.settings_for(SupervisorSettings))
    )
