"""`crewbot deploy rollback [--to VERSION]` and `deploy promote` move the functions' and the state machines'
`live` aliases (moto), all or nothing, recorded in the audit log."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from bot.deploy.catalog import build_catalog
from bot.deploy.dlq import AUDIT_SCOPE
from bot.runtime import Crewbot
from tests.ops.conftest import REGION, deploy_everything, run_cli


def _live(crewbot: Crewbot, logical: str) -> str:
    lam = boto3.client("lambda", region_name=REGION)
    return str(lam.get_alias(FunctionName=crewbot.namer.function(logical), Name="live")["FunctionVersion"])


def test_rollback_and_promote_move_the_live_aliases(
    aws_crewbot: Crewbot, sfn_versions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_everything(aws_crewbot, tmp_path)
    lam = boto3.client("lambda", region_name=REGION)
    bot = aws_crewbot.namer.function("bot")
    for logical in ("bot", "task_load_meeting"):
        name = aws_crewbot.namer.function(logical)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    # A second apply changed only the bot's code: version 2, live on it.
    lam.update_function_code(FunctionName=bot, ZipFile=(tmp_path / "crewbot.zip").read_bytes(), Publish=True)
    version = lam.list_versions_by_function(FunctionName=bot)["Versions"][-1]["Version"]
    lam.update_alias(FunctionName=bot, Name="live", FunctionVersion=version)
    assert _live(aws_crewbot, "bot") == "2"

    status, out, _ = run_cli(aws_crewbot, ["deploy", "rollback", "--function", "bot", "--dry-run"], capsys)
    assert status == 0 and "bot: live 2 -> 1 (dry run)" in out and _live(aws_crewbot, "bot") == "2"
    status, out, _ = run_cli(aws_crewbot, ["deploy", "rollback", "--function", "bot"], capsys)
    assert status == 0 and "bot: live 2 -> 1" in out and _live(aws_crewbot, "bot") == "1"
    status, out, _ = run_cli(aws_crewbot, ["deploy", "rollback", "--function", "bot"], capsys)
    assert status == 0 and "nothing to move" in out  # no older version
    status, out, _ = run_cli(aws_crewbot, ["deploy", "promote", "--function", "bot"], capsys)
    assert status == 0 and "bot: live 1 -> 2" in out
    status, _, err = run_cli(aws_crewbot, ["deploy", "rollback", "--function", "bot", "--to", "7"], capsys)
    assert status == 1 and "has no version 7" in err and _live(aws_crewbot, "bot") == "2"
    status, out, _ = run_cli(
        aws_crewbot, ["deploy", "rollback", "--function", "task_load_meeting", "--to", "1"], capsys
    )
    assert status == 0 and "nothing to move" in out
    status, _, err = run_cli(aws_crewbot, ["deploy", "rollback", "--function", "nope"], capsys)
    assert status == 2 and "known:" in err
    # All or nothing: functions without the alias (not applied yet) stop the whole rollback.
    status, _, err = run_cli(aws_crewbot, ["deploy", "rollback"], capsys)
    assert status == 1 and "event_meeting_prep_start has no live alias" in err and _live(aws_crewbot, "bot") == "2"

    # Entries of one second sort by their random suffix: compare without order.
    entries = aws_crewbot.records.audit.for_scope(AUDIT_SCOPE)
    assert sorted((e.action, e.target, e.detail["before"], e.detail["after"]) for e in entries) == [
        ("deploy.promote", "bot", "1", "2"),
        ("deploy.rollback", "bot", "2", "1"),
    ]
    assert all(e.actor.startswith("arn:aws:") for e in entries)


def _routed(crewbot: Crewbot, workflow: str) -> str:
    from bot.deploy.doctor import Doctor

    sfn = boto3.client("stepfunctions", region_name=REGION)
    alias = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{Doctor(crewbot).state_machine_arn(workflow)}:live")
    return str(alias["routingConfiguration"][0]["stateMachineVersionArn"]).rsplit(":", 1)[-1]


def _apply_new_definition(crewbot: Crewbot, workflow: str) -> None:
    """What an apply that changed ``workflow``'s definition does: publish a version, point `live` at it."""
    from bot.deploy.doctor import Doctor

    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = Doctor(crewbot).state_machine_arn(workflow)
    changed = '{"StartAt": "x", "States": {"x": {"Type": "Succeed"}}}'
    version = sfn.update_state_machine(stateMachineArn=arn, definition=changed, publish=True)["stateMachineVersionArn"]
    sfn.update_state_machine_alias(
        stateMachineAliasArn=f"{arn}:live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )


def test_state_machine_aliases_roll_back_with_the_functions(
    aws_crewbot: Crewbot, sfn_versions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_everything(aws_crewbot, tmp_path)
    lam = boto3.client("lambda", region_name=REGION)
    for logical in build_catalog(aws_crewbot).functions:
        lam.create_alias(FunctionName=aws_crewbot.namer.function(logical), Name="live", FunctionVersion="1")
    _apply_new_definition(aws_crewbot, "meeting_prep")
    assert _routed(aws_crewbot, "meeting_prep") == "2" and _routed(aws_crewbot, "project_phases") == "1"

    status, out, _ = run_cli(aws_crewbot, ["deploy", "rollback", "--workflow", "meeting_prep", "--dry-run"], capsys)
    assert status == 0 and "workflow meeting_prep: live 2 -> 1 (dry run)" in out
    assert _routed(aws_crewbot, "meeting_prep") == "2"
    status, out, _ = run_cli(aws_crewbot, ["deploy", "rollback", "--workflow", "meeting_prep"], capsys)
    assert status == 0 and out.splitlines() == ["workflow meeting_prep: live 2 -> 1"]  # no function moved
    assert _routed(aws_crewbot, "meeting_prep") == "1"
    status, out, _ = run_cli(aws_crewbot, ["deploy", "promote", "--workflow", "meeting_prep"], capsys)
    assert status == 0 and "workflow meeting_prep: live 1 -> 2" in out and _routed(aws_crewbot, "meeting_prep") == "2"
    status, _, err = run_cli(aws_crewbot, ["deploy", "rollback", "--workflow", "meeting_prep", "--to", "5"], capsys)
    assert status == 1 and "workflow meeting_prep has no version 5 (versions: 1, 2)" in err
    status, _, err = run_cli(aws_crewbot, ["deploy", "rollback", "--workflow", "nope"], capsys)
    assert status == 2 and "no workflow 'nope'" in err and "meeting_prep" in err

    # A release that changed the bot's code and a workflow's definition rolls back as one.
    bot = aws_crewbot.namer.function("bot")
    lam.update_function_code(FunctionName=bot, ZipFile=(tmp_path / "crewbot.zip").read_bytes(), Publish=True)
    lam.update_alias(FunctionName=bot, Name="live", FunctionVersion="2")
    status, out, _ = run_cli(aws_crewbot, ["deploy", "rollback"], capsys)
    assert status == 0 and sorted(out.splitlines()) == ["bot: live 2 -> 1", "workflow meeting_prep: live 2 -> 1"]
    assert _routed(aws_crewbot, "meeting_prep") == "1" and _live(aws_crewbot, "bot") == "1"
    assert _routed(aws_crewbot, "project_phases") == "1"

    entries = aws_crewbot.records.audit.for_scope(AUDIT_SCOPE)
    assert sorted((e.action, e.target, e.detail["kind"], e.detail["before"], e.detail["after"]) for e in entries) == [
        ("deploy.promote", "meeting_prep", "workflow", "1", "2"),
        ("deploy.rollback", "bot", "function", "2", "1"),
        ("deploy.rollback", "meeting_prep", "workflow", "2", "1"),
        ("deploy.rollback", "meeting_prep", "workflow", "2", "1"),
    ]


def test_a_state_machine_without_its_alias_stops_the_rollback(
    aws_crewbot: Crewbot, sfn_versions: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.deploy.doctor import Doctor

    deploy_everything(aws_crewbot, tmp_path)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.delete_state_machine_alias(
        stateMachineAliasArn=f"{Doctor(aws_crewbot).state_machine_arn('project_phases')}:live"
    )
    _apply_new_definition(aws_crewbot, "meeting_prep")
    status, _, err = run_cli(aws_crewbot, ["deploy", "rollback", "--workflow", "project_phases"], capsys)
    assert status == 1 and "workflow project_phases has no live alias" in err and "nothing moved" in err
    assert _routed(aws_crewbot, "meeting_prep") == "2"
