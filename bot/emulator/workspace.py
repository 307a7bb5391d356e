"""The local Slack emulator: a fake workspace wired to Crewbot through the Lambda request handler.

:class:`Emulator` plays Slack for one runtime. What a user does (a DM, a slash command, a button
press, a modal submission, opening the home tab) becomes a real, signed Slack payload delivered to
Bolt's ``SlackRequestHandler`` exactly as API Gateway would deliver it to the Lambda; lazy listeners
re-invoke the handler on background threads (as Lambda does); the bot's Web API calls and
``response_url`` posts go to :class:`~bot.emulator.fake_slack.FakeSlack`. Every action waits until
the lazy work it started has finished, so what it returns (the :class:`Turn`) is deterministic.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.emulator.blockkit import iter_buttons, render_message, render_view
from bot.emulator.errors import EmulatorError
from bot.emulator.fake_slack import FakeSlack, Message, Output
from bot.emulator.lambda_client import LocalLambdaClient
from bot.emulator.payloads import EventFormat, LambdaContext, PayloadBuilder, lambda_event, sign
from bot.slack.client import install_slack_client

if TYPE_CHECKING:
    from bot.runtime import Crewbot
    from bot.slack.conversation import ConversationHandler

DEFAULT_USER = "dev"
ADMIN_USER = "admin"
GENERAL_CHANNEL = "C0GENERAL"
#: A public channel the bot is not in (it can join), and a private one (it must be invited).
RANDOM_CHANNEL = "C00RANDOM"
PRIVATE_CHANNEL = "C0PRIVATE"

logger = logging.getLogger(__name__)


class _ErrorCollector(logging.Handler):
    """Collects the errors Crewbot's Slack layer logs (a crashed handler), so a script line can fail."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.messages.append(record.getMessage())

    def take(self) -> list[str]:
        with self._guard:
            taken, self.messages = self.messages, []
        return taken


@dataclass
class Turn:
    """What one user action produced."""

    status: int
    outputs: list[Output] = field(default_factory=list)
    #: The HTTP response body Crewbot acknowledged with.
    body: str = ""
    #: Everything the bot showed, as plain text (what ``expect`` matches against).
    text: str = ""


def signing_secret_for(home: Path) -> str:
    """The emulator's signing secret for this data directory: generated once, kept private."""
    path = home / "emulator" / "signing_secret"
    if path.is_file():
        value = path.read_text().strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    return value


def user_id_for(name: str) -> str:
    """A stable Slack-looking user id for an emulator user name (``alice`` → ``UALICE``)."""
    cleaned = re.sub(r"[^A-Z0-9]", "", name.upper())
    if not cleaned:
        raise EmulatorError(f"user name {name!r} needs at least one letter or digit")
    return "U" + cleaned[:20]


