"""open_store and crewbot.records pick the adapter of the configured runtime."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.runtime import start
from bot.storage.base import ConflictError
from bot.storage.dynamodb import DynamoStore
from bot.storage.sqlite import SqliteStore
from bot.storage.tables import IDEMPOTENCY


def test_local_runtime_uses_sqlite_in_home_and_the_clock(tmp_path: Path) -> None:
    crewbot = start(environ={"CREWBOT_HOME": str(tmp_path), "CREWBOT_LOAD_PLUGINS": ""}, setup_logging=False)
    try:
        assert isinstance(crewbot.store, SqliteStore)
        claims = crewbot.store.table(IDEMPOTENCY)
        expires = int((crewbot.clock.now() + timedelta(minutes=5)).timestamp())
        claims.create({"key": "evt", "expires_at": expires})
        with pytest.raises(ConflictError):
            claims.create({"key": "evt", "expires_at": expires})
        crewbot.clock.advance(timedelta(minutes=6))  # the local clock drives TTL expiry
        assert claims.get({"key": "evt"}) is None
        claims.create({"key": "evt", "expires_at": expires + 3600})
        assert (tmp_path / "crewbot.db").is_file()
    finally:
        crewbot.close()


def test_aws_runtime_uses_dynamodb_and_s3(tmp_path: Path) -> None:
    crewbot = start(
        environ={"CREWBOT_HOME": str(tmp_path), "CREWBOT_RUNTIME": "aws", "CREWBOT_LOAD_PLUGINS": ""},
        setup_logging=False,
    )
    assert isinstance(crewbot.store, DynamoStore)
    assert crewbot.store.namer.table("meetings") == "crewbot-dev-meetings"
    crewbot.close()  # no AWS call was made: clients are created on first use
