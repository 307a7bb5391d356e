"""Run as a script by tests/infra/test_slack_layer.py: every path the Slack function serves, through
``bot.entrypoints.slack.handler`` as Lambda runs it, in ``runtime: aws``.

``python slack_function_scenario.py SETUP.json``. SETUP names the folders that go first on ``sys.path``
(the unzipped code artefact and the slim layer's ``python/`` when the interpreter runs with ``-I -S``),
a PDF and a DOCX SOW and the recorded Google Calendar answer. AWS is moto's server (``AWS_ENDPOINT_URL``),
Slack is the emulator's fake Slack in this process, and the calendar providers' HTTP calls are answered
here (``requests`` and ``httplib2`` are patched as they are first imported, so the patch imports nothing
the function would not). The configuration comes from ``CREWBOT_*`` variables, as in AWS.

Served: the health check; every registered slash command (and its lazy part, run as the self-invocation
would); the buttons and modals they lead to and a press of every other registered button and submission
of every other registered modal; DMs (an agent turn on the offline model) with and without shared files;
a mention; the home tab; the other registered events; and every provider's ``/oauth/{provider}/callback``.

The last line of stdout is JSON: ``modules`` (imported beyond the interpreter's own at start),
``missing`` (modules an import looked for and nothing provided), ``served`` and ``registered``
(commands, sub-commands, actions, views, shortcuts, events, routes), ``errors`` (what the Slack layer
logged as errors) and, when a step failed, ``failure`` (its traceback).
"""

from __future__ import annotations

import sys

AT_START = set(sys.modules)  # the interpreter's own (and site's) imports are not the function's

import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import parse_qs, urlencode, urlsplit  # noqa: E402

SETUP: dict[str, Any] = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
sys.path[:0] = SETUP["paths"]

MISSING: set[str] = set()
GRAPH_DELTA = "https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=scenario"


class Recorder(importlib.abc.MetaPathFinder):
    """Last on ``sys.meta_path``: notes each module no finder provided (an ``ImportError`` a caller may
    swallow: the test still sees what the function looked for). Submodules count too, for namespace
    packages (``google.auth`` when only ``google.protobuf`` is there)."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> None:
        MISSING.add(name)


class PatchOnImport(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: runs ``patch(module)`` once ``name`` has been imported by the code."""

    def __init__(self, patches: dict[str, Callable[[ModuleType], None]]):
        self.patches = patches

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        patch = self.patches.pop(name, None)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _answer(method: str, url: str) -> dict[str, Any] | None:
    """The calendar providers' OAuth and API answers (nothing here reaches the internet)."""
    if url.startswith("https://oauth2.googleapis.com/token"):
        return {"access_token": "at-google", "refresh_token": "rt-google", "expires_in": 3600}
    if url.startswith("https://login.microsoftonline.com/"):
        tenant = urlsplit(url).path.split("/")[1]
        login = f"https://login.microsoftonline.com/{tenant}"
        if url.endswith("/.well-known/openid-configuration"):
            return {
                "authorization_endpoint": login + "/oauth2/v2.0/authorize",
                "token_endpoint": login + "/oauth2/v2.0/token",
                "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
            }
        if method == "POST" and url.endswith("/oauth2/v2.0/token"):
            return {"token_type": "Bearer", "access_token": "at-ms", "refresh_token": "rt-ms", "expires_in": 3600}
    if url.startswith("https://graph.microsoft.com/"):
        return {"value": [], "@odata.deltaLink": GRAPH_DELTA}
    return None


def _patch_requests(adapters: ModuleType) -> None:
    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        answer = _answer(request.method, request.url)
        if answer is None:
            raise adapters.ConnectionError(f"no network in this test: {request.method} {request.url}")
        response = adapters.Response()
        response.status_code = 200
        response._content = json.dumps(answer).encode()
        response.headers = adapters.CaseInsensitiveDict({"Content-Type": "application/json"})
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    adapters.HTTPAdapter.send = send


def _patch_httplib2(httplib2: ModuleType) -> None:
    recorded = Path(SETUP["google_events"]).read_text(encoding="utf-8")

    def request(self: Any, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kw: Any) -> Any:
        if not uri.startswith("https://www.googleapis.com/calendar/v3/"):
            raise httplib2.ServerNotFoundError(f"no network in this test: {method} {uri}")
        return httplib2.Response({"status": "200", "content-type": "application/json"}), recorded.encode()

    httplib2.Http.request = request


sys.meta_path.insert(0, PatchOnImport({"requests.adapters": _patch_requests, "httplib2": _patch_httplib2}))
sys.meta_path.append(Recorder())

from bot.emulator.payloads import LambdaContext, lambda_event, sign  # noqa: E402
from bot.emulator.workspace import Emulator, Turn  # noqa: E402
from bot.entrypoints import slack  # noqa: E402
from bot.entrypoints.health import HEALTH_CHECK  # noqa: E402

SERVED: dict[str, set[str]] = {
    kind: set() for kind in ("commands", "subcommands", "actions", "views", "shortcuts", "events", "routes")
}


