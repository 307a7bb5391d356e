"""An in-process fake of the Slack Web API: a real HTTP server on 127.0.0.1 that records every call.

The bot's ``WebClient`` points its ``base_url`` here, and the emulated payloads' ``response_url``
points here too, so everything the bot says goes through real HTTP with the real SDK. The fake keeps
the state a user would see (messages, ephemeral messages, modals, home tabs, thread status, streams,
files, channels and their members) and answers like Slack does: ``{"ok": true, ...}`` with the fields
and id formats of Slack's published Web API specification, or Slack's error for what Slack refuses
(Block Kit its models and documented limits reject, a channel that does not exist or that the bot is
not in, an ephemeral to a non-member, an over-long message, a missing scope, an expired trigger).
Messages are indexed by channel and timestamp, so posting stays cheap in a long session.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import mimetypes
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote, urlparse

from bot.emulator.validation import message_problems, view_problems

logger = logging.getLogger(__name__)

#: Arguments the SDK sends as JSON strings in form-encoded calls.
_JSON_ARGS = {"blocks", "attachments", "view", "chunks", "files", "metadata", "users"}


class SlackError(Exception):
    """A Web API call Slack would refuse: becomes ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, detail: str = "", extra: dict[str, Any] | None = None):
        super().__init__(code)
        self.code = code
        self.detail = detail
        #: More fields of Slack's error response (``response_metadata``, ``needed`` ...).
        self.extra = extra or {}

    def response(self) -> dict[str, Any]:
        response: dict[str, Any] = {"ok": False, "error": self.code, **self.extra}
        if self.detail:
            response["detail"] = self.detail
        return response


@dataclass
class Message:
    """A message as the workspace holds it."""

    ts: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    #: Set for ephemeral messages: the only user who sees it.
    ephemeral_to: str | None = None
    from_bot: bool = False
    streaming: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ApiCall:
    """One recorded Web API (or response URL) call."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any]


@dataclass
class Output:
    """Something the bot showed a user: what the emulator's transcript prints."""

    kind: str  # message, update, ephemeral, delete, modal, modal_update, home, status, file, stream
    user: str | None  # who sees it (None: everyone in the channel)
    message: Message | None = None
    view: dict[str, Any] | None = None
    text: str = ""


@dataclass
class ResponseTarget:
    """Where a ``response_url`` posts: the channel and user of the payload that carried it."""

    channel: str
    user: str
    message_ts: str | None = None


@dataclass
class Channel:
    """A conversation of the workspace: a public or private channel, or a DM with the bot."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    #: For a DM: the human on the other side.
    user: str | None = None
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_general: bool = False
    created: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "members": sorted(self.members)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Channel:
        return cls(**{**data, "members": set(data.get("members") or ())})


#: The channel every workspace member is in (the emulator's bot is a member too).
GENERAL = "C0GENERAL"

_ID_CHARS = string.ascii_uppercase + string.digits


def slack_id(prefix: str, length: int = 10) -> str:
    """A fresh id in Slack's format: a type letter and upper-case letters and digits."""
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(length))