class Emulator:
    """A fake Slack workspace driving one Crewbot runtime."""

    def __init__(
        self,
        crewbot: Crewbot,
        *,
        conversations: ConversationHandler | None = None,
        event_format: EventFormat = "http_api",
        owns_runtime: bool = False,
    ):
        from bot.entrypoints.slack import build_request_handler, invoke
        from bot.events.ticker import attach_local_time

        self.crewbot = crewbot
        self.owns_runtime = owns_runtime
        self.event_format: EventFormat = event_format
        self.signing_secret = signing_secret_for(crewbot.home)
        from bot.slack.manifest import derive_scopes

        # The workspace (users, channels, messages, files, views) lives in CREWBOT_HOME, so a restarted
        # emulator shows every message, and every button on them still works. The bot has the scopes
        # its manifest asks for, no more: a Web API call the manifest does not cover fails here.
        self.fake = FakeSlack(
            token="xoxb-emulator-" + secrets.token_hex(12),
            bot_name=crewbot.config.project,
            scopes=derive_scopes(crewbot).scopes,
            state_dir=crewbot.home / "emulator",
        ).start()
        self._add_channels()
        self.payloads = PayloadBuilder(team_id=self.fake.team_id, api_app_id=self.fake.app_id)
        self.client = WebClient(token=self.fake.token, base_url=self.fake.base_url)
        # Work outside a Slack request (schedules, workflows) posts through the runtime's client.
        install_slack_client(crewbot, self.client)
        if conversations is not None:
            # The given handler replaces the agent runtime everywhere (DMs and `/crewbot reset`).
            crewbot.__dict__["conversations"] = conversations
        self.lambda_client = LocalLambdaClient(context_factory=LambdaContext)
        self.request_handler = build_request_handler(
            crewbot,
            signing_secret=self.signing_secret,
            client=self.client,
            lambda_client=self.lambda_client,
            conversations=conversations,
        )
        self.lambda_client.target = lambda event, context: invoke(self.request_handler, event, context)
        # Workflow waits, timeouts and schedules follow the emulator's clock: `advance` runs what fell due.
        attach_local_time(crewbot)
        self._errors = _ErrorCollector()
        logging.getLogger("bot.slack").addHandler(self._errors)
        self.names: dict[str, str] = {}
        self.admin_id = self._admin_id()
        # Each user's current DM thread is kept in CREWBOT_HOME, so a restarted `crewbot dev` continues
        # the same conversation (and the agent session behind it) instead of starting a new one.
        self._threads_file = crewbot.home / "emulator" / "dm-threads.json"
        self.threads: dict[str, str] = self._load_threads()
        self.current_user = self.user(DEFAULT_USER)
        self._seen = 0

    @classmethod
    def start(
        cls,
        home: str | Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        extra_plugins: Iterable[tuple[str, Any]] = (),
        config_file: str | Path | None = None,
        env: str | None = None,
        conversations: ConversationHandler | None = None,
    ) -> Emulator:
        """Start a runtime (``runtime: local``; ``home`` overrides ``CREWBOT_HOME``) and its emulator."""
        from bot.runtime import start

        values = dict(os.environ if environ is None else environ)
        if home is not None:
            values["CREWBOT_HOME"] = str(home)
        values["CREWBOT_RUNTIME"] = "local"
        crewbot = start(
            env=env, config_file=config_file, environ=values, extra_plugins=extra_plugins, setup_logging=False
        )
        return cls(crewbot, conversations=conversations, owns_runtime=True)

    def close(self) -> None:
        self.wait()
        logging.getLogger("bot.slack").removeHandler(self._errors)
        self.lambda_client.shutdown()
        self.fake.stop()
        if self.owns_runtime:
            self.crewbot.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- users and channels ----------------------------------------------------------------------

    def _add_channels(self) -> None:
        # Besides #general (everybody, the bot too): a public channel the bot has not joined, and a
        # private one it is not in, as a real workspace has.
        self.fake.add_channel(RANDOM_CHANNEL, "random")
        self.fake.add_channel(PRIVATE_CHANNEL, "private", is_private=True)

    def _join_channels(self, user_id: str) -> None:
        for channel in (RANDOM_CHANNEL, PRIVATE_CHANNEL):
            if user_id not in self.fake.channels[channel].members:
                self.fake.join(channel, user_id)

    def _admin_id(self) -> str:
        admins = self.crewbot.config.slack.admins
        if not admins:
            # The emulated workspace always has an admin: added to this process's configuration only.
            admins.append(user_id_for(ADMIN_USER))
        self.names[ADMIN_USER] = admins[0]
        self.fake.add_user(admins[0], ADMIN_USER, is_admin=True)
        self._join_channels(admins[0])
        return admins[0]

    def user(self, name: str) -> str:
        """The id of emulator user ``name``, created on first use (``admin`` is the configured admin)."""
        name = name.strip().lstrip("@")
        if name in self.names:
            return self.names[name]
        user_id = user_id_for(name)
        self.names[name] = user_id
        self.fake.add_user(user_id, name)
        self._join_channels(user_id)
        return user_id

    def act_as(self, name: str) -> str:
        self.current_user = self.user(name)
        return self.current_user

    def user_name(self, user_id: str) -> str:
        user = self.fake.users.get(user_id)
        return str(user["name"]) if user else user_id

    @property
    def current_name(self) -> str:
        return self.user_name(self.current_user)

    # -- delivery ------------------------------------------------------------------------------

    def deliver(
        self,
        body: str,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        timestamp: int | None = None,
        signed: bool = True,
        base64_body: bool = False,
        wait: bool = True,
    ) -> dict[str, Any]:
        """Send one HTTP request to the Lambda handler, signed with the emulator's secret; wait for the
        lazy work it started (unless ``wait`` is False); return the Lambda's HTTP response."""
        all_headers = dict(sign(self.signing_secret, body, timestamp)) if signed else {}
        all_headers.update(headers or {})
        event = lambda_event(body, content_type, all_headers, fmt=self.event_format, base64_body=base64_body)
        from bot.entrypoints.slack import invoke

        response: dict[str, Any] = invoke(self.request_handler, event, LambdaContext())
        if wait:
            self.wait()
        return response

    def wait(self) -> None:
        """Wait for the lazy listeners and the queue workers, and for what each starts in the other."""
        workers = self.crewbot.queues.workers
        while True:
            if not self.lambda_client.wait():
                raise EmulatorError("background handlers did not finish within 2 minutes")
            if workers is None or workers.idle():
                return
            if not workers.wait():
                raise EmulatorError("queue workers did not finish within 2 minutes")

    def _take(self, response: dict[str, Any]) -> Turn:
        status = int(response.get("statusCode", 0))
        if status != 200:
            raise EmulatorError(f"Crewbot answered HTTP {status}: {response.get('body')!s}"[:300])
        outputs = self.new_outputs()
        return Turn(status, outputs, str(response.get("body") or ""), self.last_output_text(outputs))

    def take_errors(self) -> list[str]:
        """Errors Crewbot logged while handling what the users did, since the last call."""
        return self._errors.take()

    def new_outputs(self) -> list[Output]:
        """What the bot showed since the last call."""
        with self.fake._lock:
            outputs = self.fake.outputs[self._seen :]
            self._seen = len(self.fake.outputs)
        return outputs

    # -- DM threads that survive a restart -------------------------------------------------------

    def _load_threads(self) -> dict[str, str]:
        try:
            self._roots: dict[str, dict[str, str]] = json.loads(self._threads_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self._roots = {}
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable %s (%s): DMs start new threads", self._threads_file, exc)
            self._roots = {}
        for user, root in self._roots.items():
            self.fake.restore_message(Message(ts=root["ts"], channel=root["channel"], user=user, text=root["text"]))
        return {user: root["ts"] for user, root in self._roots.items()}

    def _save_threads(self) -> None:
        self._threads_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._threads_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._roots, indent=1), encoding="utf-8")
        temporary.replace(self._threads_file)

    def _save_thread_root(self, message: Message) -> None:
        self._roots[message.user] = {"ts": message.ts, "channel": message.channel, "text": message.text}
        self._save_threads()

    def new_thread(self) -> None:
        """The current user's next DM starts a new thread (a fresh conversation)."""
        self.threads.pop(self.current_user, None)
        if self._roots.pop(self.current_user, None) is not None:
            self._save_threads()

    # -- what users do -------------------------------------------------------------------------

    def dm(self, text: str, *, new_thread: bool = False, event_id: str | None = None, retry: int | None = None) -> Turn:
        """The current user sends ``text`` to Crewbot in their DM (continuing their current thread)."""
        user = self.current_user
        channel = self.fake.dm_channel(user)
        thread = None if new_thread else self.threads.get(user)
        message = self.fake.add_user_message(channel, user, text, thread_ts=thread)
        if thread is None:
            self.threads[user] = message.ts
            self._save_thread_root(message)
        event: dict[str, Any] = {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "team": self.fake.team_id,
            "client_msg_id": secrets.token_hex(8),
        }
        if thread:
            event["thread_ts"] = thread
        return self.send_event(event, event_id=event_id, retry=retry)

    def mention(self, text: str, channel: str = GENERAL_CHANNEL) -> Turn:
        """The current user mentions Crewbot in a channel (a channel not yet in the workspace is created
        with Crewbot and the user in it; Slack delivers mentions only from channels the bot is in)."""
        known = self.fake.channels.get(channel)
        if known is None:
            self.fake.add_channel(channel, channel.lower(), members=[self.fake.bot_user_id, self.current_user])
        elif self.fake.bot_user_id not in known.members:
            raise EmulatorError(f"Crewbot is not in #{known.name}: Slack would not deliver the mention (/invite it)")
        elif self.current_user not in known.members:
            self.fake.join(channel, self.current_user)
        body = f"<@{self.fake.bot_user_id}> {text}"
        message = self.fake.add_user_message(channel, self.current_user, body)
        event = {
            "type": "app_mention",
            "channel": channel,
            "user": self.current_user,
            "text": body,
            "ts": message.ts,
            "event_ts": message.ts,
            "team": self.fake.team_id,
        }
        return self.send_event(event)

    def open_home(self) -> Turn:
        """The current user opens Crewbot's home tab."""
        user = self.current_user
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.fake.dm_channel(user),
            "tab": "home",
            "event_ts": self.fake.new_ts(),
        }
        return self.send_event(event)

    def send_event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Turn:
        """Deliver an Events API event (``retry`` adds Slack's redelivery headers)."""
        body, content_type = self.payloads.event_callback(
            event, event_id=event_id, authorized_user=self.fake.bot_user_id
        )
        headers = {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"} if retry else None
        return self._take(self.deliver(body, content_type, headers=headers))

    def command(self, line: str, channel: str | None = None) -> Turn:
        """The current user runs a slash command (``/crewbot help``) in their DM with Crewbot."""
        name, _, text = line.strip().partition(" ")
        if not name.startswith("/") or len(name) < 2:
            raise EmulatorError(f"{line!r} is not a slash command")
        user = self.current_user
        channel = channel or self.fake.dm_channel(user)
        body, content_type = self.payloads.slash_command(
            command=name,
            text=text.strip(),
            user_id=user,
            user_name=self.current_name,
            channel_id=channel,
            channel_name="directmessage" if channel.startswith("D") else channel.lower(),
            response_url=self.fake.new_response_url(channel, user),
            trigger_id=self.fake.new_trigger(user),
        )
        response = self.deliver(body, content_type)
        if int(response.get("statusCode", 0)) == 200 and response.get("body"):
            # Slack shows a slash command's acknowledgement body to the user, ephemerally.
            text_out, blocks = _ack_body(str(response["body"]))
            if text_out or blocks:
                self.fake.show_ephemeral(channel, user, text_out, blocks)
        return self._take(response)

    def click(self, label: str) -> Turn:
        """Press the button labelled ``label``: in the open modal, else on the newest message that has
        one, else on the home tab."""
        wanted = label.strip().strip('"').casefold()
        user = self.current_user
        modal = self.fake.open_modal(user)
        if modal is not None:
            found = _button(modal.get("blocks") or [], wanted)
            if found:
                return self._press_in_view(modal, *found)
        for message in reversed(self.fake.visible_messages(user)):
            found = _button(message.blocks, wanted)
            if found:
                return self._press_on_message(message, *found)
        home_id = self.fake.home_views.get(user)
        if home_id is not None:
            found = _button(self.fake.views[home_id].get("blocks") or [], wanted)
            if found:
                return self._press_in_view(self.fake.views[home_id], *found)
        # A button on a message this user cannot see (another user's DM): in Slack only a forged request
        # could press it. Allowed, to test the handlers' own checks, and said so in the transcript.
        with self.fake._lock:
            hidden = [m for m in reversed(self.fake.messages) if m.ephemeral_to is None and m.blocks]
        for message in hidden:
            found = _button(message.blocks, wanted)
            if found:
                turn = self._press_on_message(message, *found)
                note = f"{self.current_name} cannot see that message in Slack; the press was sent as a forged request"
                turn.outputs.insert(0, Output("notice", user, text=note))
                return turn
        raise EmulatorError(
            f"no button labelled {label.strip()!r} on any message" + (" or in the open modal" if modal else "")
        )

    def _press_on_message(self, message: Message, block: dict[str, Any], element: dict[str, Any]) -> Turn:
        user = self.current_user
        container = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": message.ephemeral_to is not None,
        }
        body, content_type = self.payloads.block_actions(
            user_id=user,
            user_name=self.current_name,
            action=element,
            block_id=block.get("block_id", ""),
            trigger_id=self.fake.new_trigger(user),
            container=container,
            response_url=self.fake.new_response_url(message.channel, user, message.ts),
            channel={"id": message.channel, "name": message.channel.lower()},
            message=self.fake._message_json(message),
        )
        return self._take(self.deliver(body, content_type))

    def _press_in_view(self, view: dict[str, Any], block: dict[str, Any], element: dict[str, Any]) -> Turn:
        user = self.current_user
        body, content_type = self.payloads.block_actions(
            user_id=user,
            user_name=self.current_name,
            action=element,
            block_id=block.get("block_id", ""),
            trigger_id=self.fake.new_trigger(user),
            container={"type": "view", "view_id": view["id"]},
            view=view,
        )
        return self._take(self.deliver(body, content_type))

    def submit(self, fields: Mapping[str, str]) -> Turn:
        """Submit the current user's open modal with ``fields`` (by block id, action id or label)."""
        user = self.current_user
        view = self.fake.open_modal(user)
        if view is None:
            raise EmulatorError("there is no open modal to submit")
        values = _form_values(view, fields, upload=lambda path: self._share_file(path, user))
        body, content_type = self.payloads.view_submission(
            user_id=user, user_name=self.current_name, view=view, values=values, trigger_id=self.fake.new_trigger(user)
        )
        # Slack applies the acknowledgement's response_action at once; lazy work started by the
        # submission (a views.update of the same modal, say) comes after it.
        response = self.deliver(body, content_type, wait=False)
        status = int(response.get("statusCode", 0))
        action = _ack_body_json(str(response.get("body") or "")) if status == 200 else {}
        kind = action.get("response_action")
        applied: list[Output] = []
        if kind == "errors":
            errors = action.get("errors") or {}
            applied.append(Output("form_errors", user, text="; ".join(f"{k}: {v}" for k, v in errors.items())))
        elif kind == "update" and isinstance(action.get("view"), dict):
            with self.fake._lock:
                stored = self.fake._store_view(action["view"], user, view["id"])
                self.fake.outputs.append(Output("modal_update", user, view=stored))
        elif kind == "push" and isinstance(action.get("view"), dict):
            with self.fake._lock:
                stored = self.fake._store_view(action["view"], user)
                self.fake.modal_stacks.setdefault(user, []).append(stored["id"])
                self.fake.outputs.append(Output("modal", user, view=stored))
        elif status == 200:
            self.fake.close_modals(user, all_views=kind == "clear")
        self.wait()
        turn = self._take(response)
        turn.outputs.extend(applied)
        turn.text = self.last_output_text(turn.outputs)
        return turn

    def _share_file(self, path: str, user: str) -> dict[str, Any]:
        """A local file shared by ``user`` in a modal's file input (``submit sow_file=docs/sow.pdf``)."""
        source = Path(path).expanduser()
        if not source.is_file():
            raise EmulatorError(f"no file {path!r} to share")
        return self.fake.add_file(source.name, source.read_bytes(), user)

    def advance(self, duration: str) -> list[Output]:
        """Move Crewbot's clock forward (``2h``, ``3d``) and run what became due."""
        from bot.clock import parse_duration

        # Time passes through each scheduled firing on the way, so what runs at 16:00 sees 16:00 (a
        # reminder is not "late" because the script jumped three days in one line).
        clock = self.crewbot.clock
        target = clock.now() + parse_duration(duration)
        next_due = getattr(self.crewbot.scheduler, "next_due", None)
        for _ in range(100_000):
            due = next_due() if callable(next_due) else None
            now = clock.now()
            if due is None or due >= target:
                break
            clock.advance(max(due - now, timedelta(0)))
            self.wait()
        clock.advance(max(target - clock.now(), timedelta(0)))
        self.wait()
        return self.new_outputs()

    def play(self, script: str) -> str:
        """Run an emulator script (see :mod:`bot.emulator.script`) and return its transcript; raise
        :class:`EmulatorError` with the transcript when a line fails."""
        import io
        import textwrap

        from bot.emulator.script import ScriptRunner

        out = io.StringIO()
        runner = ScriptRunner(self, out)
        runner.run(textwrap.dedent(script).splitlines())
        if runner.failures:
            raise EmulatorError("script failed:\n  " + "\n  ".join(runner.failures) + "\n" + out.getvalue())
        return out.getvalue()

    # -- rendering -----------------------------------------------------------------------------

    def render(self, outputs: Iterable[Output]) -> list[str]:
        """Transcript lines for ``outputs`` as the current user sees them."""
        lines: list[str] = []
        bot = self.crewbot.config.slack.app_name
        outputs = list(outputs)
        # A message posted, streamed or edited several times within one turn is shown once, as it ended.
        last = {id(o.message): i for i, o in enumerate(outputs) if o.message is not None}
        for i, output in enumerate(outputs):
            if output.message is not None and last[id(output.message)] != i:
                continue
            if not self.sees(output):
                continue
            lines.extend(_render_output(output, bot, self.user_name))
        return lines

    def sees(self, output: Output, user_id: str | None = None) -> bool:
        """Whether Slack shows ``output`` to ``user_id`` (default: the current user): their modals, home
        tab and ephemeral messages, and messages in conversations they are a member of."""
        user_id = user_id or self.current_user
        if output.kind == "form_errors":
            return True
        if output.user is not None:
            return output.user == user_id
        if output.message is not None:
            with self.fake._lock:
                return self.fake.can_see(user_id, output.message)
        return True

    def last_output_text(self, outputs: list[Output]) -> str:
        """What ``expect`` matches: the outputs the current user sees, as plain text."""
        return "\n".join(_render_output_plain(o, self.user_name) for o in outputs if self.sees(o))


