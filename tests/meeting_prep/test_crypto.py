"""Calendar tokens at rest: Fernet with a key file locally, KMS (under moto) in AWS; bound to the user."""

from __future__ import annotations

import stat
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from bot.calendars.crypto import FernetCipher, KmsCipher, TokenDecryptError

TOKENS = {"access_token": "ya29.secret", "refresh_token": "1//refresh"}


def test_fernet_round_trip_with_a_private_key_file(tmp_path: Path) -> None:
    cipher = FernetCipher(tmp_path / "keys" / "calendar-tokens.key")
    sealed = cipher.encrypt("U1", TOKENS)
    assert "ya29" not in sealed and "refresh" not in sealed
    assert stat.S_IMODE((tmp_path / "keys" / "calendar-tokens.key").stat().st_mode) == 0o600
    assert FernetCipher(tmp_path / "keys" / "calendar-tokens.key").decrypt("U1", sealed) == TOKENS  # key persists
    with pytest.raises(TokenDecryptError, match="another user"):
        cipher.decrypt("U2", sealed)
    with pytest.raises(TokenDecryptError):
        FernetCipher(tmp_path / "other.key").decrypt("U1", sealed)
    with pytest.raises(TokenDecryptError):
        cipher.decrypt("U1", sealed[:-4] + "AAAA")


def test_kms_round_trip_bound_to_the_user() -> None:
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/crewbot-dev", TargetKeyId=key)
        cipher = KmsCipher(kms, "alias/crewbot-dev")
        sealed = cipher.encrypt("U1", TOKENS)
        assert sealed.startswith("kms:") and "ya29" not in sealed
        assert cipher.decrypt("U1", sealed) == TOKENS
        with pytest.raises(TokenDecryptError):
            cipher.decrypt("U2", sealed)  # encryption context names the user
        with pytest.raises(TokenDecryptError, match="not encrypted with KMS"):
            cipher.decrypt("U1", "fernet:abc")
