"""Only requests that came through CloudFront (and so through its WAF) reach the bot.

With ``waf_rate_limit`` set in Terraform, the Slack API sits behind a CloudFront distribution whose web
ACL rate-limits and filters requests. The API's own ``execute-api`` URL stays reachable, so CloudFront
adds a header holding a random value to every request it forwards, and the bot function is given the
same value in ``ORIGIN_VERIFY_SECRET``. A request without it (someone calling the API directly,
around the WAF) is answered 403 before the runtime or Bolt is built, so such traffic costs little.

Without ``ORIGIN_VERIFY_SECRET`` (no CloudFront, or running locally) nothing is checked. Invocations
that are not HTTP requests (no API Gateway or Function URL request context) never pass through
CloudFront and are let through: the health check (``crewbot deploy verify``) and Bolt's lazy
self-invocations (``"method": "NONE"``). Only a principal allowed ``lambda:InvokeFunction`` can send
those, and Bolt still verifies Slack's signature.

The value is never logged: it is registered with the log redactor when first read, and the header is
removed from a request once checked, so it travels no further (lazy payloads, dead letters).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

#: The environment variable holding the value CloudFront sends (set by infra/terraform/waf.tf).
ENV = "ORIGIN_VERIFY_SECRET"
#: The header CloudFront adds to every request it forwards to the API (lower case, as HTTP APIs pass it).
HEADER = "x-crewbot-origin-verify"

#: What a refused caller gets: no detail beyond where requests belong.
FORBIDDEN: dict[str, Any] = {
    "statusCode": 403,
    "body": "Forbidden: this API only answers requests through its CloudFront URL",
    "headers": {"content-type": "text/plain"},
}

_redacted: set[str] = set()


def refusal(event: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The 403 response for an HTTP request lacking the origin header, or ``None`` to go on.

    ``environ`` defaults to the process environment.
    """
    expected = (os.environ if environ is None else environ).get(ENV)
    if not expected:
        return None
    if expected not in _redacted:
        from bot.logs import redact_value

        redact_value(expected)
        _redacted.add(expected)
    if not _is_http_request(event):
        return None
    given = _header(event.get("headers"))
    if given is not None and hmac.compare_digest(given.encode(), expected.encode()):
        _forget(event)
        return None
    logger.warning(
        "refused a request that did not come through CloudFront (%s header %s)",
        _path(event),
        "wrong" if given is not None else "missing",
    )
    return FORBIDDEN


def _is_http_request(event: Mapping[str, Any]) -> bool:
    from bot.slack.guard import is_self_invocation, request_method

    # Bolt's lazy payload is the original request plus "method": "NONE"; other invocations (the health
    # check) carry no API Gateway or Function URL request context at all.
    return not is_self_invocation(event) and request_method(event) is not None


def _header(headers: Any) -> str | None:
    if not isinstance(headers, Mapping):
        return None
    value = headers.get(HEADER)
    if value is None:
        # REST APIs keep the header's case as sent.
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == HEADER), None)
    return value if isinstance(value, str) else None


def _forget(event: Mapping[str, Any]) -> None:
    # Checked: the value goes no further (Bolt copies the headers into its lazy self-invocation's
    # payload, which a failed listener leaves in the dead-letter queue).
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if isinstance(headers, dict):
            for name in [k for k in headers if isinstance(k, str) and k.lower() == HEADER]:
                del headers[name]


def _path(event: Mapping[str, Any]) -> str:
    path = event.get("rawPath") or event.get("path")
    return path if isinstance(path, str) else "?"