def _render_output(output: Output, bot: str, user_name: Any) -> list[str]:
    message = output.message
    if output.kind == "status":
        return [f"  ({bot} is {output.text.rstrip('.…')}…)"]
    if output.kind == "form_errors":
        return [f"  ✗ form errors: {output.text}"]
    if output.kind == "notice":
        return [f"  (note: {output.text})"]
    if output.kind in {"modal", "modal_update", "home"} and output.view is not None:
        prefix = {"modal": "", "modal_update": "(modal updated) ", "home": ""}[output.kind]
        lines = render_view(output.view, user_name)
        return [f"  {prefix}{line}" if i == 0 else f"  {line}" for i, line in enumerate(lines)]
    if message is None:
        return []
    if output.kind == "delete":
        return [f"  ({bot} deleted a message)"]
    label = {
        "ephemeral": f"{bot} (only you)",
        "update": f"{bot} (edited)",
        "stream": f"{bot} (streaming)",
        "file": f"{bot} (file)",
    }.get(output.kind, bot)
    if message.thread_ts:
        label += " [thread]"
    body = render_message(message.text, message.blocks, user_name)
    if output.kind == "file":
        body = [line for line in body if line] + [f"📎 {f.get('title')}" for f in message.files]
    lines = [f"{label}: {body[0] if body else ''}"] + [f"    {line}" for line in body[1:]]
    return lines