class FakeSlack:
    """The fake workspace's Web API. Start it, point a ``WebClient`` at :attr:`base_url`, read :attr:`calls`.

    It refuses what Slack refuses: Block Kit that Slack's models or documented limits reject
    (``invalid_blocks`` with ``response_metadata.messages``), posts to channels that do not exist or
    that the bot is not in (``channel_not_found``, ``not_in_channel``), ephemerals to non-members
    (``user_not_in_channel``), over-long messages (``msg_too_long``), invalid views, and, when
    ``scopes`` is given, calls the installed scopes do not allow (``missing_scope``).

    With ``state_dir`` the workspace (users, channels, messages, files, views) is journalled there and
    reloaded on the next start, as Slack keeps it between two runs of the bot.
    """

    def __init__(
        self,
        *,
        token: str,
        team_id: str = "T0EMULATOR",
        team_name: str = "Crewbot Emulator",
        bot_user_id: str = "UCREWBOT",
        bot_id: str = "B0CREWBOT",
        app_id: str = "A0CREWBOT",
        bot_name: str = "crewbot",
        trigger_ttl: float = 3.0,
        scopes: Iterable[str] | None = None,
        state_dir: Path | None = None,
    ):
        self.token = token
        #: Seconds a trigger_id stays valid (Slack: 3), so a slow modal-opening handler fails here too.
        self.trigger_ttl = trigger_ttl
        self.team_id, self.team_name = team_id, team_name
        self.bot_user_id, self.bot_id, self.app_id, self.bot_name = bot_user_id, bot_id, app_id, bot_name
        #: The bot token's scopes, enforced (``missing_scope``) and sent in the ``x-oauth-scopes`` header of
        #: Web API answers as Slack does; None: every call is allowed and no header is sent.
        self.scopes: set[str] | list[str] | None = set(scopes) if scopes is not None else None
        self.calls: list[ApiCall] = []
        self.outputs: list[Output] = []
        self.messages: list[Message] = []
        self._index: dict[tuple[str, str], Message] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.statuses: dict[tuple[str, str], str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, tuple[str, float]] = {}
        self.response_targets: dict[str, ResponseTarget] = {}
        #: Methods to refuse with the given error code (to exercise a caller's fallbacks), by method name.
        self.refuse: dict[str, str] = {}
        #: Socket Mode: the app-level token and the websocket URL ``apps.connections.open`` hands out.
        self.app_token: str | None = None
        self.socket_mode_url: str | None = None
        #: Seconds a file download waits before answering (a slow network, in tests).
        self.download_delay = 0.0
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._journal: IO[str] | None = None
        self.state_dir = state_dir
        if state_dir is not None:
            self._load(state_dir)
        if GENERAL not in self.channels:
            self.add_channel(GENERAL, "general", is_general=True, members=[bot_user_id])
        self.add_user(bot_user_id, bot_name, is_bot=True)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on a free port of 127.0.0.1 (in a daemon thread)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake._serve(self, self.rfile.read(length))

            def do_GET(self) -> None:
                fake._serve(self, b"")

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("fake slack: " + format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Slack API is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``."""
        return f"{self.url}/api/"

    # -- persistence -------------------------------------------------------------------------------

    def _load(self, state_dir: Path) -> None:
        """Replay the journal of a previous run (one JSON object per line, each an upsert)."""
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "workspace.jsonl"
        if path.is_file():
            with path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, start=1):
                    try:
                        self._replay(json.loads(line))
                    except (ValueError, KeyError, TypeError) as exc:
                        logger.warning("%s:%d: skipping an unreadable entry (%s)", path, number, exc)
        self._journal = path.open("a", encoding="utf-8")

    def _replay(self, entry: dict[str, Any]) -> None:
        kind, data = entry["kind"], entry["data"]
        if kind == "user":
            self.users[data["id"]] = data
        elif kind == "channel":
            self.channels[data["id"]] = Channel.from_json(data)
        elif kind == "message":
            self._put_message(Message(**data))
        elif kind == "delete_message":
            self._drop_message(data["channel"], data["ts"])
        elif kind == "file":
            self.files[data["id"]] = {**data, "content": base64.b64decode(data.pop("content_b64", "") or "")}
        elif kind == "view":
            self.views[data["id"]] = data
        elif kind == "home":
            self.home_views[data["user"]] = data["view"]

    def _save(self, kind: str, data: dict[str, Any]) -> None:
        if self._journal is None:
            return
        self._journal.write(json.dumps({"kind": kind, "data": data}, default=_jsonable) + "\n")
        self._journal.flush()

    def _save_message(self, message: Message) -> None:
        # Ephemeral messages vanish when a Slack client reloads; only real messages are kept.
        if message.ephemeral_to is None and not message.streaming:
            self._save("message", asdict(message))

    def _save_file(self, entry: dict[str, Any]) -> None:
        data = {k: v for k, v in entry.items() if k != "content"}
        data["content_b64"] = base64.b64encode(entry.get("content") or b"").decode()
        self._save("file", data)

    # -- messages (indexed by channel and ts) -------------------------------------------------------

    def _put_message(self, message: Message) -> None:
        key = (message.channel, message.ts)
        old = self._index.get(key)
        if old is not None:
            self.messages[self.messages.index(old)] = message
        else:
            self.messages.append(message)
        self._index[key] = message
        self._last_ts = max(self._last_ts, float(message.ts))

    def _drop_message(self, channel: str, ts: str) -> Message | None:
        message = self._index.pop((channel, ts), None)
        if message is not None:
            self.messages.remove(message)
        return message

    # -- workspace set-up (used by the payload builder) -------------------------------------------

    def add_user(self, user_id: str, name: str, *, is_admin: bool = False, is_bot: bool = False) -> dict[str, Any]:
        """A workspace member (who joins #general, as everybody in a workspace does)."""
        with self._lock:
            user = self.users.get(user_id)
            if user is None:
                user = {
                    "id": user_id,
                    "team_id": self.team_id,
                    "name": name,
                    "real_name": name.title(),
                    "is_admin": is_admin,
                    "is_bot": is_bot,
                    "deleted": False,
                    "tz": "UTC",
                    "profile": {"display_name": name, "real_name": name.title(), "email": f"{name}@emulator.invalid"},
                }
                self.users[user_id] = user
                self._save("user", user)
                general = self.channels.get(GENERAL)
                if general is not None and user_id not in general.members:
                    general.members.add(user_id)
                    self._save("channel", general.to_json())
            return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        members: Iterable[str] = (),
        is_general: bool = False,
    ) -> Channel:
        """A public or private channel with ``members`` (the bot only if listed)."""
        with self._lock:
            channel = self.channels.get(channel_id)
            if channel is None:
                channel = Channel(
                    id=channel_id,
                    name=name,
                    is_private=is_private,
                    members=set(members),
                    is_general=is_general,
                    created=int(time.time()),
                )
                self.channels[channel_id] = channel
                self._save("channel", channel.to_json())
            return channel

    def join(self, channel_id: str, user_id: str) -> None:
        """``user_id`` joins (or is invited to) a channel."""
        with self._lock:
            channel = self.channels[channel_id]
            channel.members.add(user_id)
            self._save("channel", channel.to_json())

    def dm_channel(self, user_id: str) -> str:
        """The id of the DM between ``user_id`` and the bot (created on first use)."""
        channel_id = "D" + user_id[1:].rjust(8, "0")
        with self._lock:
            if channel_id not in self.channels:
                channel = Channel(
                    id=channel_id,
                    name=channel_id,
                    is_private=True,
                    is_im=True,
                    user=user_id,
                    members={user_id, self.bot_user_id},
                    created=int(time.time()),
                )
                self.channels[channel_id] = channel
                self._save("channel", channel.to_json())
        return channel_id

    def new_ts(self) -> str:
        """A message timestamp: unique and increasing, like Slack's."""
        with self._lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
            return f"{now:.6f}"

    def new_trigger(self, user_id: str) -> str:
        with self._lock:
            trigger = f"{int(time.time())}.{next(self._ids)}.{secrets.token_hex(16)}"
            self.triggers[trigger] = (user_id, time.monotonic())
            return trigger

    def new_response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        with self._lock:
            token = secrets.token_urlsafe(12)
            self.response_targets[token] = ResponseTarget(channel, user, message_ts)
            return f"{self.url}/response/{token}"

    def restore_message(self, message: Message) -> None:
        """Put back a message a previous emulator process saw, without showing it (kept if known)."""
        with self._lock:
            if (message.channel, message.ts) not in self._index:
                self._put_message(message)
                self._save_message(message)

    def add_user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> Message:
        """Record a message a (human) user sent, as the event the emulator delivers describes it."""
        message = Message(ts=self.new_ts(), channel=channel, user=user, text=text, thread_ts=thread_ts)
        with self._lock:
            self._put_message(message)
            self._save_message(message)
        return message

    def show_ephemeral(self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """What a slash command's acknowledgement body shows the user."""
        message = Message(
            ts=self.new_ts(),
            channel=channel,
            user=self.bot_user_id,
            text=text,
            blocks=blocks or [],
            ephemeral_to=user,
            from_bot=True,
        )
        with self._lock:
            self._put_message(message)
            self.outputs.append(Output("ephemeral", user, message))

    # -- queries -----------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def open_modal(self, user_id: str) -> dict[str, Any] | None:
        """The modal on top of ``user_id``'s stack (with its ``id``), if any."""
        with self._lock:
            stack = self.modal_stacks.get(user_id) or []
            return self.views[stack[-1]] if stack else None

    def close_modals(self, user_id: str, all_views: bool = False) -> None:
        with self._lock:
            stack = self.modal_stacks.get(user_id) or []
            if all_views:
                stack.clear()
            elif stack:
                stack.pop()

    def can_see(self, user_id: str, message: Message) -> bool:
        """Whether Slack shows ``message`` to ``user_id``: in a conversation they are a member of, and
        for an ephemeral message only to its user."""
        if message.ephemeral_to is not None:
            return message.ephemeral_to == user_id
        channel = self.channels.get(message.channel)
        return channel is not None and user_id in channel.members

    def visible_messages(self, user_id: str) -> list[Message]:
        """Messages ``user_id`` can see, oldest first."""
        with self._lock:
            return [m for m in self.messages if self.can_see(user_id, m)]

    def find_message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            return self._index.get((channel, ts))

    # -- HTTP --------------------------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler, raw: bytes) -> None:
        parsed = urlparse(request.path)
        status, payload = 200, {"ok": False, "error": "unknown_method"}
        try:
            if parsed.path.startswith("/api/"):
                method = parsed.path[len("/api/") :]
                args = self._parse_args(request.headers.get("Content-Type") or "", raw, parsed.query)
                payload = self._api(method, args, request.headers.get("Authorization") or "")
            elif parsed.path.startswith("/response/"):
                args = json.loads(raw or b"{}")
                payload = self._respond(parsed.path[len("/response/") :], args)
            elif parsed.path.startswith("/upload/"):
                payload = self._upload(parsed.path[len("/upload/") :], raw)
            elif parsed.path.startswith("/files/"):
                self._download(request, parsed.path[len("/files/") :])
                return
            else:
                status, payload = 404, {"ok": False, "error": "not_found"}
        except (ValueError, json.JSONDecodeError) as exc:
            status, payload = 400, {"ok": False, "error": "invalid_json", "detail": str(exc)}
        body = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        if self.scopes is not None and parsed.path.startswith("/api/"):
            request.send_header("x-oauth-scopes", ",".join(sorted(self.scopes)))
        request.end_headers()
        request.wfile.write(body)

    @staticmethod
    def _parse_args(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
        if raw and content_type.startswith("application/json"):
            args.update(json.loads(raw))
        elif raw:
            args.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()})
            for name in _JSON_ARGS & set(args):
                if isinstance(args[name], str) and args[name][:1] in "[{":
                    args[name] = json.loads(args[name])
        return args

    def _api(self, method: str, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "_m_" + method.replace(".", "_"), None
        )
        try:
            if method == "apps.connections.open":
                return self._connections_open(authorization)
            if authorization.removeprefix("Bearer ").strip() != self.token and args.get("token") != self.token:
                raise SlackError("invalid_auth" if authorization or args.get("token") else "not_authed")
            if handler is None:
                raise SlackError("unknown_method", f"the emulator does not implement {method}")
            self._check_scope(method, args)
            if method in self.refuse:
                raise SlackError(self.refuse[method])
            with self._lock:
                response = {"ok": True, **handler(args)}
        except SlackError as exc:
            response = exc.response()
        with self._lock:
            self.calls.append(ApiCall(method, args, response))
        if not response["ok"]:
            logger.info("fake slack: %s refused: %s %s", method, response.get("error"), exc_detail(response))
        return response

    def _connections_open(self, authorization: str) -> dict[str, Any]:
        # Socket Mode: the app-level token gets the URL of a websocket (a test's local server).
        token = authorization.removeprefix("Bearer ").strip()
        if self.app_token is None or token != self.app_token:
            response: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
        elif not self.socket_mode_url:
            response = {"ok": False, "error": "not_allowed_token_type"}
        else:
            response = {"ok": True, "url": self.socket_mode_url}
        with self._lock:
            self.calls.append(ApiCall("apps.connections.open", {}, response))
        return response

    def _check_scope(self, method: str, args: dict[str, Any]) -> None:
        if self.scopes is None:
            return
        from bot.slack.scopes import scopes_for_call

        with self._lock:
            kind = self._conversation_kind(args)
        needed = scopes_for_call(method, kind)
        if needed and not (set(needed) & set(self.scopes)):
            raise SlackError(
                "missing_scope", extra={"needed": ",".join(needed), "provided": ",".join(sorted(self.scopes or ()))}
            )

    def _conversation_kind(self, args: dict[str, Any]) -> str | None:
        value = args.get("channel") or args.get("channel_id")
        if not isinstance(value, str):
            return "im" if args.get("users") else None
        if value.startswith(("U", "W")):
            return "im"
        channel = self.channels.get(value)
        if channel is None:
            return None
        return "im" if channel.is_im else ("private" if channel.is_private else "public")

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _need(args: dict[str, Any], *names: str) -> None:
        for name in names:
            if args.get(name) in (None, ""):
                raise SlackError("invalid_arguments", f"missing required argument {name!r}")

    def _conversation(self, value: Any, *, member: bool = True) -> Channel:
        """The conversation ``value`` names (a user id means the DM with that user), as the bot sees it:
        a private channel the bot is not in does not exist for it; ``member`` requires the bot to be in."""
        if not isinstance(value, str):
            raise SlackError("channel_not_found")
        if value.startswith(("U", "W")):
            if value not in self.users:
                raise SlackError("channel_not_found")
            return self.channels[self.dm_channel(value)]
        channel = self.channels.get(value)
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            raise SlackError("channel_not_found")
        if member and self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _channel(self, value: Any) -> str:
        return self._conversation(value).id

    @staticmethod
    def _check_message(args: dict[str, Any]) -> None:
        refused = message_problems(args)
        if refused is not None:
            code, messages = refused
            raise SlackError(code, extra={"response_metadata": {"messages": messages}} if messages else None)

    def _bot_message(
        self, channel: str, args: dict[str, Any], *, ts: str | None = None, ephemeral_to: str | None = None
    ) -> Message:
        text, blocks = args.get("text") or "", args.get("blocks") or []
        if not text and not blocks and not args.get("attachments") and not args.get("markdown_text"):
            raise SlackError("no_text")
        self._check_message(args)
        message = Message(
            ts=ts or self.new_ts(),
            channel=channel,
            user=self.bot_user_id,
            text=text or args.get("markdown_text") or "",
            blocks=list(blocks),
            thread_ts=args.get("thread_ts") or None,
            ephemeral_to=ephemeral_to,
            from_bot=True,
        )
        self._put_message(message)
        self._save_message(message)
        return message

    def _message_json(self, message: Message) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "user": message.user, "text": message.text, "ts": message.ts}
        data["team"] = self.team_id
        if message.from_bot:
            data["bot_id"] = self.bot_id
        if message.blocks:
            data["blocks"] = message.blocks
        if message.thread_ts:
            data["thread_ts"] = message.thread_ts
        if message.files:
            data["files"] = [self._file_json(f) for f in message.files]
        return data

    def _clear_status(self, channel: str, thread_ts: str | None) -> None:
        # Slack clears a thread's status when the app replies in it.
        if thread_ts:
            self.statuses.pop((channel, thread_ts), None)

    # -- auth / users / conversations -------------------------------------------------------------

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://emulator.invalid/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "user")
        user = self.users.get(args["user"])
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _m_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}

    def _conversation_json(self, channel: Channel) -> dict[str, Any]:
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "created": channel.created,
            "creator": self.bot_user_id,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_archived": channel.is_archived,
            "is_general": channel.is_general,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "is_member": self.bot_user_id in channel.members,
            "num_members": len(channel.members),
            "unlinked": 0,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if not users and not args.get("channel"):
            raise SlackError("users_list_not_supplied")
        if args.get("channel"):
            return {"channel": {"id": self._channel(args["channel"])}}
        ids = [u.strip() for u in str(users).split(",") if u.strip()]
        if len(ids) != 1:
            raise SlackError("not_implemented", "the emulator supports DMs with one user")
        if ids[0] not in self.users:
            raise SlackError("user_not_found")
        return {"channel": {"id": self.dm_channel(ids[0])}}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel")
        return {"channel": self._conversation_json(self._conversation(args["channel"], member=False))}

    def _m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel")
        channel = self._conversation(args["channel"], member=False)
        if channel.is_im or channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        already = self.bot_user_id in channel.members
        self.join(channel.id, self.bot_user_id)
        response: dict[str, Any] = {"channel": self._conversation_json(channel)}
        if already:
            response["warning"] = "already_in_channel"
            response["response_metadata"] = {"warnings": ["already_in_channel"]}
        return response

    def _m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel")
        channel = self._conversation(args["channel"], member=False)
        return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "ts")
        channel, root = self._channel(args["channel"]), args["ts"]
        found = [
            self._message_json(m)
            for m in self.messages
            if m.channel == channel and m.ephemeral_to is None and (m.ts == root or m.thread_ts == root)
        ]
        if not found:
            raise SlackError("thread_not_found")
        return {"messages": found, "has_more": False}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel")
        channel = self._channel(args["channel"])
        found = [
            self._message_json(m)
            for m in reversed(self.messages)
            if m.channel == channel and m.ephemeral_to is None and not m.thread_ts
        ]
        return {"messages": found[: int(args.get("limit") or 100)], "has_more": False}

    # -- chat --------------------------------------------------------------------------------------

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel")
        channel = self._channel(args["channel"])
        if args.get("thread_ts") and (channel, args["thread_ts"]) not in self._index:
            raise SlackError("thread_not_found")
        message = self._bot_message(channel, args)
        self._clear_status(channel, message.thread_ts)
        self.outputs.append(Output("message", None, message))
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "user")
        channel = self._conversation(args["channel"])
        if args["user"] not in channel.members:
            raise SlackError("user_not_in_channel")
        message = self._bot_message(channel.id, args, ephemeral_to=args["user"])
        self.outputs.append(Output("ephemeral", args["user"], message))
        return {"message_ts": message.ts}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "ts")
        channel = self._channel(args["channel"])
        message = self.find_message(channel, args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        if not message.from_bot:
            raise SlackError("cant_update_message")
        self._check_message(args)
        if "text" in args:
            message.text = args.get("text") or ""
        if "blocks" in args:
            message.blocks = list(args.get("blocks") or [])
        self._save_message(message)
        self.outputs.append(Output("update", message.ephemeral_to, message))
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": self._message_json(message)}

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "ts")
        channel = self._channel(args["channel"])
        message = self._drop_message(channel, args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        self._save("delete_message", {"channel": channel, "ts": message.ts})
        self.outputs.append(Output("delete", message.ephemeral_to, message))
        return {"channel": channel, "ts": message.ts}

    def _m_chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "thread_ts")
        channel = self._channel(args["channel"])
        self._check_message(args)
        message = Message(
            ts=self.new_ts(),
            channel=channel,
            user=self.bot_user_id,
            text=_chunk_text(args),
            thread_ts=args["thread_ts"],
            from_bot=True,
            streaming=True,
        )
        self._put_message(message)
        self._clear_status(channel, message.thread_ts)
        self.outputs.append(Output("stream", None, message))
        return {"channel": channel, "ts": message.ts}

    def _stream(self, args: dict[str, Any]) -> Message:
        self._need(args, "channel", "ts")
        message = self.find_message(self._channel(args["channel"]), args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        if not message.streaming:
            raise SlackError("message_not_in_streaming_state")
        self._check_message(args)
        return message

    def _m_chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._stream(args)
        message.text += _chunk_text(args)
        return {"channel": message.channel, "ts": message.ts}

    def _m_chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._stream(args)
        message.text += _chunk_text(args)
        if args.get("blocks"):
            message.blocks = list(args["blocks"])
        message.streaming = False
        self._save_message(message)
        self.outputs.append(Output("message", None, message))
        return {"channel": message.channel, "ts": message.ts, "message": self._message_json(message)}

    # -- assistant threads -------------------------------------------------------------------------

    def _m_assistant_threads_setStatus(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel_id", "thread_ts")
        channel = self._channel(args["channel_id"])
        status = args.get("status") or ""
        if status:
            self.statuses[(channel, args["thread_ts"])] = status
            self.outputs.append(Output("status", None, text=status))
        else:
            self.statuses.pop((channel, args["thread_ts"]), None)
        return {}

    def _m_assistant_threads_setTitle(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel_id", "thread_ts", "title")
        return {}

    def _m_assistant_threads_setSuggestedPrompts(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel_id", "thread_ts", "prompts")
        return {}

    # -- views -------------------------------------------------------------------------------------

    def _trigger_user(self, trigger_id: str) -> str:
        found = self.triggers.pop(trigger_id, None)
        if found is None:
            raise SlackError("invalid_trigger_id")
        user, issued = found
        if time.monotonic() - issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return user

    def _store_view(self, view: dict[str, Any], user: str, view_id: str | None = None) -> dict[str, Any]:
        """Validate ``view`` like Slack and keep it (``invalid_arguments`` with Slack's messages)."""
        problems = view_problems(view)
        if problems:
            raise SlackError("invalid_arguments", extra={"response_metadata": {"messages": problems}})
        previous = self.views.get(view_id) if view_id else None
        stored = {
            "id": view_id or slack_id("V"),
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks") or [],
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close")),
            "notify_on_close": bool(view.get("notify_on_close")),
            "root_view_id": (previous or {}).get("root_view_id") or view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "external_id": view.get("external_id") or "",
            "bot_id": self.bot_id,
            "user": user,
        }
        for name in ("title", "submit", "close"):
            if name in view:
                stored[name] = view[name]
        if stored["root_view_id"] is None:
            stored["root_view_id"] = stored["id"]
        self.views[stored["id"]] = stored
        self._save("view", stored)
        return stored

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "trigger_id", "view")
        user = self._trigger_user(args["trigger_id"])
        stored = self._store_view(args["view"], user)
        self.modal_stacks.setdefault(user, []).append(stored["id"])
        self.outputs.append(Output("modal", user, view=stored))
        return {"view": _public_view(stored)}

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "trigger_id", "view")
        user = self._trigger_user(args["trigger_id"])
        if not self.modal_stacks.get(user):
            raise SlackError("not_found", "no modal is open to push onto")
        stored = self._store_view(args["view"], user)
        self.modal_stacks[user].append(stored["id"])
        self.outputs.append(Output("modal", user, view=stored))
        return {"view": _public_view(stored)}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "view")
        view_id = args.get("view_id") or next(
            (
                v["id"]
                for v in self.views.values()
                if args.get("external_id") and v.get("external_id") == args["external_id"]
            ),
            None,
        )
        if not view_id or view_id not in self.views:
            raise SlackError("not_found")
        old = self.views[view_id]
        if args.get("hash") and args["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(args["view"], old["user"], view_id)
        self.outputs.append(Output("modal_update" if stored["type"] == "modal" else "home", old["user"], view=stored))
        return {"view": _public_view(stored)}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "user_id", "view")
        if args["user_id"] not in self.users:
            raise SlackError("user_not_found")
        view = args["view"]
        if isinstance(view, dict) and view.get("type") != "home":
            raise SlackError(
                "invalid_arguments",
                extra={"response_metadata": {"messages": ["[ERROR] must be home [json-pointer:/view/type]"]}},
            )
        stored = self._store_view(view, args["user_id"], self.home_views.get(args["user_id"]))
        self.home_views[args["user_id"]] = stored["id"]
        self._save("home", {"user": args["user_id"], "view": stored["id"]})
        self.outputs.append(Output("home", args["user_id"], view=stored))
        return {"view": _public_view(stored)}

    # -- files -------------------------------------------------------------------------------------

    def _new_file(self, name: str, user: str, content: bytes | None) -> dict[str, Any]:
        file_id = slack_id("F")
        url = f"{self.url}/files/{file_id}/{quote(name)}"
        entry: dict[str, Any] = {
            "id": file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "filetype": (name.rsplit(".", 1)[-1].lower() if "." in name else "binary"),
            "pretty_type": (name.rsplit(".", 1)[-1].upper() if "." in name else "Binary"),
            "user": user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(content or b""),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": url,
            "permalink": f"https://emulator.invalid/files/{user}/{file_id}/{quote(name)}",
            "channels": [],
            "groups": [],
            "ims": [],
            "comments_count": 0,
            "content": content,
        }
        self.files[file_id] = entry
        return entry

    @staticmethod
    def _file_json(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if k != "content"}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "filename", "length")
        entry = self._new_file(str(args["filename"]), self.bot_user_id, None)
        entry["size"] = int(args["length"])
        return {"upload_url": f"{self.url}/upload/{entry['id']}", "file_id": entry["id"]}

    def _upload(self, file_id: str, raw: bytes) -> dict[str, Any]:
        with self._lock:
            entry = self.files.get(file_id)
            if entry is None:
                return {"ok": False, "error": "file_not_found"}
            entry.update(content=raw, size=len(raw))
        return {"ok": True}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "files")
        entries = []
        for item in args["files"]:
            entry = self.files.get(item.get("id", ""))
            if entry is None or entry.get("content") is None:
                raise SlackError("file_not_found", f"file {item.get('id')} was not uploaded")
            entries.append((entry, item))
        channel_id = args.get("channel_id") or args.get("channels")
        channel = self._conversation(channel_id) if channel_id else None
        done = []
        for entry, item in entries:
            entry["title"] = item.get("title") or entry["name"]
            if channel is not None:
                entry["ims" if channel.is_im else ("groups" if channel.is_private else "channels")].append(channel.id)
            self._save_file(entry)
            done.append(self._file_json(entry))
        if channel is not None:
            titles = ", ".join(f["title"] for f in done)
            message = Message(
                ts=self.new_ts(),
                channel=channel.id,
                user=self.bot_user_id,
                text=args.get("initial_comment") or "",
                thread_ts=args.get("thread_ts") or None,
                from_bot=True,
                files=done,
            )
            self._put_message(message)
            self._save_message(message)
            self.outputs.append(Output("file", None, message, text=titles))
        return {"files": [{"id": f["id"], "title": f["title"]} for f in done]}

    def add_file(self, name: str, content: bytes, user: str) -> dict[str, Any]:
        """A file a user shared (e.g. in a modal's file input); returns Slack's file object. Its
        ``url_private_download`` serves the bytes to requests with the bot token, as Slack does."""
        with self._lock:
            entry = self._new_file(name, user, content)
            self._save_file(entry)
            return self._file_json(entry)

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "file")
        entry = self.files.get(args["file"])
        if entry is None:
            raise SlackError("file_not_found")
        return {"file": self._file_json(entry), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _download(self, request: BaseHTTPRequestHandler, path: str) -> None:
        file_id = path.split("/", 1)[0]
        authorized = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip() == self.token
        if self.download_delay:
            time.sleep(self.download_delay)
        with self._lock:
            entry = self.files.get(file_id)
            self.calls.append(ApiCall("files.download", {"file": file_id}, {"ok": authorized and entry is not None}))
        status, body = (
            (200, entry.get("content") or b"")
            if authorized and entry
            else ((403, b"not authorized") if not authorized else (404, b"file not found"))
        )
        request.send_response(status)
        request.send_header("Content-Type", "application/octet-stream")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    # -- reactions ---------------------------------------------------------------------------------

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "timestamp", "name")
        if self.find_message(self._channel(args["channel"]), args["timestamp"]) is None:
            raise SlackError("message_not_found")
        return {}

    # -- response_url ------------------------------------------------------------------------------

    def _respond(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            target = self.response_targets.get(token)
            try:
                if target is None:
                    raise SlackError("expired_url")
                response = self._respond_to(target, args)
            except SlackError as exc:
                response = exc.response()
            self.calls.append(ApiCall("response_url", args, response))
            return response

    def _respond_to(self, target: ResponseTarget, args: dict[str, Any]) -> dict[str, Any]:
        original = self.find_message(target.channel, target.message_ts) if target.message_ts else None
        if args.get("delete_original") and original is not None:
            self._drop_message(original.channel, original.ts)
            self._save("delete_message", {"channel": original.channel, "ts": original.ts})
            self.outputs.append(Output("delete", original.ephemeral_to, original))
            return {"ok": True}
        self._check_message(args)
        if args.get("replace_original") and original is not None:
            original.text = args.get("text") or ""
            original.blocks = list(args.get("blocks") or [])
            self._save_message(original)
            self.outputs.append(Output("update", original.ephemeral_to, original))
            return {"ok": True}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        in_channel = args.get("response_type") == "in_channel"
        message = Message(
            ts=self.new_ts(),
            channel=target.channel,
            user=self.bot_user_id,
            text=args.get("text") or "",
            blocks=list(args.get("blocks") or []),
            thread_ts=args.get("thread_ts") or None,
            ephemeral_to=None if in_channel else target.user,
            from_bot=True,
        )
        self._put_message(message)
        self._save_message(message)
        self.outputs.append(Output("message" if in_channel else "ephemeral", message.ephemeral_to, message))
        return {"ok": True}


def _public_view(stored: dict[str, Any]) -> dict[str, Any]:
    """A view as Slack's API returns it (without the emulator's own ``user`` field)."""
    return {k: v for k, v in stored.items() if k != "user"}


def exc_detail(response: dict[str, Any]) -> str:
    messages = (response.get("response_metadata") or {}).get("messages") or []
    return ("; ".join(messages) or str(response.get("detail") or ""))[:500]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _chunk_text(args: dict[str, Any]) -> str:
    text = args.get("markdown_text") or ""
    for chunk in args.get("chunks") or []:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            text += chunk.get("text") or ""
    return text
