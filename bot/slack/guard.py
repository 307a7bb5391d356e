"""The screen in front of Bolt: every HTTP request is authenticated and well-formed before Bolt sees it.

Bolt parses a request body before it checks the signature, so a truncated JSON body, a bad
``payload=`` form, a top-level list or a base64 body that is not UTF-8 would raise out of the Lambda
handler, and a non-numeric ``x-slack-request-timestamp`` raises inside slack_sdk's verifier. The
screen answers such requests itself:

* not signed with the signing secret, signed too long ago, or with a malformed timestamp → 401;
* signed, but not a body Slack sends (undecodable, not an object, fields of the wrong type) → 400;
* anything else goes to Bolt as the screen parsed it (:class:`Admitted`): the signature is checked
  here once, and Bolt dispatches the body that was checked rather than parsing it again.

Headers are not covered by Slack's signature, so the lazy-listener headers Bolt uses to re-invoke the
function (``x-slack-bolt-lazy-only``) are removed from every request that arrived over HTTP: only an
asynchronous self-invocation (Bolt marks its payload with ``"method": "NONE"``, which API Gateway and
Function URLs never produce) may run a lazy listener directly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

logger = logging.getLogger(__name__)

#: Slack's replay window: a request signed longer ago than this is refused.
MAX_AGE_SECONDS = 300

LAZY_HEADERS = frozenset({"x-slack-bolt-lazy-only", "x-slack-bolt-lazy-function-name"})

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

#: What a Slack id looks like (users ``U``/``W``, bots ``B``, channels ``C``/``D``/``G``, teams ``T``,
#: enterprises ``E``, apps ``A``): upper-case letters and digits after the prefix.
_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,31}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")


def is_user_id(value: object) -> bool:
    """Whether ``value`` has the shape of a Slack user id (``U…`` or ``W…``)."""
    return isinstance(value, str) and _USER_ID.fullmatch(value) is not None


def is_slack_id(value: object) -> bool:
    """Whether ``value`` has the shape of any Slack object id."""
    return isinstance(value, str) and _SLACK_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Refusal:
    """Why a request does not reach Bolt: the HTTP status and a short reason (logged, not returned)."""

    status: int
    reason: str

    def lambda_response(self) -> dict[str, Any]:
        text = "Unauthorized" if self.status == 401 else "Bad Request"
        return {"statusCode": self.status, "body": text, "headers": {"content-type": "text/plain"}}


# -- shapes ------------------------------------------------------------------------------------------

_STR = (str,)
_OPT_STR = (str, type(None))
_DICT = (dict,)
_OPT_DICT = (dict, type(None))
_ID_OR_OBJECT = (str, dict, type(None))
_LIST = (list,)

#: Top-level fields Bolt and Crewbot read, and the types Slack sends them as.
_TOP: dict[str, tuple[type, ...]] = {
    "type": _OPT_STR,
    "token": _OPT_STR,
    "team_id": _OPT_STR,
    "api_app_id": _OPT_STR,
    "enterprise_id": _OPT_STR,
    "user_id": _OPT_STR,
    "channel_id": _OPT_STR,
    "command": _OPT_STR,
    "text": _OPT_STR,
    "trigger_id": _OPT_STR,
    "response_url": _OPT_STR,
    "callback_id": _OPT_STR,
    "action_ts": _OPT_STR,
    "event_id": _OPT_STR,
    "challenge": _OPT_STR,
    "user": _ID_OR_OBJECT,
    "team": _ID_OR_OBJECT,
    "enterprise": _ID_OR_OBJECT,
    "channel": _ID_OR_OBJECT,
    "event": _OPT_DICT,
    "view": _OPT_DICT,
    "container": _OPT_DICT,
    "message": _OPT_DICT,
    "state": _OPT_DICT,
    "actions": (list, type(None)),
    "authorizations": (list, type(None)),
    "response_urls": (list, type(None)),
    "authed_users": (list, type(None)),
}
#: Fields of the nested objects, same idea.
_NESTED: dict[str, dict[str, tuple[type, ...]]] = {
    "user": {"id": _OPT_STR, "team_id": _OPT_STR, "name": _OPT_STR, "username": _OPT_STR},
    "team": {"id": _OPT_STR, "enterprise_id": _OPT_STR, "domain": _OPT_STR},
    "enterprise": {"id": _OPT_STR},
    "channel": {"id": _OPT_STR, "name": _OPT_STR},
    "event": {
        "type": _OPT_STR,
        "subtype": _OPT_STR,
        "user": _ID_OR_OBJECT,
        "channel": _ID_OR_OBJECT,
        "channel_type": _OPT_STR,
        "text": _OPT_STR,
        "ts": _OPT_STR,
        "thread_ts": _OPT_STR,
        "event_ts": _OPT_STR,
        "bot_id": _OPT_STR,
        "team": _ID_OR_OBJECT,
        "tab": _OPT_STR,
        "files": (list, type(None)),
        "message": _OPT_DICT,
        "item": _OPT_DICT,
        "assistant_thread": _OPT_DICT,
    },
    "view": {
        "id": _OPT_STR,
        "type": _OPT_STR,
        "callback_id": _OPT_STR,
        "external_id": _OPT_STR,
        "private_metadata": _OPT_STR,
        "state": _OPT_DICT,
        "blocks": (list, type(None)),
    },
    "container": {"message_ts": _OPT_STR, "view_id": _OPT_STR, "channel_id": _OPT_STR},
    "message": {"ts": _OPT_STR, "text": _OPT_STR, "thread_ts": _OPT_STR, "blocks": (list, type(None))},
}
_ITEM_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "actions": {"action_id": _OPT_STR, "block_id": _OPT_STR, "type": _OPT_STR, "action_ts": _OPT_STR},
    "authorizations": {
        "team_id": _OPT_STR,
        "enterprise_id": _OPT_STR,
        "user_id": _OPT_STR,
        "is_enterprise_install": (bool, type(None)),
    },
    "response_urls": {"response_url": _OPT_STR, "channel_id": _OPT_STR},
}


#: Payload types Bolt's matchers read ``actions[0]`` of.
_NEEDS_ACTIONS = {"block_actions", "interactive_message"}
#: Fields Bolt's matchers index for each payload type.
_NEEDS_FIELDS: dict[str, tuple[str, ...]] = {
    "event_callback": ("event",),
    "block_suggestion": ("action_id",),
    "interactive_message": ("callback_id",),
    "dialog_submission": ("callback_id",),
    "dialog_suggestion": ("callback_id",),
    "dialog_cancellation": ("callback_id",),
    "shortcut": ("callback_id",),
    "message_action": ("callback_id",),
    "workflow_step_edit": ("callback_id",),
    "view_submission": ("view",),
    "view_closed": ("view",),
}


def _wrong(where: str, value: Any, allowed: tuple[type, ...]) -> str | None:
    if isinstance(value, bool) and bool not in allowed:
        return f"{where} is a boolean"
    if not isinstance(value, allowed):
        return f"{where} is a {type(value).__name__}"
    return None


def shape_problem(body: Any) -> str | None:
    """Why ``body`` (a parsed request body) is not something Slack sends, or None when it has the
    shape Bolt's and Crewbot's parsing relies on (the types of the fields they read)."""
    if not isinstance(body, dict):
        return f"the body is a {type(body).__name__}, not an object"
    for name, allowed in _TOP.items():
        if name in body and (problem := _wrong(name, body[name], allowed)):
            return problem
    for name, fields in _NESTED.items():
        value = body.get(name)
        if isinstance(value, dict):
            for field_name, allowed in fields.items():
                if field_name in value and (problem := _wrong(f"{name}.{field_name}", value[field_name], allowed)):
                    return problem
    for name, fields in _ITEM_FIELDS.items():
        for i, item in enumerate(body.get(name) or []):
            if not isinstance(item, dict):
                return f"{name}[{i}] is a {type(item).__name__}"
            for field_name, allowed in fields.items():
                if field_name in item and (problem := _wrong(f"{name}[{i}].{field_name}", item[field_name], allowed)):
                    return problem
    kind = body.get("type")
    if kind in _NEEDS_ACTIONS and not body.get("actions"):
        return f"a {kind} payload without actions"
    for name in _NEEDS_FIELDS.get(str(kind), ()):
        if not isinstance(body.get(name), (str, dict)) or not body.get(name):
            return f"a {kind} payload without {name}"
    event = body.get("event")
    if isinstance(event, dict):
        for i, item in enumerate(event.get("files") or []):
            if not isinstance(item, dict):
                return f"event.files[{i}] is a {type(item).__name__}"
        nested = event.get("message")
        if isinstance(nested, dict):
            for field_name in ("user", "ts", "text", "thread_ts", "subtype", "bot_id"):
                if field_name in nested and (
                    problem := _wrong(f"event.message.{field_name}", nested[field_name], _OPT_STR)
                ):
                    return problem
    view = body.get("view")
    if isinstance(view, dict) and isinstance(view.get("state"), dict):
        values = view["state"].get("values")
        if values is not None and not isinstance(values, dict):
            return "view.state.values is not an object"
        for block_id, actions in (values or {}).items():
            if not isinstance(actions, dict) or not all(isinstance(v, dict) for v in actions.values()):
                return f"view.state.values.{block_id} is not an object of objects"
    return None


def parse_body(text: str, content_type: str | None) -> Any:
    """The body as Bolt parses it (JSON, a form, or a form's ``payload`` JSON); raises ``ValueError``."""
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text:
        payload = form.get("payload")
        return json.loads(payload) if payload is not None else {}
    return form


# -- requests ----------------------------------------------------------------------------------------


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            if isinstance(value, list):
                value = value[0] if value else None
            return value if isinstance(value, str) else None
    return None


def strip_lazy_headers(event: dict[str, Any]) -> bool:
    """Remove Bolt's lazy-listener headers from ``event`` (any case, single- and multi-value); True if
    there were any."""
    found = False
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if isinstance(headers, dict):
            for name in [n for n in headers if isinstance(n, str) and n.lower() in LAZY_HEADERS]:
                del headers[name]
                found = True
    return found


def is_self_invocation(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` is Bolt's asynchronous re-invocation of this function for a lazy listener."""
    return event.get("method") == "NONE"


def request_method(event: Mapping[str, Any]) -> str | None:
    """The HTTP method of an API Gateway (v1 or v2) or Function URL event."""
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return None
    http = context.get("http")
    if isinstance(http, dict) and isinstance(http.get("method"), str):
        return str(http["method"])
    method = context.get("httpMethod")
    return method if isinstance(method, str) else None


def expected_signature(signing_secret: str, timestamp: str, raw: bytes) -> str:
    """Slack's ``v0=`` signature of a request body."""
    digest = hmac.new(signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def verify(signing_secret: str, headers: Mapping[str, Any], raw: bytes, now: float) -> Refusal | None:
    """A 401 refusal unless ``raw`` carries a current, valid signature."""
    timestamp = _header(headers, "x-slack-request-timestamp")
    signature = _header(headers, "x-slack-signature")
    if timestamp is None or signature is None:
        return Refusal(401, "not signed")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Refusal(401, "malformed timestamp")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return Refusal(401, "stale timestamp")
    if not _SIGNATURE.fullmatch(signature) or not signing_secret:
        return Refusal(401, "malformed signature")
    if not hmac.compare_digest(expected_signature(signing_secret, timestamp, raw), signature):
        return Refusal(401, "bad signature")
    return None


@dataclass(frozen=True)
class Admitted:
    """A POST the screen let through: signed with the signing secret within :data:`MAX_AGE_SECONDS`, and
    of Slack's shape. ``text`` is the signed body as text, ``body`` that text parsed as Bolt would."""

    text: str
    body: dict[str, Any]


def admit(event: Any, signing_secret: str, now: Callable[[], float] = time.time) -> Refusal | Admitted | None:
    """Check one Lambda event before Bolt dispatches it: a :class:`Refusal`, the :class:`Admitted`
    request, or ``None`` for an event that is not an HTTP POST (Bolt answers those with 404).

    Side effects on ``event``: lazy-listener headers are removed from requests that arrived over HTTP,
    a missing ``headers`` becomes ``{}`` and a missing ``isBase64Encoded`` False (Bolt's adapter indexes
    them).
    """
    if not isinstance(event, dict):
        return Refusal(400, "the event is not an object")
    if not is_self_invocation(event) and strip_lazy_headers(event):
        logger.warning("removed lazy-listener headers from a request that arrived over HTTP")
    if request_method(event) != "POST":
        return None  # Bolt answers anything else with 404
    headers = event.get("headers")
    if headers is None:
        headers = event["headers"] = {}
    if not isinstance(headers, dict):
        return Refusal(400, "headers are not an object")
    body = event.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        return Refusal(400, "the body is not a string")
    encoded = event.get("isBase64Encoded")
    if encoded is None:
        encoded = event["isBase64Encoded"] = False
    if encoded is not True and encoded is not False:
        return Refusal(400, "isBase64Encoded is not a boolean")
    undecodable = False
    if encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raw, undecodable = body.encode("utf-8", "surrogatepass"), True
    else:
        raw = body.encode("utf-8", "surrogatepass")
    refusal = verify(signing_secret, headers, raw, now())
    if refusal is not None:
        return refusal
    if undecodable:
        return Refusal(400, "the body is not valid base64")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "the body is not UTF-8")
    content_type = _header(headers, "content-type")
    content_type = content_type.split(";")[0].strip().lower() if content_type else None
    try:
        parsed = parse_body(text, content_type)
    except ValueError:
        return Refusal(400, "the body does not parse")
    problem = shape_problem(parsed)
    if problem is not None:
        return Refusal(400, problem)
    return Admitted(text, parsed)


def screen(event: Any, signing_secret: str, now: Callable[[], float] = time.time) -> Refusal | None:
    """:func:`admit` without the parsed request: the refusal, or ``None`` to let the event through."""
    result = admit(event, signing_secret, now)
    return result if isinstance(result, Refusal) else None


def screen_socket_payload(payload: Any) -> Refusal | None:
    """Check a Socket Mode envelope's payload (the socket is authenticated; only the shape matters)."""
    problem = shape_problem(payload)
    return Refusal(400, problem) if problem else None


__all__ = [
    "MAX_AGE_SECONDS",
    "Admitted",
    "Refusal",
    "admit",
    "expected_signature",
    "is_self_invocation",
    "is_slack_id",
    "is_user_id",
    "parse_body",
    "screen",
    "screen_socket_payload",
    "shape_problem",
    "strip_lazy_headers",
    "verify",
]
