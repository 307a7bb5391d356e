"""The routing snapshot: the app built from it routes and acknowledges every registration as the full app
does, hands the work to the real registrations, loads no plugin or configuration model before an
acknowledgement, and is not used (or given up) when it does not fit."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest, BoltResponse

import bot.slack.snapshot as snapshot_module
from bot import hookimpl
from bot.emulator import Emulator
from bot.emulator.payloads import LambdaContext, lambda_event, sign
from bot.entrypoints import slack as entry
from bot.slack.app import SlackFrontDoor
from bot.slack.registry import Action, Shortcut, SlackEvent, ViewSubmission
from bot.slack.snapshot import (
    RoutingSnapshot,
    SnapshotError,
    SnapshotFrontDoor,
    build_snapshot,
    load_for_environment,
    packaged_snapshot,
    read_secret,
    read_secrets,
)
from tests.slack.conftest import DemoPlugin, RecordingConversations

REPO = Path(__file__).resolve().parents[2]


class MorePlugin:
    """Registrations the demo plugin lacks: an eager button, a pattern overlapping an eager id, a view
    with a lazy part, a lazy shortcut."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def now(self, ack: Any) -> None:
        ack()
        self.ran.append("now")

    def overlap(self) -> None:
        self.ran.append("overlap")

    def checked(self, ack: Any) -> None:
        ack(response_action="update", view={"type": "modal", "title": {"type": "plain_text", "text": "Working"}})

    def later(self) -> None:
        self.ran.append("later")

    def quick(self) -> None:
        self.ran.append("quick")

    @hookimpl
    def register_actions(self) -> list[Any]:
        return [
            Action("more_now", self.now, lazy=False),
            Action(r"^more_", self.overlap, regex=True),  # `more_now` is registered first: it stays eager
            ViewSubmission("more_form", self.checked, lazy=self.later),
            Shortcut("more_quick", "Quick", "A lazy shortcut", self.quick, lazy=True),
        ]


class MessagePlugin:
    """A plugin that takes ``message`` events: the built-in DM route steps aside."""

    @hookimpl
    def register_actions(self) -> list[Any]:
        return [SlackEvent("message", lambda event: None, scopes=("im:history",))]


