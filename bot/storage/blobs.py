"""The local blob adapter: one directory per bucket under ``<CREWBOT_HOME>/blobs/``.

A blob is a file at ``<bucket dir>/<key>``. Keys are checked with :func:`check_blob_key`, so no key
can leave the bucket directory. Writes go to a temporary file in the same directory that is then
renamed over the target, so a reader sees the old blob or the new one, never half of one. Temporary
files start with ``.``, which no valid key segment does, so they never show up in :meth:`list`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.storage.base import BlobStore, NotFoundError, StorageError, check_blob_key
from bot.storage.tables import BUCKETS


def check_bucket(bucket: str) -> str:
    """Only the declared logical buckets exist (Terraform creates exactly those in AWS)."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown blob bucket {bucket!r}; buckets: {', '.join(BUCKETS)}")
    return bucket


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root`` (content type and metadata are accepted but not kept locally)."""

    def __init__(self, root: Path, name: str):
        self.root = Path(root)
        self.name = name

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_blob_key(key).split("/"))

    def put(
        self,
        key: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"blob {self.name}/{key}: data must be bytes, got {type(data).__name__}")
        path = self._path(key)
        for attempt in range(3):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise StorageError(f"blob {self.name}/{key}: a blob named like one of its folders exists") from None
            if path.is_dir():
                raise StorageError(f"blob {self.name}/{key}: other blobs use this key as a folder")
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
                break
            except FileNotFoundError:
                # A concurrent delete removed the (empty) folder just made: make it again.
                if attempt == 2:
                    raise
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFoundError(f"blob {self.name}/{key} does not exist") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        # Remove folders the delete left empty, as S3 has no folders to leave behind.
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> list[str]:
        # Walk only below the prefix's folder part (checked like a key, so it cannot leave the bucket).
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        try:
            start = self._path(folder) if folder else self.root
        except ValueError:
            return []  # no valid key lies under an invalid folder (as S3 would find none)
        if not start.is_dir():
            return []
        keys = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for filename in filenames:
                if filename.startswith("."):
                    continue
                key = filename if rel == "." else f"{rel}/{filename}"
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def url(self, key: str, expires_in: int = 86400) -> str:
        # Like a presigned S3 URL, the link is made without checking that the blob exists.
        return self._path(key).resolve().as_uri()
