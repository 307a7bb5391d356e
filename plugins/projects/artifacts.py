"""The project's artifact store, and who may write where in it.

Each crew agent writes only under its own directories (:data:`WRITE_SCOPES`); anyone reads everything.
Paths are checked before anything touches storage: absolute paths, ``..``, backslashes, empty parts,
hidden files (``.git``) and paths through a symbolic link are refused with :class:`ArtifactScopeError`,
whose message is what the agent sees as its tool result.

Two adapters with one interface (:class:`ArtifactStore`):

* :class:`GitArtifactStore` (``runtime: local``): a git repository per project under
  ``<CREWBOT_HOME>/projects/<project_id>/repo``, one commit per write (author = the agent), made with
  dulwich (pure Python, so no git binary is needed). Links are ``file://`` URLs.
* :class:`BlobArtifactStore` (``runtime: aws``): the current files in the ``artifacts`` bucket under
  ``projects/<project_id>/files/<path>`` and a commit log (one JSON object per write: path, author,
  message, SHA-256, time) under ``projects/<project_id>/commits/``. Links are presigned S3 URLs.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.api import BlobStore, Crewbot

#: Directories each crew agent may write under (scoped git writes).
WRITE_SCOPES: dict[str, tuple[str, ...]] = {
    "pm": ("docs/project-plan/", "docs/phases/", "docs/handoff/", "docs/retrospective/"),
    "sa": ("docs/architecture/", "docs/handoff/"),
    "infra": ("infra/",),
    "dev": ("app/",),
    "data": ("data/",),
    "security": ("security/",),
    "qa": ("tests/", "docs/retrospective/"),
}
MAX_ARTIFACT_BYTES = 512 * 1024


class ArtifactScopeError(PermissionError):
    """A write outside the agent's directories, or a path that is not a plain relative path."""


class ArtifactNotFound(LookupError):
    """No artifact at that path."""


@dataclass(frozen=True)
class Commit:
    """One write: which file, by whom, when, with what message."""

    path: str
    author: str
    message: str
    at: str
    sha: str


def clean_path(path: str) -> str:
    """``path`` as a normalised relative POSIX path, or :class:`ArtifactScopeError` saying what is wrong."""
    if not isinstance(path, str) or not path.strip():
        raise ArtifactScopeError("the path is empty; give a relative path like docs/architecture/overview.md")
    raw = path.strip()
    if "\\" in raw or "\x00" in raw:
        raise ArtifactScopeError(f"{raw!r}: use forward slashes and no control characters")
    if raw.startswith("/") or PurePosixPath(raw).is_absolute() or (len(raw) > 1 and raw[1] == ":"):
        raise ArtifactScopeError(f"{raw!r} is an absolute path; give a path relative to the project repository")
    parts = raw.split("/")
    if any(part == ".." for part in parts):
        raise ArtifactScopeError(f"{raw!r} climbs out of its directory ('..' is not allowed)")
    parts = [p for p in parts if p not in ("", ".")]
    if not parts:
        raise ArtifactScopeError(f"{raw!r} names no file")
    if any(p.startswith(".") for p in parts):
        raise ArtifactScopeError(f"{raw!r}: hidden files and directories (like .git) are not artifacts")
    return "/".join(parts)


def check_write_scope(agent: str, path: str) -> str:
    """The cleaned ``path`` if ``agent`` may write it, else :class:`ArtifactScopeError` naming its directories."""
    cleaned = clean_path(path)
    scopes = WRITE_SCOPES.get(agent)
    if not scopes:
        raise ArtifactScopeError(f"agent {agent!r} may not write project artifacts")
    if not any(cleaned.startswith(scope) for scope in scopes):
        raise ArtifactScopeError(
            f"{agent} may write only under {', '.join(scopes)}; {cleaned!r} is outside "
            "that scope. Hand off to the agent that owns it instead"
        )
    return cleaned


class ArtifactStore(ABC):
    """A project's files: read, list, write (one commit each), link, history."""

    def __init__(self, project_id: str):
        self.project_id = project_id

    def write(self, agent: str, path: str, content: str, message: str = "") -> Commit:
        """Write ``content`` to ``path`` as ``agent`` (scope-checked), recorded as one commit."""
        cleaned = check_write_scope(agent, path)
        data = content.encode("utf-8")
        if len(data) > MAX_ARTIFACT_BYTES:
            raise ArtifactScopeError(
                f"{cleaned!r} would be {len(data):,} bytes; artifacts are limited to {MAX_ARTIFACT_BYTES:,} bytes"
            )
        return self._write(cleaned, data, agent, message or f"{agent}: write {cleaned}")

    def read(self, path: str) -> str:
        return self._read(clean_path(path)).decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        try:
            self._read(clean_path(path))
        except ArtifactNotFound:
            return False
        return True

    @abstractmethod
    def _write(self, path: str, data: bytes, author: str, message: str) -> Commit: ...

    @abstractmethod
    def _read(self, path: str) -> bytes: ...

    @abstractmethod
    def files(self, prefix: str = "") -> list[str]:
        """Every file path under ``prefix`` (sorted)."""

    @abstractmethod
    def url(self, path: str) -> str:
        """A link to the file (``file://`` locally, presigned in AWS)."""

    @abstractmethod
    def history(self, limit: int = 50) -> list[Commit]:
        """The latest commits, newest first."""