class Recorder:
    """A Lambda client that records lazy invocations instead of running them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, int]:
        self.events.append(json.loads(kwargs["Payload"]))
        return {"StatusCode": 202}


@pytest.fixture
def more() -> MorePlugin:
    return MorePlugin()


@pytest.fixture
def full_emu(crewbot_emulator_factory: Any, demo: DemoPlugin, more: MorePlugin, conversations: Any) -> Emulator:
    """Every built-in plugin, the demo plugin and :class:`MorePlugin`."""
    return crewbot_emulator_factory(plugins=[("demo", demo), ("more", more)], conversations=conversations)


def _full_door(emu: Emulator, conversations: Any = None) -> SlackFrontDoor:
    return SlackFrontDoor(
        emu.crewbot, signing_secret=emu.signing_secret, client=emu.client, conversations=conversations
    )


def _snapshot_handler(emu: Emulator, lambda_client: Any, conversations: Any = None, snapshot: Any = None) -> Any:
    handler = entry.build_snapshot_request_handler(
        snapshot or build_snapshot(emu.crewbot),
        signing_secret=emu.signing_secret,
        client=emu.client,
        lambda_client=lambda_client,
        full=lambda: _full_door(emu, conversations),
    )
    assert handler is not None
    return handler


def _route(app: Any, body: str, content_type: str) -> tuple[str, tuple[str, ...]] | None:
    """The first listener of ``app`` that matches the request: its ack function's and lazy functions' names."""
    req = BoltRequest(body=body, headers={"content-type": [content_type]})
    for listener in app._listeners:
        if listener.matches(req=req, resp=BoltResponse(status=200)):
            return listener.ack_function.__name__, tuple(f.__name__ for f in listener.lazy_functions)
    return None


def _payloads(emu: Emulator, table: Any) -> list[tuple[str, str, str]]:
    """A request for every registered route (and unknown ones): (what, body, content type)."""
    user, p = emu.current_user, emu.payloads
    channel = emu.fake.dm_channel(user)
    out: list[tuple[str, str, str]] = []
    for name in [*table.commands, "/nope"]:
        body, ct = p.slash_command(
            command=name,
            text="help",
            user_id=user,
            user_name="dev",
            channel_id=channel,
            channel_name="directmessage",
            response_url="https://hooks.slack.com/commands/T/1/x",
            trigger_id="1.2.3",
        )
        out.append((f"command {name}", body, ct))
    samples = {"vote_up", "more_later", "gone_away"}
    for action in table.actions:
        assert not action.regex or any(re.search(action.action_id, s) for s in samples), (
            f"add an action id matching {action.action_id!r} to the samples"
        )
    for action_id in sorted({a.action_id for a in table.actions if not a.regex} | samples):
        body, ct = p.block_actions(
            user_id=user,
            user_name="dev",
            action={"action_id": action_id, "value": "1"},
            block_id="b",
            trigger_id="1.2.3",
            container={"type": "message", "message_ts": "1.2", "channel_id": channel},
        )
        out.append((f"action {action_id}", body, ct))
    for callback in [*table.views, "nope_form"]:
        view = {"id": "V1", "callback_id": callback, "type": "modal", "hash": "h"}
        body, ct = p.view_submission(user_id=user, user_name="dev", view=view, values={}, trigger_id="1.2.3")
        out.append((f"view {callback}", body, ct))
        closed = {"type": "view_closed", "user": {"id": user}, "view": view, "team": {"id": emu.fake.team_id}}
        out.append((f"view closed {callback}", urlencode({"payload": json.dumps(closed)}), ct))
    for callback in [*table.shortcuts, "nope_shortcut"]:
        body, ct = p.shortcut(user_id=user, user_name="dev", callback_id=callback, trigger_id="1.2.3")
        out.append((f"shortcut {callback}", body, ct))
    events: list[dict[str, Any]] = [
        {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": "hi", "ts": "1.1"},
        {"type": "message", "subtype": "file_share", "channel_type": "im", "channel": channel, "user": user},
        {"type": "message", "subtype": "message_changed", "channel": channel},
        {"type": "app_mention", "channel": "C0GENERAL", "user": user, "text": "hi", "ts": "1.1"},
        {"type": "app_home_opened", "user": user, "tab": "home"},
        {"type": "reaction_removed", "user": user},
        *({"type": kind, "user": user} for kind in table.events),
    ]
    for event in events:
        body, ct = p.event_callback(event)
        out.append((f"event {event['type']} {event.get('subtype', '')}", body, ct))
    return out


def test_the_snapshot_app_routes_every_registration_as_the_full_app(
    full_emu: Emulator, conversations: RecordingConversations
) -> None:
    full = _full_door(full_emu, conversations)
    fast = _snapshot_handler(full_emu, Recorder(), conversations).app
    assert build_snapshot(full_emu.crewbot).table == full.table
    requests = _payloads(full_emu, full.table)
    assert len(requests) > 40
    for what, body, ct in requests:
        found = _route(full.app, body, ct)
        assert found is not None, what
        assert _route(fast, body, ct) == found, what


@pytest.mark.parametrize("plugins", [[("message", MessagePlugin())], []])
def test_a_plugin_message_event_takes_the_dm_listener_in_both(crewbot_emulator_factory: Any, plugins: Any) -> None:
    emu = crewbot_emulator_factory(plugins=plugins, only=["crewbot_command"])
    full = _full_door(emu)
    fast = _snapshot_handler(emu, Recorder()).app
    body, ct = emu.payloads.event_callback({"type": "message", "channel_type": "im", "user": "U1", "channel": "D1"})
    expected = "crewbot_lazy_event" if plugins else "crewbot_lazy_message"
    assert _route(full.app, body, ct) == _route(fast, body, ct) == ("noop_ack", (expected,))


def _ack(handler: Any, emu: Emulator, body: str, ct: str) -> dict[str, Any]:
    response: dict[str, Any] = entry.invoke(
        handler, lambda_event(body, ct, sign(emu.signing_secret, body)), LambdaContext()
    )
    return {"status": response["statusCode"], "body": re.sub(r"`[0-9a-f]{8}`", "`REF`", response.get("body") or "")}


def test_acknowledgements_from_the_snapshot_equal_the_full_apps(
    emu: Emulator, demo: DemoPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lazy commands (admin-only ones refused to others), unknown commands and buttons, lazy buttons and
    events: the same answer, and the snapshot app never started the full one for them."""
    full = entry.build_request_handler(
        emu.crewbot, signing_secret=emu.signing_secret, client=emu.client, lambda_client=Recorder()
    )
    built: list[SlackFrontDoor] = []

    def make_full() -> SlackFrontDoor:
        built.append(_full_door(emu))
        return built[-1]

    recorder = Recorder()
    fast = entry.build_snapshot_request_handler(
        build_snapshot(emu.crewbot),
        signing_secret=emu.signing_secret,
        client=emu.client,
        lambda_client=recorder,
        full=make_full,
    )
    table = build_snapshot(emu.crewbot).table
    eager = {f"command {c.name}" for c in table.commands.values() if not c.lazy}
    eager |= {f"action {a.action_id}" for a in table.actions if not a.lazy}
    answers: dict[tuple[str, str], str] = {}
    for user in (emu.admin_id, emu.user("bob")):
        emu.current_user = user
        for what, body, ct in _payloads(emu, table):
            if what in eager or what.startswith(("view ", "shortcut ")):
                continue  # their acknowledgement comes from the handler (tested below)
            answer = _ack(fast, emu, body, ct)
            assert answer == _ack(full, emu, body, ct), what
            answers[(user, what)] = answer["body"]
    assert built == []  # acknowledged from the snapshot alone
    assert "admins only" in answers[(emu.user("bob"), "command /secret")]
    assert "admins only" not in answers[(emu.admin_id, "command /secret")]
    assert "I don't know /nope" in answers[(emu.admin_id, "command /nope")]
    assert demo.ran == []  # nothing ran: the lazy parts were only recorded
    assert recorder.events and all(e["method"] == "NONE" for e in recorder.events)