def _render_output_plain(output: Output, user_name: Any) -> str:
    if output.view is not None:
        return "\n".join(render_view(output.view, user_name))
    if output.message is not None:
        text = "\n".join(render_message(output.message.text, output.message.blocks, user_name))
        return text + "".join(f"\n{f.get('title')}" for f in output.message.files)
    return output.text


def _button(blocks: list[dict[str, Any]], wanted: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for block, element in iter_buttons(blocks):
        text = element.get("text") or {}
        if str(text.get("text", "")).strip().casefold() == wanted:
            return block, element
    return None


def _ack_body(body: str) -> tuple[str, list[dict[str, Any]]]:
    data = _ack_body_json(body)
    if data:
        return str(data.get("text") or ""), list(data.get("blocks") or [])
    return body, []


def _ack_body_json(body: str) -> dict[str, Any]:
    import json

    if not body.startswith("{"):
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _form_values(
    view: dict[str, Any], fields: Mapping[str, str], upload: Callable[[str], dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """``view.state.values`` for a submission, mapping each given field to its input block."""
    inputs = [b for b in view.get("blocks") or [] if b.get("type") == "input"]
    remaining = {k.casefold(): (k, v) for k, v in fields.items()}
    values: dict[str, dict[str, Any]] = {}
    for block in inputs:
        element = block.get("element") or {}
        label = str((block.get("label") or {}).get("text", ""))
        names = {
            str(block.get("block_id", "")).casefold(),
            str(element.get("action_id", "")).casefold(),
            label.casefold(),
        }
        match = next((key for key in remaining if key in names), None)
        if match is None:
            if not block.get("optional"):
                raise EmulatorError(f"field {block.get('block_id') or label!r} ({label}) is required")
            given = None
        else:
            given = remaining.pop(match)[1]
        if element.get("type") == "file_input" and upload is not None:
            value: dict[str, Any] = {"type": "file_input", "files": [upload(given)] if given else []}
        else:
            value = _element_value(element, given)
        values[str(block.get("block_id", ""))] = {str(element.get("action_id", "")): value}
    if remaining:
        known = ", ".join(str(b.get("block_id")) for b in inputs) or "none"
        unknown = ", ".join(original for original, _ in remaining.values())
        raise EmulatorError(f"the modal has no field {unknown} (fields: {known})")
    return values


def _element_value(element: dict[str, Any], given: str | None) -> dict[str, Any]:
    kind = element.get("type", "plain_text_input")
    if kind in {"static_select", "radio_buttons"}:
        option = None
        if given is not None:
            option = next(
                (
                    o
                    for o in element.get("options") or []
                    if given.casefold()
                    in {str(o.get("value", "")).casefold(), str((o.get("text") or {}).get("text", "")).casefold()}
                ),
                None,
            )
            if option is None:
                raise EmulatorError(f"{given!r} is not one of the options of {element.get('action_id')}")
        return {"type": kind, "selected_option": option}
    if kind == "checkboxes":
        chosen = [p.strip().casefold() for p in (given or "").split(",") if p.strip()]
        options = [
            o
            for o in element.get("options") or []
            if {str(o.get("value", "")).casefold(), str((o.get("text") or {}).get("text", "")).casefold()} & set(chosen)
        ]
        return {"type": kind, "selected_options": options}
    if kind == "datepicker":
        return {"type": kind, "selected_date": given}
    if kind == "timepicker":
        return {"type": kind, "selected_time": given}
    if kind == "users_select":
        return {"type": kind, "selected_user": given}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": given}
    if kind == "number_input":
        return {"type": kind, "value": given}
    return {"type": kind, "value": given}