class SlackFunction(Emulator):
    """The emulator, delivering every request (and every lazy self-invocation) to the Lambda handler."""

    def deliver(
        self,
        body: str,
        content_type: str,
        *,
        headers: Any = None,
        timestamp: int | None = None,
        signed: bool = True,
        base64_body: bool = False,
        wait: bool = True,
    ) -> dict[str, Any]:
        _note(body, content_type)
        all_headers = dict(sign(self.signing_secret, body, timestamp)) if signed else {}
        all_headers.update(headers or {})
        event = lambda_event(body, content_type, all_headers, fmt=self.event_format, base64_body=base64_body)
        response: dict[str, Any] = slack.handler(event, LambdaContext())
        if wait:
            self.wait()
        return response


def _note(body: str, content_type: str) -> None:
    """Which registration a delivered request is for."""
    if content_type == "application/json":
        event = json.loads(body).get("event") or {}
        SERVED["events"].add(str(event.get("type")))
        return
    form = {k: v[0] for k, v in parse_qs(body).items()}
    if "command" in form:
        SERVED["commands"].add(form["command"])
        words = form.get("text", "").split()
        SERVED["subcommands"].update(f"{form['command']} {' '.join(words[:n])}" for n in (1, 2) if len(words) >= n)
        return
    payload = json.loads(form.get("payload", "{}"))
    if payload.get("type") == "block_actions":
        SERVED["actions"].update(a["action_id"] for a in payload.get("actions") or [])
    elif payload.get("type") == "view_submission":
        SERVED["views"].add(payload["view"].get("callback_id", ""))
    elif payload.get("type") in ("shortcut", "message_action"):
        SERVED["shortcuts"].add(payload.get("callback_id", ""))


def expect(turn: Turn, *texts: str) -> Turn:
    for text in texts:
        if text.casefold() not in turn.text.casefold():
            raise AssertionError(f"expected {text!r} in what the bot showed:\n{turn.text[:3000]}")
    return turn


def http_get(path: str, query: dict[str, str]) -> dict[str, Any]:
    """An API Gateway (HTTP API) GET, as the browser's redirect back from a calendar provider arrives."""
    SERVED["routes"].add(f"GET {re.sub(r'^/oauth/[^/]+/', '/oauth/{provider}/', path)}")
    event = {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": urlencode(query),
        "queryStringParameters": query,
        "headers": {"host": "api.example.com"},
        "requestContext": {"http": {"method": "GET", "path": path}, "requestId": "scenario"},
        "isBase64Encoded": False,
    }
    return slack.handler(event, LambdaContext())


def connect_calendar(emu: SlackFunction, provider: str, label: str) -> None:
    """``/prep connect <provider>``, then the provider's redirect to the callback with a code."""
    before = len(emu.fake.calls_to("chat.postMessage"))
    emu.command(f"/prep connect {provider}")
    link = next(
        t
        for t in (c.args.get("text", "") for c in emu.fake.calls_to("chat.postMessage")[before:])
        if "https://" in t and "state=" in t
    )
    state = parse_qs(urlsplit(re.search(r"https://[^\s|>]+", link).group(0)).query)["state"][0]  # type: ignore[union-attr]
    answer = http_get(f"/oauth/{provider}/callback", {"state": state, "code": "the-code"})
    assert answer["statusCode"] == 200, answer
    dms = [c.args.get("text", "") for c in emu.fake.calls_to("chat.postMessage")[before:]]
    assert any(f"{label} is connected" in t and "synced" in t.lower() for t in dms), dms


def press(emu: SlackFunction, action_id: str) -> None:
    """A press of a registered button no message in this scenario carries (its handler checks the value)."""
    user = emu.current_user
    channel = emu.fake.dm_channel(user)
    message = emu.fake.add_user_message(channel, user, "a message with a button")
    body, content_type = emu.payloads.block_actions(
        user_id=user,
        user_name=emu.current_name,
        action={"action_id": action_id, "value": "scenario:1", "type": "button"},
        block_id="scenario",
        trigger_id=emu.fake.new_trigger(user),
        container={"type": "message", "message_ts": message.ts, "channel_id": channel, "is_ephemeral": False},
        response_url=emu.fake.new_response_url(channel, user, message.ts),
        channel={"id": channel, "name": channel.lower()},
        message=emu.fake._message_json(message),
    )
    assert emu.deliver(body, content_type)["statusCode"] == 200


def submit_view(emu: SlackFunction, callback_id: str) -> None:
    """A submission of a registered modal no button in this scenario opens."""
    user = emu.current_user
    view = {
        "id": "VSCENARIO",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": "scenario:1",
        "blocks": [],
    }
    body, content_type = emu.payloads.view_submission(
        user_id=user, user_name=emu.current_name, view=view, values={}, trigger_id=emu.fake.new_trigger(user)
    )
    assert emu.deliver(body, content_type)["statusCode"] in (200, 400)


def share_in_dm(emu: SlackFunction, path: Path) -> Turn:
    user = emu.current_user
    channel = emu.fake.dm_channel(user)
    file = emu.fake.add_file(path.name, path.read_bytes(), user)
    message = emu.fake.add_user_message(channel, user, f"here is {path.name}")
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "channel": channel,
        "user": user,
        "text": message.text,
        "ts": message.ts,
        "event_ts": message.ts,
        "files": [file],
    }
    return emu.send_event(event)


