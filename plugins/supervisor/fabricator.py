"""The Fabricator: new agents at runtime, as validated specs approved by an admin — never as code.

An admin describes an agent (``/crewbot agents new`` or a DM to the Fabricator agent). The Fabricator
drafts an :class:`~bot.agents.spec.AgentSpec` — tools only from the registered catalogue — and proposes
it with :func:`propose_agent_spec`, which checks it with the same validation as ``agents/*.yaml``
(pydantic spec + the registry's cross-checks) and refuses, with a message saying why:

* a bad name, or the name of an agent that is not a fabricated one;
* an unknown tool or model profile;
* a tool whose ``required_role`` the proposing admin does not hold (and, at approval, one the
  approving admin does not hold: a spec never grants more than its approver has).

A valid draft is stored as a new *pending* version in the ``agent_configs`` table and an approval card
goes to the admins: the spec in full, each tool with its side effects (writes and external calls
flagged) and required role, and Approve / Reject buttons that only admins may press (audited). An
approved version is the agent from then on, in every process, without a restart: each process merges
the approved fabricated specs into its agent registry before it lists agents, runs the Supervisor or a
worker. An edit is a new version that needs approval; admins can disable, re-enable or retire an agent.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from bot.api import (
    AgentSpec,
    ConflictError,
    IndexSpec,
    TableSpec,
    ToolError,
    ToolInvocation,
    call_context,
    crewbot_tool,
    slack_client,
)
from plugins.supervisor.settings import SupervisorSettings

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

AGENT_CONFIGS = TableSpec(
    "agent_configs",
    pk="name",
    sk="revision",  # v0001, v0002 ...
    indexes=(IndexSpec("by_status", pk="status", sk="name"),),
    description="Agent configurations by version: fabricated specs (pending, approved, disabled, retired) "
    "and the seeded Supervisor and Fabricator.",
)
FABRICATOR = "fabricator"
APPROVE, REJECT = "supervisor_agent_approve", "supervisor_agent_reject"
FABRICATED = "fabricated"
BUILT_IN = "built-in"
PENDING, APPROVED, REJECTED, SUPERSEDED, DISABLED, RETIRED = (
    "pending",
    "approved",
    "rejected",
    "superseded",
    "disabled",
    "retired",
)
_SOURCE = "agent-config"


class FabricationError(ToolError):
    """A draft or a decision was refused; the message says why (shown to the admin and the model)."""


def _version(number: int) -> str:
    return f"v{number:04d}"


class Fabricator:
    """Agent configurations of one runtime (``fabricator(crewbot)``)."""

    def __init__(self, crewbot: Crewbot):
        self.crewbot = crewbot
        self._seeded = False
        self._merge = threading.Lock()  # parallel workers refresh at once; one merge at a time

    @cached_property
    def table(self) -> Any:
        return self.crewbot.store.table(AGENT_CONFIGS)

    @property
    def registry(self) -> Any:
        return self.crewbot.agents.registry

    # -- seeding -------------------------------------------------------------------------------------

    def seed(self) -> list[str]:
        """Store the Supervisor's and Fabricator's configurations as version 1 if they are missing
        (idempotent: a second call, or another process, changes nothing). Returns what it created."""
        created = []
        for name in ("supervisor", FABRICATOR):
            spec = self.registry.agents.get(name)
            if spec is None:
                continue
            try:
                self.table.create(
                    {
                        "name": name,
                        "revision": _version(1),
                        "status": APPROVED,
                        "origin": BUILT_IN,
                        "spec": spec.model_dump(mode="json"),
                        "proposed_by": "crewbot",
                        "approved_by": "crewbot",
                        "created_at": self.crewbot.clock.now().isoformat(),
                    }
                )
                created.append(name)
            except ConflictError:
                continue
        self._seeded = True
        return created

    # -- the registry ---------------------------------------------------------------------------------

    def approved(self) -> dict[str, AgentSpec]:
        """The approved fabricated specs, by name."""
        specs = {}
        for item in self.table.query_all(APPROVED, index="by_status"):
            if item.get("origin") != FABRICATED:
                continue
            specs[item["name"]] = self._spec(item)
        return specs

    def sync(self) -> Any:
        """Merge the approved fabricated agents into this process's registry (and drop the disabled)."""
        return self.crewbot.agents.refresh()

    def refresh_registry(self, registry: Any) -> None:
        """Called by the agent service before agents are listed or looked up (``register_agents``)."""
        with self._merge:
            if not self._seeded:
                self.seed()
            approved = self.approved()
            for name, spec in list(registry.agents.items()):
                if spec.source.startswith(_SOURCE) and name not in approved:
                    del registry.agents[name]
            for name, spec in approved.items():
                missing = [tool for tool in spec.tools if tool not in registry.tools]
                if missing:  # e.g. the plugin of a tool was switched off since the approval
                    logger.warning("fabricated agent %s is not loaded: unknown tool(s) %s", name, ", ".join(missing))
                    if name in registry.agents and registry.agents[name].source.startswith(_SOURCE):
                        del registry.agents[name]
                    continue
                current = registry.agents.get(name)
                if current is None or (current.source.startswith(_SOURCE) and current != spec):
                    registry.agents[name] = spec

    def _spec(self, item: dict[str, Any]) -> AgentSpec:
        source = f"{_SOURCE} {item['name']} {item['revision']}"
        return AgentSpec.model_validate({**item["spec"], "source": source})

    def versions(self, name: str) -> list[dict[str, Any]]:
        return self.table.query_all(name)

    def latest(self, name: str) -> dict[str, Any] | None:
        versions = self.versions(name)
        return versions[-1] if versions else None

    # -- drafts ---------------------------------------------------------------------------------------

    def catalogue(self) -> list[dict[str, Any]]:
        """The registered tools a spec may use, with their side effects and required roles."""
        return [
            {
                "name": name,
                "description": registration.summary,
                "side_effects": registration.side_effects,
                "required_role": registration.required_role or "",
            }
            for name, registration in sorted(self.registry.tools.items())
        ]

    def validate(self, data: dict[str, Any], roles: frozenset[str] | set[str]) -> AgentSpec:
        """The spec ``data`` describes, checked like a YAML spec and against ``roles`` (the admin's)."""
        name = str(data.get("name", ""))
        try:
            spec = AgentSpec.model_validate({**data, "source": f"{_SOURCE} {name} (draft)"})
        except ValidationError as exc:
            raise FabricationError("; ".join(_explain(err) for err in exc.errors())) from None
        current = self.registry.agents.get(spec.name)
        if spec.name in ("supervisor", FABRICATOR) or (current is not None and not current.source.startswith(_SOURCE)):
            raise FabricationError(f"the name {spec.name!r} belongs to an agent that is not fabricated; choose another")
        # The registry's own cross-checks (tools, model profile), on a registry holding just this spec.
        alone = type(self.registry)(agents={spec.name: spec}, tools=self.registry.tools)
        problems = alone.check(self.crewbot.agents.models)
        if problems:
            raise FabricationError("; ".join(f"{p.key}: {p.message}" for p in problems))
        for tool in spec.tools:
            role = self.registry.tools[tool].required_role
            if role and role not in roles:
                raise FabricationError(
                    f"tool {tool!r} requires the role {role!r}, which you do not have: a new agent cannot "
                    "be given more than the admin who creates or approves it may use"
                )
        return spec

    def propose(self, data: dict[str, Any], user_id: str) -> dict[str, Any]:
        """Validate and store a draft as the next pending version of its agent; post the approval card."""
        roles = self.crewbot.agents.roles_of(user_id)
        if "admin" not in roles:
            raise FabricationError("only admins may propose new agents")
        spec = self.validate(data, roles)
        versions = self.versions(spec.name)
        if versions and versions[-1]["status"] == RETIRED:
            raise FabricationError(f"{spec.name!r} was retired; choose a new name")
        number = len(versions) + 1
        item = self.table.create(
            {
                "name": spec.name,
                "revision": _version(number),
                "status": PENDING,
                "origin": FABRICATED,
                "spec": spec.model_dump(mode="json"),
                "proposed_by": user_id,
                "created_at": self.crewbot.clock.now().isoformat(),
                "required_roles": sorted({self.registry.tools[t].required_role or "" for t in spec.tools} - {""}),
            }
        )
        self.crewbot.records.audit.record(
            f"agent#{spec.name}", user_id, "agent_proposed", spec.name, version=item["revision"], tools=spec.tools
        )
        self._post_card(item)
        return item

    # -- decisions ------------------------------------------------------------------------------------

    def decide(self, name: str, version: str, approver: str, approve: bool) -> dict[str, Any]:
        """Approve or reject a pending version (admins only; the approver must hold every role the
        spec's tools require). Approving supersedes the previously approved version."""
        if not name or not version:  # a card's button always names both; anything else was not sent by us
            raise FabricationError(f"{name or '(no name)'} {version or '(no version)'} does not name an agent version")
        roles = self.crewbot.agents.roles_of(approver)
        action = "agent_approved" if approve else "agent_rejected"
        item = self.table.get({"name": name, "revision": version})
        if item is None:
            raise FabricationError(f"there is no version {version} of {name!r}")
        refusal = None
        if "admin" not in roles:
            refusal = "only admins may approve or reject agents"
        elif item["status"] != PENDING:
            refusal = f"{name} {version} is already {item['status']}"
        elif approve:
            missing = sorted(set(item.get("required_roles") or []) - set(roles))
            if missing:
                refusal = f"its tools require the role(s) {', '.join(missing)}, which you do not have"
        if refusal:
            self.crewbot.records.audit.record(
                f"agent#{name}", approver, action + "_refused", name, version=version, why=refusal
            )
            raise FabricationError(refusal)
        if approve:
            for older in self.versions(name):
                if older["status"] in (APPROVED, DISABLED) and older["revision"] != version:
                    self.table.mutate(
                        {"name": name, "revision": older["revision"]}, lambda i: {**i, "status": SUPERSEDED}
                    )
        decided = self._transition(name, version, PENDING, APPROVED if approve else REJECTED, decided_by=approver)
        self.crewbot.records.audit.record(f"agent#{name}", approver, action, name, version=version)
        self.sync()
        return decided

    def set_state(self, name: str, state: str, user_id: str) -> dict[str, Any]:
        """Disable, re-enable (``active``) or retire a fabricated agent (admins only)."""
        if "admin" not in self.crewbot.agents.roles_of(user_id):
            raise FabricationError("only admins may disable, enable or retire agents")
        if state not in (DISABLED, RETIRED, "active"):
            raise FabricationError(f"state must be disabled, retired or active, not {state!r}")
        current = next(
            (v for v in reversed(self.versions(name)) if v["status"] in (APPROVED, DISABLED)),
            None,
        )
        if current is None or current.get("origin") != FABRICATED:
            raise FabricationError(f"{name!r} is not an approved fabricated agent")
        target = APPROVED if state == "active" else state
        updated = self._transition(name, current["revision"], current["status"], target, changed_by=user_id)
        self.crewbot.records.audit.record(f"agent#{name}", user_id, f"agent_{state}", name, version=current["revision"])
        self.sync()
        return updated

    def _transition(self, name: str, version: str, expected: str, target: str, **fields: Any) -> dict[str, Any]:
        moved = False

        def change(item: dict[str, Any]) -> dict[str, Any] | None:
            nonlocal moved
            moved = item["status"] == expected
            if not moved:
                return None
            return {**item, **fields, "status": target, "decided_at": self.crewbot.clock.now().isoformat()}

        item = self.table.mutate({"name": name, "revision": version}, change)
        if not moved:
            raise FabricationError(f"{name} {version} is {item['status']} now (someone else decided first)")
        return item

    # -- the approval card ----------------------------------------------------------------------------

    def card(self, item: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """Text and blocks of the approval card for a pending version."""
        spec = item["spec"]
        lines = []
        for tool in spec.get("tools", []):
            registration = self.registry.tools.get(tool)
            effects = registration.side_effects if registration else "?"
            flag = "⚠️ " if effects in ("write", "external") else ""
            role = f", requires {registration.required_role}" if registration and registration.required_role else ""
            lines.append(f"• {flag}`{tool}` — {effects}{role}")
        shown = {k: v for k, v in spec.items() if v not in (None, "", [], {})}
        text = f"New agent for approval: *{item['name']}* {item['revision']} (proposed by <@{item['proposed_by']}>)"
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Tools and side effects*\n" + ("\n".join(lines) or "none")},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "```" + yaml.safe_dump(shown, sort_keys=False)[:2800] + "```"},
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Approve"},
                        "style": "primary",
                        "action_id": APPROVE,
                        "value": f"{item['name']}:{item['revision']}",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Reject"},
                        "style": "danger",
                        "action_id": REJECT,
                        "value": f"{item['name']}:{item['revision']}",
                    },
                ],
            },
        ]
        return text, blocks

    def _post_card(self, item: dict[str, Any]) -> None:
        try:
            client = slack_client(self.crewbot)
        except Exception:
            logger.warning(
                "no Slack client: the approval card for %s %s was not posted", item["name"], item["revision"]
            )
            return
        text, blocks = self.card(item)
        settings = self.crewbot.settings_for(SupervisorSettings)
        targets = list(self.crewbot.config.slack.admins)
        channel = getattr(settings, "approvals_channel", "")
        if channel:
            targets.append(channel)
        posted = []
        for target in dict.fromkeys(targets):
            try:
                answer = client.chat_postMessage(channel=target, text=text, blocks=blocks)
                posted.append({"channel": str(answer.get("channel") or target), "ts": str(answer.get("ts", ""))})
            except Exception:
                logger.warning("could not post the approval card to %s", target, exc_info=True)
        if posted:  # so every admin's copy shows the decision, not buttons that no longer work
            self.table.mutate({"name": item["name"], "revision": item["revision"]}, lambda i: {**i, "cards": posted})

    def close_cards(self, item: dict[str, Any], verdict: str) -> None:
        """Replace the buttons on every copy of a decided version's approval card with the verdict."""
        try:
            client = slack_client(self.crewbot)
        except Exception:
            return
        text, blocks = self.card(item)
        decided = [*blocks[:-1], {"type": "context", "elements": [{"type": "mrkdwn", "text": verdict}]}]
        for card in item.get("cards") or []:
            try:
                client.chat_update(channel=card["channel"], ts=card["ts"], text=f"{text} — {verdict}", blocks=decided)
            except Exception:
                logger.warning("could not update the approval card in %s", card.get("channel"), exc_info=True)


