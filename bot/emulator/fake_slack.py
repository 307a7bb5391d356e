"""An in-process fake of the Slack Web API: a real HTTP server on 127.0.0.1 that records every call.

The bot's ``WebClient`` points its ``base_url`` here, and the emulated payloads' ``response_url``
points here too, so everything the bot says goes through real HTTP with the real SDK. The fake keeps
the state a user would see (messages, ephemeral messages, modals, home tabs, thread status, streams,
files) and answers like Slack does: ``{"ok": true, ...}`` with realistic fields, or
``{"ok": false, "error": "..."}`` for bad input (unknown channel, missing argument, expired trigger).
"""

from __future__ import annotations

import itertools
import json
import logging
import mimetypes
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

logger = logging.getLogger(__name__)

#: Arguments the SDK sends as JSON strings in form-encoded calls.
_JSON_ARGS = {"blocks", "attachments", "view", "chunks", "files", "metadata", "users"}


class SlackError(Exception):
    """A Web API call Slack would refuse: becomes ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


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


class FakeSlack:
    """The fake workspace's Web API. Start it, point a ``WebClient`` at :attr:`base_url`, read :attr:`calls`."""

    def __init__(
        self,
        *,
        token: str,
        team_id: str = "T0EMULATOR",
        team_name: str = "Crewbot Emulator",
        bot_user_id: str = "UCREWBOT",
        bot_id: str = "BCREWBOT",
        app_id: str = "ACREWBOT",
        bot_name: str = "crewbot",
        trigger_ttl: float = 3.0,
    ):
        self.token = token
        #: Seconds a trigger_id stays valid (Slack: 3), so a slow modal-opening handler fails here too.
        self.trigger_ttl = trigger_ttl
        self.team_id, self.team_name = team_id, team_name
        self.bot_user_id, self.bot_id, self.app_id, self.bot_name = bot_user_id, bot_id, app_id, bot_name
        self.calls: list[ApiCall] = []
        self.outputs: list[Output] = []
        self.messages: list[Message] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.statuses: dict[tuple[str, str], str] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, tuple[str, float]] = {}
        self.response_targets: dict[str, ResponseTarget] = {}
        #: Methods to refuse with the given error code (to exercise a caller's fallbacks), by method name.
        self.refuse: dict[str, str] = {}
        #: The token's scopes, sent as Slack does in the ``x-oauth-scopes`` header of Web API answers (None: not sent).
        self.scopes: list[str] | None = None
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
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

    # -- workspace set-up (used by the payload builder) -------------------------------------------

    def add_user(self, user_id: str, name: str, *, is_admin: bool = False, is_bot: bool = False) -> dict[str, Any]:
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
            return user

    def dm_channel(self, user_id: str) -> str:
        """The id of the DM between ``user_id`` and the bot."""
        return "D" + user_id[1:]

    def new_ts(self) -> str:
        """A message timestamp: unique and increasing, like Slack's."""
        with self._lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
            return f"{now:.6f}"

    def new_trigger(self, user_id: str) -> str:
        with self._lock:
            trigger = f"{next(self._ids)}.{secrets.token_hex(6)}"
            self.triggers[trigger] = (user_id, time.monotonic())
            return trigger

    def new_response_url(self, channel: str, user: str, message_ts: str | None = None) -> str:
        with self._lock:
            token = secrets.token_urlsafe(12)
            self.response_targets[token] = ResponseTarget(channel, user, message_ts)
            return f"{self.url}/response/{token}"

    def restore_message(self, message: Message) -> None:
        """Put back a message a previous emulator process saw (a DM thread's root), without showing it."""
        with self._lock:
            self._last_ts = max(self._last_ts, float(message.ts))
            self.messages.append(message)

    def add_user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> Message:
        """Record a message a (human) user sent, as the event the emulator delivers describes it."""
        message = Message(ts=self.new_ts(), channel=channel, user=user, text=text, thread_ts=thread_ts)
        with self._lock:
            self.messages.append(message)
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
            self.messages.append(message)
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

    def visible_messages(self, user_id: str) -> list[Message]:
        """Messages ``user_id`` can see, oldest first."""
        with self._lock:
            return [m for m in self.messages if m.ephemeral_to in (None, user_id)]

    def find_message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            for message in self.messages:
                if message.channel == channel and message.ts == ts:
                    return message
        return None

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
            request.send_header("x-oauth-scopes", ",".join(self.scopes))
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
            if authorization.removeprefix("Bearer ").strip() != self.token and args.get("token") != self.token:
                raise SlackError("invalid_auth" if authorization or args.get("token") else "not_authed")
            if handler is None:
                raise SlackError("unknown_method", f"the emulator does not implement {method}")
            if method in self.refuse:
                raise SlackError(self.refuse[method])
            with self._lock:
                response = {"ok": True, **handler(args)}
        except SlackError as exc:
            response = {"ok": False, "error": exc.code}
            if exc.detail:
                response["detail"] = exc.detail
        with self._lock:
            self.calls.append(ApiCall(method, args, response))
        if not response["ok"]:
            logger.info("fake slack: %s refused: %s", method, response.get("error"))
        return response

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _need(args: dict[str, Any], *names: str) -> None:
        for name in names:
            if args.get(name) in (None, ""):
                raise SlackError("invalid_arguments", f"missing required argument {name!r}")

    def _channel(self, value: str) -> str:
        # Posting to a user id posts into the DM with that user, as in Slack.
        if value.startswith(("U", "W")):
            if value not in self.users:
                raise SlackError("channel_not_found")
            return self.dm_channel(value)
        if not value.startswith(("C", "D", "G")):
            raise SlackError("channel_not_found")
        return value

    def _bot_message(
        self, channel: str, args: dict[str, Any], *, ts: str | None = None, ephemeral_to: str | None = None
    ) -> Message:
        text, blocks = args.get("text") or "", args.get("blocks") or []
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        message = Message(
            ts=ts or self.new_ts(),
            channel=channel,
            user=self.bot_user_id,
            text=text,
            blocks=list(blocks),
            thread_ts=args.get("thread_ts") or None,
            ephemeral_to=ephemeral_to,
            from_bot=True,
        )
        self.messages.append(message)
        return message

    def _message_json(self, message: Message) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
        }
        if message.from_bot:
            data.update(bot_id=self.bot_id, app_id=self.app_id)
        if message.blocks:
            data["blocks"] = message.blocks
        if message.thread_ts:
            data["thread_ts"] = message.thread_ts
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
            "app_id": self.app_id,
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
        return {"channel": {"id": self._channel(ids[0]), "is_im": True, "user": ids[0]}}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel")
        channel = self._channel(args["channel"])
        return {"channel": {"id": channel, "is_im": channel.startswith("D"), "name": channel.lower()}}

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
        if args.get("thread_ts") and not any(m.channel == channel and m.ts == args["thread_ts"] for m in self.messages):
            raise SlackError("thread_not_found")
        message = self._bot_message(channel, args)
        self._clear_status(channel, message.thread_ts)
        self.outputs.append(Output("message", None, message))
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "user")
        channel = self._channel(args["channel"])
        if args["user"] not in self.users:
            raise SlackError("user_not_in_channel")
        message = self._bot_message(channel, args, ephemeral_to=args["user"])
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
        if "text" in args:
            message.text = args.get("text") or ""
        if "blocks" in args:
            message.blocks = list(args.get("blocks") or [])
        self.outputs.append(Output("update", message.ephemeral_to, message))
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": self._message_json(message)}

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "ts")
        channel = self._channel(args["channel"])
        message = self.find_message(channel, args["ts"])
        if message is None:
            raise SlackError("message_not_found")
        self.messages.remove(message)
        self.outputs.append(Output("delete", message.ephemeral_to, message))
        return {"channel": channel, "ts": message.ts}

    def _m_chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "channel", "thread_ts")
        channel = self._channel(args["channel"])
        message = Message(
            ts=self.new_ts(),
            channel=channel,
            user=self.bot_user_id,
            text=_chunk_text(args),
            thread_ts=args["thread_ts"],
            from_bot=True,
            streaming=True,
        )
        self.messages.append(message)
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
        if not isinstance(view, dict) or view.get("type") not in {"modal", "home"}:
            raise SlackError("invalid_arguments", "view must be a modal or home view")
        if view["type"] == "modal" and not (view.get("title") or {}).get("text"):
            raise SlackError("invalid_arguments", "a modal needs a title")
        stored = {
            **view,
            "id": view_id or f"V{next(self._ids):08d}",
            "team_id": self.team_id,
            "user": user,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "state": {"values": {}},
            "hash": secrets.token_hex(8),
        }
        self.views[stored["id"]] = stored
        return stored

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "trigger_id", "view")
        user = self._trigger_user(args["trigger_id"])
        stored = self._store_view(args["view"], user)
        self.modal_stacks.setdefault(user, []).append(stored["id"])
        self.outputs.append(Output("modal", user, view=stored))
        return {"view": stored}

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "trigger_id", "view")
        user = self._trigger_user(args["trigger_id"])
        if not self.modal_stacks.get(user):
            raise SlackError("not_found", "no modal is open to push onto")
        stored = self._store_view(args["view"], user)
        self.modal_stacks[user].append(stored["id"])
        self.outputs.append(Output("modal", user, view=stored))
        return {"view": stored}

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
        return {"view": stored}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "user_id", "view")
        if args["user_id"] not in self.users:
            raise SlackError("user_not_found")
        stored = self._store_view(args["view"], args["user_id"], self.home_views.get(args["user_id"]))
        self.home_views[args["user_id"]] = stored["id"]
        self.outputs.append(Output("home", args["user_id"], view=stored))
        return {"view": stored}

    # -- files -------------------------------------------------------------------------------------

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "filename", "length")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "title": args["filename"],
            "size": int(args["length"]),
            "uploaded": False,
        }
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, raw: bytes) -> dict[str, Any]:
        with self._lock:
            entry = self.files.get(file_id)
            if entry is None:
                return {"ok": False, "error": "file_not_found"}
            entry.update(uploaded=True, content=raw, size=len(raw))
        return {"ok": True}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "files")
        done = []
        for item in args["files"]:
            entry = self.files.get(item.get("id", ""))
            if entry is None or not entry.get("uploaded"):
                raise SlackError("file_not_found", f"file {item.get('id')} was not uploaded")
            entry["title"] = item.get("title") or entry["name"]
            done.append({k: v for k, v in entry.items() if k != "content"})
        channel = args.get("channel_id") or args.get("channels")
        if channel:
            titles = ", ".join(f["title"] for f in done)
            message = Message(
                ts=self.new_ts(),
                channel=self._channel(channel),
                user=self.bot_user_id,
                text=args.get("initial_comment") or "",
                thread_ts=args.get("thread_ts") or None,
                from_bot=True,
                files=done,
            )
            self.messages.append(message)
            self.outputs.append(Output("file", None, message, text=titles))
        return {"files": done}

    def add_file(self, name: str, content: bytes, user: str) -> dict[str, Any]:
        """A file a user shared (e.g. in a modal's file input); returns Slack's file object. Its
        ``url_private_download`` serves the bytes to requests with the bot token, as Slack does."""
        with self._lock:
            file_id = f"F{next(self._ids):08d}"
            url = f"{self.url}/files/{file_id}/{quote(name)}"
            self.files[file_id] = {
                "id": file_id,
                "name": name,
                "title": name,
                "user": user,
                "size": len(content),
                "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                "url_private": url,
                "url_private_download": url,
                "uploaded": True,
                "content": content,
            }
            return {k: v for k, v in self.files[file_id].items() if k != "content"}

    def _m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need(args, "file")
        entry = self.files.get(args["file"])
        if entry is None:
            raise SlackError("file_not_found")
        return {"file": {k: v for k, v in entry.items() if k != "content"}}

    def _download(self, request: BaseHTTPRequestHandler, path: str) -> None:
        file_id = path.split("/", 1)[0]
        authorized = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip() == self.token
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
            response = {"ok": False, "error": "expired_url"} if target is None else self._respond_to(target, args)
            self.calls.append(ApiCall("response_url", args, response))
            return response

    def _respond_to(self, target: ResponseTarget, args: dict[str, Any]) -> dict[str, Any]:
        original = self.find_message(target.channel, target.message_ts) if target.message_ts else None
        if args.get("delete_original") and original is not None:
            self.messages.remove(original)
            self.outputs.append(Output("delete", original.ephemeral_to, original))
            return {"ok": True}
        if args.get("replace_original") and original is not None:
            original.text = args.get("text") or ""
            original.blocks = list(args.get("blocks") or [])
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
        self.messages.append(message)
        self.outputs.append(Output("message" if in_channel else "ephemeral", message.ephemeral_to, message))
        return {"ok": True}


def _chunk_text(args: dict[str, Any]) -> str:
    text = args.get("markdown_text") or ""
    for chunk in args.get("chunks") or []:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            text += chunk.get("text") or ""
    return text