def registered(crewbot: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {k: set() for k in SERVED}
    for item in crewbot.plugins.items("register_commands"):
        if type(item).__name__ == "SlashCommand":
            found["commands"].add(item.name)
        elif type(item).__name__ == "Subcommand":
            found["subcommands"].add(f"{item.command} {item.name}")
    for item in crewbot.plugins.items("register_actions"):
        kind = type(item).__name__
        if kind == "Action":
            found["actions"].add(item.action_id)
        elif kind == "ViewSubmission":
            found["views"].add(item.callback_id)
        elif kind == "SlackEvent":
            found["events"].add(item.event)
        elif kind == "Shortcut":
            found["shortcuts"].add(item.callback_id)
    for route in crewbot.plugins.items("register_http_routes"):
        found["routes"].add(f"{route.method} {route.path}")
    return found


def scenario() -> list[str]:
    """Serve every path; the errors the Slack layer logged meanwhile."""
    # The health check builds what a cold request builds: the runtime from the environment, the Slack
    # secrets from Secrets Manager, the Bolt app.
    health = slack.handler(dict(HEALTH_CHECK), LambdaContext())
    assert health.get("ok"), health
    door = slack.snapshot_door(slack._request_handler())
    assert door is not None, "the code artefact has no routing snapshot: the function would not ack from it"
    cold = door.full().crewbot

    from bot.runtime import start
    from bot.slack.app import SlackFrontDoor
    from bot.slack.snapshot import packaged_snapshot

    emu = SlackFunction(start(setup_logging=False), owns_runtime=True)
    snapshot = packaged_snapshot()
    assert snapshot is not None
    # As deployed: acknowledged from the snapshot, the full app built when a handler runs; only the
    # secret, the Slack client and the self-invocation are the emulator's.
    handler = slack.build_snapshot_request_handler(
        snapshot,
        signing_secret=emu.signing_secret,
        client=emu.client,
        lambda_client=emu.lambda_client,
        full=lambda: SlackFrontDoor(emu.crewbot, signing_secret=emu.signing_secret, client=emu.client),
    )
    assert handler is not None
    slack._handler = handler
    emu.lambda_client.target = slack.handler
    try:
        expect(emu.command("/crewbot help"), "/crewbot", "/prep", "/project")
        expect(emu.command("/crewbot agents"), "meeting_coordinator")
        emu.command("/crewbot ask what is on my calendar?")
        emu.command("/crewbot orchestrations")
        emu.command("/crewbot reset")
        expect(emu.dm("hello"), "offline")
        share_in_dm(emu, Path(SETUP["pdf"]))
        share_in_dm(emu, Path(SETUP["docx"]))
        emu.mention("what can you do?")
        emu.open_home()
        emu.command("/prep")
        connect_calendar(emu, "google", "Google Calendar")
        connect_calendar(emu, "microsoft", "Microsoft 365 calendar")
        emu.command("/prep settings")
        if emu.fake.open_modal(emu.current_user) is not None:
            emu.submit({})
        for sow in ("pdf", "docx"):
            emu.command("/project new")
            expect(emu.submit({"name": f"From {sow}", "sow_file": SETUP[sow], "channel": "C0GENERAL"}), "file sow.")
        emu.command("/project list")
        emu.command("/project status From pdf")
        emu.act_as("admin")
        emu.command("/crewbot agents new")
        if emu.fake.open_modal(emu.current_user) is not None:
            emu.submit({"purpose": "Summarise the release notes of each deployment"})
        emu.act_as("dev")
        emu.send_event({"type": "user_change", "user": {"id": emu.current_user, "tz": "Europe/Paris"}})
        wanted = registered(emu.crewbot)
        REGISTERED.update(wanted)
        for action_id in sorted(wanted["actions"] - SERVED["actions"]):
            if not action_id.startswith("^"):
                press(emu, action_id)
        for callback_id in sorted(wanted["views"] - SERVED["views"]):
            submit_view(emu, callback_id)
        for callback_id in sorted(wanted["shortcuts"]):
            user = emu.current_user
            body, content_type = emu.payloads.shortcut(
                user_id=user, user_name=emu.current_name, callback_id=callback_id, trigger_id=emu.fake.new_trigger(user)
            )
            assert emu.deliver(body, content_type)["statusCode"] == 200
        return emu.take_errors()
    finally:
        emu.close()
        cold.close()


REGISTERED: dict[str, set[str]] = {}


def main() -> int:
    report: dict[str, Any] = {}
    try:
        report["errors"] = scenario()
    except BaseException:
        import traceback

        report["failure"] = traceback.format_exc()
    report.update(
        modules=sorted(set(sys.modules) - AT_START),
        missing=sorted(MISSING),
        served={k: sorted(v) for k, v in SERVED.items()},
        registered={k: sorted(v) for k, v in REGISTERED.items()},
    )
    print(json.dumps(report))
    return 1 if "failure" in report else 0


sys.exit(main())
