"""`crewbot deploy rollback [--to VERSION]` and `deploy promote` move the functions' `live` aliases (moto),
all or nothing, recorded in the audit log."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from bot.deploy.dlq import AUDIT_SCOPE
from bot.runtime import Crewbot
from tests.ops.conftest import REGION, deploy_everything, run_cli


def _live(crewbot: Crewbot, logical: str) -> str:
    lam = boto3.client("lambda", region_name=REGION)
    return str(lam.get_alias(FunctionName=crewbot.namer.function(logical), Name="live")["FunctionVersion"])


def test_rollback_and_promote_move_the_live_aliases(
    aws_crewbot: Crewbot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
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