def _explain(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "spec"
    if where == "name":
        return (
            f"the name {error.get('input')!r} is not valid: use lower-case letters, digits and _, "
            "starting with a letter, at most 48 characters (e.g. release_notes_writer)"
        )
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    return f"{where}: {error['msg']}"


def fabricator(crewbot: Crewbot) -> Fabricator:
    """The runtime's Fabricator (one per runtime)."""
    return crewbot.service("supervisor.fabricator", lambda: Fabricator(crewbot))


# -- the Fabricator agent's tools ----------------------------------------------------------------------


@crewbot_tool(side_effects="read")
def list_tool_catalogue(tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """List the registered tools a new agent may use, with their side effects and required roles."""
    call = call_context(tool_context)
    return {"tools": fabricator(call.runtime()).catalogue()}


@crewbot_tool(side_effects="write", required_role="admin")
def propose_agent_spec(
    name: str,
    description: str,
    system_prompt: str,
    tools: list[str],
    delegable: bool = True,
    roles: list[str] | None = None,
    model: str = "default",
    tokens_per_session: int | None = None,
    tool_context: ToolInvocation | None = None,
) -> dict[str, Any]:
    """Propose a new agent (or a new version of a fabricated one) for an admin's approval.

    Args:
        name: lower-case letters, digits and _, e.g. release_notes_writer.
        description: one sentence: what the agent does.
        system_prompt: the agent's instructions.
        tools: names from list_tool_catalogue.
        delegable: whether the Supervisor may delegate to it.
        roles: who may use it (empty: everyone).
        model: a model profile, or default.
        tokens_per_session: token budget per conversation (empty: no limit).
    """
    call = call_context(tool_context)
    data: dict[str, Any] = {
        "name": name,
        "description": description,
        "system_prompt": system_prompt,
        "tools": list(tools),
        "delegable": delegable,
        "model": model,
        "access": {"roles": list(roles or [])},
    }
    if tokens_per_session:
        data["budget"] = {"tokens_per_session": tokens_per_session}
    item = fabricator(call.runtime()).propose(data, call.user_id)
    return {
        "message": f"Drafted `{item['name']}` {item['revision']} with tools "
        f"{', '.join(item['spec']['tools']) or 'none'}; it is waiting for an admin's approval.",
        "name": item["name"],
        "revision": item["revision"],
        "status": item["status"],
    }


@crewbot_tool(side_effects="write", required_role="admin")
def set_agent_state(name: str, state: str, tool_context: ToolInvocation | None = None) -> dict[str, Any]:
    """Disable, re-enable or retire a fabricated agent.

    Args:
        name: the agent's name.
        state: disabled, active or retired.
    """
    call = call_context(tool_context)
    item = fabricator(call.runtime()).set_state(name, state, call.user_id)
    return {"message": f"`{name}` {item['revision']} is now {item['status'].replace(APPROVED, 'active')}."}


TOOLS = [list_tool_catalogue, propose_agent_spec, set_agent_state]
