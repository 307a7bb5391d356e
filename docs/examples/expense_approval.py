"""An expense approved in Slack: ``/expense 120 taxi`` starts a workflow that waits for an admin's button."""

from pathlib import Path
from typing import Any

from bot.api import Action, Crewbot, SlashCommand, TaskContext, WorkflowTask, hookimpl, slack_client

APPROVE, REJECT = "expense_approve", "expense_reject"


def expense_command(respond: Any, command: dict[str, Any], crewbot: Crewbot) -> None:
    amount, _, what = (command.get("text") or "").partition(" ")
    expense = {"requester": command["user_id"], "amount": amount, "what": what or "expense"}
    crewbot.workflows.start("expense_approval", expense)
    respond(f"Approval requested for {amount} ({expense['what']}).")


def ask_approval(payload: dict[str, Any], context: TaskContext) -> None:
    crewbot = context.crewbot
    expense, token = payload["expense"], payload["taskToken"]
    text = f"<@{expense['requester']}> asks for {expense['amount']} ({expense['what']})."
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action, "value": token}
        for label, action in (("Approve", APPROVE), ("Reject", REJECT))
    ]
    for admin in crewbot.config.slack.admins:  # the task token travels in the buttons' value
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": buttons},
        ]
        slack_client(crewbot).chat_postMessage(channel=admin, text=text, blocks=blocks)


def tell_requester(payload: dict[str, Any], context: TaskContext) -> str:
    crewbot = context.crewbot
    verdict = "approved" if payload["decision"]["approved"] else "rejected"
    text = f"Your expense of {payload['amount']} was {verdict} by <@{payload['decision']['by']}>."
    slack_client(crewbot).chat_postMessage(channel=payload["requester"], text=text)
    return verdict


def decide(approved: bool) -> Any:
    def pressed(body: dict[str, Any], action: dict[str, Any], respond: Any, crewbot: Crewbot) -> None:
        crewbot.workflows.send_task_success(action["value"], {"approved": approved, "by": body["user"]["id"]})
        respond("Approved." if approved else "Rejected.")

    return pressed


@hookimpl
def register_workflows() -> list[Path]:
    return [Path(__file__).with_name("expense_approval.asl.json")]


@hookimpl
def register_workflow_tasks() -> list[WorkflowTask]:
    return [
        WorkflowTask("AskApproval", ask_approval, waits_for_person=True),  # counted on the dashboard while open
        WorkflowTask("TellRequester", tell_requester),
    ]


@hookimpl
def register_commands() -> list[SlashCommand]:
    return [SlashCommand("/expense", expense_command, description="Ask an admin to approve an expense")]


@hookimpl
def register_actions() -> list[Action]:
    # Only admins may decide, and each message's buttons work once.
    return [
        Action(APPROVE, decide(True), admin_only=True, once=True),
        Action(REJECT, decide(False), admin_only=True, once=True),
    ]