def test_lazy_parts_and_eager_routes_run_the_real_registrations(
    emu: Emulator, demo: DemoPlugin, conversations: RecordingConversations, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo scenario of every payload kind through the entry point with the snapshot app: the same
    handlers run, the conversation gets its messages, and the runtime starts once."""
    builds: list[int] = []

    def make_full() -> SlackFrontDoor:
        builds.append(1)
        return _full_door(emu, conversations)

    handler = entry.build_snapshot_request_handler(
        build_snapshot(emu.crewbot),
        signing_secret=emu.signing_secret,
        client=emu.client,
        lambda_client=emu.lambda_client,
        full=make_full,
    )
    assert handler is not None
    monkeypatch.setattr(entry, "_handler", handler)

    class ViaModule:
        def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            return entry.handler(event, context)

    monkeypatch.setattr(emu, "request_handler", ViaModule())
    emu.lambda_client.target = emu.request_handler.handle
    emu.play("""
        /echo one
        /fast two
        /buttons
        click Approve
        /form
        submit title="Budget review"
        hello
    """)
    assert [name for name, _ in demo.ran] == ["echo", "fast", "approve", "submit"]
    assert demo.ran[0] == ("echo", ("one", True, False))
    assert [m.text for m in conversations.messages] == ["hello"]
    assert builds == [1]
    assert entry._handler is handler  # the snapshot matched the registrations: still in use


def test_a_fresh_process_acks_from_the_snapshot_without_plugins_or_configuration(tmp_path: Path) -> None:
    from bot.emulator.fake_slack import FakeSlack
    from bot.runtime import start

    crewbot = start(environ={"CREWBOT_HOME": str(tmp_path)}, setup_logging=False)
    snapshot_file = build_snapshot(crewbot).write(tmp_path / "slack-routes.json")
    crewbot.close()
    fake = FakeSlack(token="xoxb-bench-token").start()
    child = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from benchmarks._bolt_apps import HandOff, LambdaContext, crewbot_packaged, payloads, signed_event
handler = crewbot_packaged(sys.argv[2], sys.argv[3])
body, content_type = payloads(1)["slash command"]
response = handler(signed_event(body, content_type), LambdaContext())
print(json.dumps({"status": response["statusCode"], "lazy": HandOff.calls, "modules": sorted(sys.modules)}))
"""
    env = {
        "PATH": "/usr/bin:/bin",
        "CREWBOT_HOME": str(tmp_path),
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", child, str(REPO), str(snapshot_file), fake.base_url],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=120,
        )
    finally:
        fake.stop()
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 200 and result["lazy"] == 1
    modules = set(result["modules"])
    assert "bot.slack.snapshot" in modules
    heavy = {
        "plugins",
        "pydantic",
        "yaml",
        "pluggy",
        "bot.config",
        "bot.runtime",
        "bot.pluginhost",
        "bot.storage",
        "strands",
    }
    loaded = sorted(m for m in modules if m in heavy or m.split(".")[0] in heavy or m.rsplit(".", 1)[0] in heavy)
    assert loaded == [], f"imported before the acknowledgement: {loaded}"


def test_a_stale_snapshot_is_reported_and_the_process_switches_to_the_full_app(
    emu: Emulator, demo: DemoPlugin, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = build_snapshot(emu.crewbot)
    snapshot.admins = [*snapshot.admins, "UNOTANADMIN"]
    del snapshot.table.commands["/boom"]
    handler = _snapshot_handler(emu, emu.lambda_client, snapshot=snapshot)
    monkeypatch.setattr(entry, "_handler", handler)
    emu.lambda_client.target = entry.handler
    door = entry.snapshot_door(handler)
    assert isinstance(door, SnapshotFrontDoor)
    assert entry.handler({"crewbot": "health-check"}, LambdaContext())["ok"] is False
    assert door.stale == ["admins", "routes.commands"]
    assert "the Slack routing snapshot does not match the registrations" in caplog.text
    # From now on the process routes with the full app, which knows /boom.
    replaced = entry._request_handler()
    assert replaced is not handler and entry.snapshot_door(replaced) is None
    body, ct = emu.payloads.slash_command(
        command="/echo",
        text="again",
        user_id=emu.current_user,
        user_name="dev",
        channel_id=emu.fake.dm_channel(emu.current_user),
        channel_name="directmessage",
        response_url=emu.fake.new_response_url(emu.fake.dm_channel(emu.current_user), emu.current_user),
        trigger_id=emu.fake.new_trigger(emu.current_user),
    )
    assert entry.handler(lambda_event(body, ct, sign(emu.signing_secret, body)), LambdaContext())["statusCode"] == 200
    emu.wait()
    assert [name for name, _ in demo.ran] == ["echo"]
    assert entry.handler({"crewbot": "health-check"}, LambdaContext())["ok"] is True


def test_http_routes_are_served_by_the_runtime_behind_the_snapshot_app(
    full_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = _snapshot_handler(full_emu, Recorder())
    monkeypatch.setattr(entry, "_handler", handler)
    door = entry.snapshot_door(handler)
    assert door is not None and door.snapshot.has_http_route("GET", "/oauth/google/callback")
    assert not door.snapshot.has_http_route("POST", "/oauth/google/callback")
    event = {
        "version": "2.0",
        "rawPath": "/oauth/google/callback",
        "rawQueryString": "state=unknown&code=x",
        "queryStringParameters": {"state": "unknown", "code": "x"},
        "headers": {},
        "requestContext": {"http": {"method": "GET", "path": "/oauth/google/callback"}, "requestId": "r"},
        "body": "",
        "isBase64Encoded": False,
    }
    response = entry.handler(event, LambdaContext())
    assert response["headers"]["Content-Type"].startswith("text/html")  # the plugin's page, not Bolt's 404
    assert door._full is not None


def _written(tmp_path: Path, emu: Emulator) -> Path:
    return build_snapshot(emu.crewbot).write(tmp_path / "slack-routes.json")


def test_packaged_snapshot_missing_unreadable_or_not_for_this_function(
    emu: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "bot.slack.snapshot")
    assert packaged_snapshot(tmp_path / "absent.json", {}) is None
    assert caplog.text == ""  # no snapshot (a checkout, the emulator): the full app, silently
    path = _written(tmp_path, emu)
    loaded = packaged_snapshot(path, {"CREWBOT_RUNTIME": "aws", "CREWBOT_ENVIRONMENT": "dev"})
    assert loaded is not None and loaded.runtime == "aws" and loaded.table == build_snapshot(emu.crewbot).table
    for environ, reason in [
        ({"CREWBOT_ENVIRONMENT": "prod"}, "built for environment 'dev', running as 'prod'"),
        ({"CREWBOT_PROJECT": "other"}, "built for project 'crewbot', running as 'other'"),
        ({"CREWBOT_LOAD_PLUGINS": "projects"}, "CREWBOT_LOAD_PLUGINS may change what it records"),
        ({"CREWBOT_SLACK__ADMINS": "[U1]"}, "CREWBOT_SLACK__ADMINS may change"),
    ]:
        caplog.clear()
        assert packaged_snapshot(path, environ) is None
        assert reason in caplog.text and "the full app routes" in caplog.text
    for content, reason in [
        ("{not json", "cannot read"),
        ('{"format": 99}', "format 99"),
        ('{"format": 1}', "unexpected"),
    ]:
        path.write_text(content)
        caplog.clear()
        assert packaged_snapshot(path, {}) is None
        assert reason in caplog.text
    with pytest.raises(SnapshotError, match="unexpected content"):
        data = build_snapshot(emu.crewbot).as_dict()
        data["routes"]["actions"] = [{"action_id": "(", "regex": True, "lazy": True}]
        RoutingSnapshot.from_dict(data)


def test_the_snapshot_round_trips_and_records_what_the_ack_needs(emu: Emulator, tmp_path: Path) -> None:
    snapshot = build_snapshot(emu.crewbot)
    again = load_for_environment(snapshot.write(tmp_path / "a.json"), {})
    assert again.as_dict() == snapshot.as_dict() and again.differences(snapshot) == []
    assert snapshot.admins == [emu.admin_id]
    commands = snapshot.table.commands
    assert commands["/secret"].admin_only and not commands["/fast"].lazy and commands["/echo"].lazy
    assert [a.action_id for a in snapshot.table.actions if a.regex] == [r"^vote_.*"]
    assert snapshot.secrets["slack_signing_secret"].aws_name == "crewbot/dev/slack/signing-secret"
    assert snapshot.secrets["slack_bot_token"].env == "SLACK_BOT_TOKEN"


def test_secrets_come_from_secrets_manager_or_ssm_in_aws(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for var, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(snapshot_module, "_clients", {})  # clients made inside moto's mock stay in this test
    snapshot = build_snapshot(emu.crewbot).for_runtime("aws")
    token = snapshot.secrets["slack_bot_token"]
    snapshot.secrets["slack_bot_token"] = type(token)(token.env, "ssm", "/" + token.aws_name)
    with mock_aws():
        boto3.client("secretsmanager").create_secret(
            Name=snapshot.secrets["slack_signing_secret"].aws_name, SecretString="signing-from-secrets-manager"
        )
        boto3.client("ssm").put_parameter(
            Name="/" + token.aws_name, Value="xoxb-from-parameter-store", Type="SecureString"
        )
        assert read_secret(snapshot, "slack_signing_secret") == "signing-from-secrets-manager"
        assert read_secret(snapshot, "slack_bot_token") == "xoxb-from-parameter-store"
        assert read_secrets(snapshot) == {
            "slack_signing_secret": "signing-from-secrets-manager",
            "slack_bot_token": "xoxb-from-parameter-store",
        }
        handler = entry.build_snapshot_request_handler(snapshot, lambda_client=Recorder())
        assert handler is not None and handler.app.client.token == "xoxb-from-parameter-store"
    local = build_snapshot(emu.crewbot)
    assert read_secret(local, "slack_bot_token", {"SLACK_BOT_TOKEN": "xoxb-local-value"}) == "xoxb-local-value"
    assert read_secret(local, "slack_bot_token", {}) is None  # the full runtime's .env handling takes over


def test_make_package_puts_the_snapshot_in_the_code_artefact(tmp_path: Path) -> None:
    from bot.deploy.package import build_code_zip, write_slack_routes
    from bot.slack.snapshot import PACKAGED_NAME

    routes = write_slack_routes(tmp_path)
    tree = tmp_path / "repo"
    for package in ("bot", "plugins"):
        (tree / package).mkdir(parents=True)
        (tree / package / "__init__.py").write_text("")
    archive = build_code_zip(tmp_path / "crewbot.zip", repo=tree, extra=[(PACKAGED_NAME, routes)])
    with zipfile.ZipFile(archive) as zf:
        shipped = RoutingSnapshot.from_dict(json.loads(zf.read(PACKAGED_NAME)))
    assert "/crewbot" in shipped.table.commands and shipped.http_routes


def test_eager_buttons_lazy_views_and_lazy_shortcuts_through_the_snapshot_app(
    full_emu: Emulator, more: MorePlugin, conversations: RecordingConversations
) -> None:
    handler = _snapshot_handler(full_emu, full_emu.lambda_client, conversations)
    full_emu.lambda_client.target = lambda event, context: entry.invoke(handler, event, context)
    user, p = full_emu.current_user, full_emu.payloads
    container = {"type": "message", "message_ts": "1.2", "channel_id": full_emu.fake.dm_channel(user)}
    requests = [
        p.block_actions(
            user_id=user,
            user_name="dev",
            action={"action_id": action_id},
            block_id="b",
            trigger_id=full_emu.fake.new_trigger(user),
            container=container,
        )
        for action_id in ("more_now", "more_later")
    ]
    view = {"id": "V1", "callback_id": "more_form", "type": "modal", "hash": "h1"}
    requests.append(p.view_submission(user_id=user, user_name="dev", view=view, values={}, trigger_id="1.2.3"))
    requests.append(p.shortcut(user_id=user, user_name="dev", callback_id="more_quick", trigger_id="1.2.4"))
    answers = [_ack(handler, full_emu, body, ct) for body, ct in requests]
    full_emu.wait()
    assert [a["status"] for a in answers] == [200] * 4
    assert json.loads(answers[2]["body"])["response_action"] == "update"  # the eager half of the view
    # The eager button ran before its ack; the pattern's button, the view's lazy part and the shortcut after.
    assert sorted(more.ran) == ["later", "now", "overlap", "quick"] and more.ran[0] == "now"