class GitArtifactStore(ArtifactStore):
    """A git repository per project (dulwich)."""

    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, project_id: str, root: Path):
        super().__init__(project_id)
        self.root = root
        with self._guard:
            self._lock = self._locks.setdefault(str(root), threading.Lock())

    def _repo(self) -> Any:
        from dulwich.repo import Repo

        if (self.root / ".git").is_dir():
            return Repo(str(self.root))
        self.root.mkdir(parents=True, exist_ok=True)
        return Repo.init(str(self.root))

    def _target(self, path: str) -> Path:
        target = self.root / path
        # A symbolic link anywhere on the way could point outside the repository.
        probe = self.root
        for part in PurePosixPath(path).parts:
            probe = probe / part
            if probe.is_symlink():
                raise ArtifactScopeError(f"{path!r} goes through a symbolic link; refusing to follow it")
        resolved = target.resolve()
        if self.root.resolve() not in resolved.parents:
            raise ArtifactScopeError(f"{path!r} resolves outside the project repository")
        return target

    def _write(self, path: str, data: bytes, author: str, message: str) -> Commit:
        from dulwich import porcelain

        with self._lock:
            repo = self._repo()
            try:
                target = self._target(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                porcelain.add(repo, paths=[str(target)])
                identity = f"{author} <{author}@crew.crewbot>".encode()
                sha = porcelain.commit(repo, message=message.encode("utf-8"), author=identity, committer=identity)
            finally:
                repo.close()
        sha_text = sha.decode() if isinstance(sha, bytes) else str(sha)
        return Commit(path, author, message, datetime.now().astimezone().isoformat(timespec="seconds"), sha_text)

    def _read(self, path: str) -> bytes:
        target = self._target(path)
        if not target.is_file():
            raise ArtifactNotFound(f"no artifact {path!r} in project {self.project_id}")
        return target.read_bytes()

    def files(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                rel = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if not name.startswith(".") and rel.startswith(prefix):
                    found.append(rel)
        return sorted(found)

    def url(self, path: str) -> str:
        return (self.root / clean_path(path)).resolve().as_uri()

    def history(self, limit: int = 50) -> list[Commit]:
        if not (self.root / ".git").is_dir():
            return []
        repo = self._repo()
        try:
            commits = []
            for entry in repo.get_walker(max_entries=limit):
                commit = entry.commit
                changed = [c.new.path.decode() for c in entry.changes() if getattr(c, "new", None) and c.new.path]
                author = commit.author.decode().split(" <")[0]
                at = datetime.fromtimestamp(commit.author_time).astimezone().isoformat(timespec="seconds")
                commits.append(
                    Commit(", ".join(changed), author, commit.message.decode().strip(), at, commit.id.decode())
                )
            return commits
        finally:
            repo.close()


class BlobArtifactStore(ArtifactStore):
    """Files and a commit log in the ``artifacts`` bucket (S3 in AWS)."""

    def __init__(self, project_id: str, blobs: BlobStore, now: Any):
        super().__init__(project_id)
        self.blobs = blobs
        self._now = now
        self._prefix = f"projects/{project_id}/"

    def _write(self, path: str, data: bytes, author: str, message: str) -> Commit:
        now = self._now()
        sha = hashlib.sha256(data).hexdigest()
        self.blobs.put(self._prefix + "files/" + path, data, _content_type(path))
        commit = Commit(path, author, message, now.isoformat(timespec="seconds"), sha)
        # Keys sort by time (microseconds, so two writes in one second keep their order).
        key = f"{self._prefix}commits/{now.strftime('%Y%m%dT%H%M%S.%f')}-{sha[:12]}.json"
        self.blobs.put(key, json.dumps(commit.__dict__).encode(), "application/json")
        return commit

    def _read(self, path: str) -> bytes:
        key = self._prefix + "files/" + path
        if not self.blobs.exists(key):
            raise ArtifactNotFound(f"no artifact {path!r} in project {self.project_id}")
        return self.blobs.get(key)

    def files(self, prefix: str = "") -> list[str]:
        base = self._prefix + "files/"
        return sorted(key[len(base) :] for key in self.blobs.list(base + prefix))

    def url(self, path: str) -> str:
        return self.blobs.url(self._prefix + "files/" + clean_path(path))

    def history(self, limit: int = 50) -> list[Commit]:
        keys = sorted(self.blobs.list(self._prefix + "commits/"), reverse=True)[:limit]
        return [Commit(**json.loads(self.blobs.get(key))) for key in keys]


def _content_type(path: str) -> str:
    if path.endswith(".md"):
        return "text/markdown; charset=utf-8"
    if path.endswith((".json",)):
        return "application/json"
    return "text/plain; charset=utf-8"


def artifact_store(crewbot: Crewbot, project_id: str) -> ArtifactStore:
    """The project's artifact store in this runtime."""
    if crewbot.config.runtime == "aws":
        return BlobArtifactStore(project_id, crewbot.store.blobs("artifacts"), crewbot.clock.now)
    return GitArtifactStore(project_id, crewbot.home / "projects" / project_id / "repo")
