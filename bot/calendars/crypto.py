"""Encryption of calendar tokens at rest: KMS in ``runtime: aws``, a Fernet key file locally.

Tokens are stored only as the ciphertext this module returns (a printable string). In AWS the key is
the deployment's KMS key, ``alias/<project>-<environment>`` (Terraform's naming rule), with the user id as
encryption context, so a ciphertext copied onto another user's record does not decrypt. Locally the
key is ``$CREWBOT_HOME/calendar-tokens.key`` (created on first use, mode 0600), and the user id is
bound by prefixing it inside the encrypted payload.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.runtime import Crewbot


class TokenDecryptError(Exception):
    """A stored token could not be decrypted (wrong key, tampered, or bound to another user)."""


class TokenCipher(Protocol):
    def encrypt(self, user_id: str, data: dict[str, Any]) -> str: ...

    def decrypt(self, user_id: str, ciphertext: str) -> dict[str, Any]: ...


class FernetCipher:
    """Local encryption with a key file (``cryptography``'s Fernet: AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key_file: Path):
        self.key_file = key_file
        self._lock = threading.Lock()
        self._fernet: Any = None

    def _key(self) -> Any:
        from cryptography.fernet import Fernet

        with self._lock:
            if self._fernet is None:
                if not self.key_file.exists():
                    self.key_file.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(Fernet.generate_key())
                self._fernet = Fernet(self.key_file.read_bytes().strip())
            return self._fernet

    def encrypt(self, user_id: str, data: dict[str, Any]) -> str:
        payload = json.dumps({"user_id": user_id, "data": data}).encode()
        return "fernet:" + self._key().encrypt(payload).decode()

    def decrypt(self, user_id: str, ciphertext: str) -> dict[str, Any]:
        from cryptography.fernet import InvalidToken

        if not ciphertext.startswith("fernet:"):
            raise TokenDecryptError("the stored token was not encrypted with the local key")
        try:
            payload = json.loads(self._key().decrypt(ciphertext.removeprefix("fernet:").encode()))
        except (InvalidToken, ValueError) as exc:
            raise TokenDecryptError(f"the stored token does not decrypt with {self.key_file}") from exc
        if payload.get("user_id") != user_id:
            raise TokenDecryptError("the stored token belongs to another user")
        return dict(payload["data"])


class KmsCipher:
    """Encryption with AWS KMS (``Encrypt`` / ``Decrypt``), the user id as encryption context."""

    def __init__(self, client: Any, key_id: str):
        self.client = client
        self.key_id = key_id

    def encrypt(self, user_id: str, data: dict[str, Any]) -> str:
        answer = self.client.encrypt(
            KeyId=self.key_id, Plaintext=json.dumps(data).encode(), EncryptionContext={"crewbot:user": user_id}
        )
        return "kms:" + base64.b64encode(answer["CiphertextBlob"]).decode()

    def decrypt(self, user_id: str, ciphertext: str) -> dict[str, Any]:
        if not ciphertext.startswith("kms:"):
            raise TokenDecryptError("the stored token was not encrypted with KMS")
        try:
            answer = self.client.decrypt(
                CiphertextBlob=base64.b64decode(ciphertext[4:]), EncryptionContext={"crewbot:user": user_id}
            )
        except Exception as exc:  # botocore's InvalidCiphertextException and friends
            raise TokenDecryptError(f"KMS could not decrypt the stored token: {exc}") from exc
        return dict(json.loads(answer["Plaintext"]))


def cipher_for(crewbot: Crewbot) -> TokenCipher:
    """The runtime's token cipher (one per runtime)."""
    return crewbot.service("calendars.cipher", lambda: _open_cipher(crewbot))


def _open_cipher(crewbot: Crewbot) -> TokenCipher:
    cipher: TokenCipher
    if crewbot.config.runtime == "aws":
        import boto3

        key_id = crewbot.environ.get("CREWBOT_KMS_KEY_ID") or f"alias/{crewbot.namer.prefix}"
        cipher = KmsCipher(boto3.client("kms", region_name=crewbot.config.aws.region), key_id)
    else:
        cipher = FernetCipher(crewbot.home / "calendar-tokens.key")
    return cipher
