"""Logging: Powertools JSON logs with correlation ids in AWS, readable lines locally.

Secrets never reach a log line: every secret value the resolver hands out is registered here, and a
filter on the root handler masks those values and anything shaped like a Slack/AWS credential.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

_MASK = "****"
_PATTERNS = re.compile(
    r"(xox[abpres]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[A-Za-z0-9._~+/-]+=*|AKIA[0-9A-Z]{16})"
)
_known_secrets: set[str] = set()
_lock = threading.Lock()


def redact_value(value: str) -> None:
    """Register a secret value so that it is masked wherever it would be logged."""
    if len(value) >= 6:  # very short values would mask ordinary words
        with _lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """``text`` with registered secrets and credential-shaped strings masked."""
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return _PATTERNS.sub(_MASK, text)


# Fields added to every log line of the current request (correlation id, Lambda request id ...).
_context: ContextVar[Mapping[str, str] | None] = ContextVar("crewbot_log_context", default=None)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Add ``fields`` (``correlation_id=...``) to every log line written inside this block."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


def lambda_log_context(context: Any, correlation_id: str | None = None) -> Any:
    """:func:`log_context` for one Lambda invocation: the function's request id and name, and a correlation
    id (the caller's, e.g. API Gateway's request id or a workflow execution; else the request id)."""
    request_id = getattr(context, "aws_request_id", None)
    return log_context(
        correlation_id=correlation_id or request_id,
        function_request_id=request_id,
        function_name=getattr(context, "function_name", None),
    )


class ContextFilter(logging.Filter):
    """Copies the :func:`log_context` fields onto each record (Powertools' JSON formatter prints them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            setattr(record, key, value)
        return True


class RedactingFilter(logging.Filter):
    """Masks secrets in the fully formatted message and in exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(exc_text)
        return True


class _JsonOnFirstRecord(logging.Formatter):
    # Powertools' JSON formatter, built when the first record is formatted: importing aws_lambda_powertools
    # costs 20-40 ms, which a Slack acknowledgement that logs nothing should not pay on a cold start.
    def __init__(self, service: str):
        super().__init__()
        self._service = service
        self._formatter: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._formatter is None:
            from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

            self._formatter = LambdaPowertoolsFormatter(service=self._service)
        return self._formatter.format(record)


def configure_logging(level: str = "INFO", json_format: bool = False, service: str = "crewbot") -> None:
    """Set up the root logger once per process: JSON (Powertools) or readable lines, always redacted."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_crewbot", False):
            root.removeHandler(old)
    handler: logging.Handler
    if json_format:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_JsonOnFirstRecord(service))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler._crewbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Chatty libraries stay quiet unless we are debugging.
    for noisy in ("botocore", "boto3", "urllib3", "strands", "slack_bolt", "slack_sdk"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))


def log_to_file(path: Path, console_level: str = "WARNING") -> None:
    """Keep the terminal for warnings and errors and write the full log to ``path`` (the emulator's
    transcript stays readable; ``crewbot --debug dev`` keeps everything on the terminal)."""
    root = logging.getLogger()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._crewbot = True  # type: ignore[attr-defined]
    for existing in root.handlers:
        if (
            getattr(existing, "_crewbot", False)
            and isinstance(existing, logging.StreamHandler)
            and not isinstance(existing, logging.FileHandler)
        ):
            existing.setLevel(console_level)
    root.addHandler(handler)


def log_extra(**fields: Any) -> dict[str, Any]:
    """Structured fields for a log call (``logger.info("...", extra=log_extra(user=...))``)."""
    return {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
