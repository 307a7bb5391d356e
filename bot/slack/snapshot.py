"""The Slack routing snapshot: acknowledging a cold request without starting the runtime.

``make package`` starts the runtime once (as it does for the deploy catalog) and writes what the
acknowledgement of any Slack request needs as JSON: the routing table (:class:`~bot.slack.routes.RoutingTable`),
``slack.admins``, the plugins' HTTP routes (method and path), where the two Slack secrets are read
from, and the logging settings. The file ships in the code artefact (``bot/_data/slack-routes.json``).

When it is there, the Lambda entry point builds a :class:`SnapshotFrontDoor` from it: the same Bolt
listeners as the full app (:func:`bot.slack.routes.wire`), whose acknowledgements are computed from the
table (a lazy command's ``ack_text`` or admin refusal, the unknown-command answer) and whose other work
— the lazy parts, and routes whose acknowledgement needs the handler (views, shortcuts, ``lazy=False``
commands and buttons) — starts the full runtime (:func:`bot.runtime.start`, once per process) and runs
the real registration through the full app's dispatcher. No plugin, configuration model or store is
loaded before such an acknowledgement.

The snapshot is generated from the registrations, so it cannot drift from the code it ships with. What
can differ at run time is the environment: a snapshot built for another environment or project, or a
function given variables that change plugins or Slack settings, is not used (a warning, and the full
app routes). When the full runtime starts in a process, the snapshot is compared with the live
registrations; a difference is logged as an error and the process routes with the full app from then on
(``crewbot deploy verify``'s health check reports it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltRequest
from slack_bolt.kwargs_injection.args import Args

from bot.slack.errors import user_of
from bot.slack.routes import (
    Dispatchers,
    RoutingTable,
    ack_if_needed,
    acknowledge_command,
    bolt_app,
    log_redelivery,
    wire,
)

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.runtime import Crewbot
    from bot.slack.app import SlackFrontDoor
    from bot.slack.registry import Registrations

logger = logging.getLogger(__name__)

#: Version of the file's layout; a file of another version is not used.
FORMAT = 1
#: Where the snapshot sits in the code artefact, and so in the deployed function.
PACKAGED_NAME = "bot/_data/slack-routes.json"
PACKAGED_FILE = Path(__file__).resolve().parents[1] / "_data" / "slack-routes.json"
#: The secrets the acknowledgement path reads.
SLACK_SECRETS = ("slack_signing_secret", "slack_bot_token")
#: ``CREWBOT_*`` variables that can change the registrations or the Slack settings in ways a snapshot
#: built without them cannot know: with any of them set, the snapshot is not used.
_UNACCOUNTED_PREFIXES: tuple[str, ...] = (
    "CREWBOT_LOAD_PLUGINS",
    "CREWBOT_CONFIG",
    "CREWBOT_SLACK__",
    "CREWBOT_PLUGINS__ALLOW",
    "CREWBOT_PLUGINS__DENY",
    "CREWBOT_SECRETS__",
    "CREWBOT_LOGGING__",
)


class SnapshotError(Exception):
    """The snapshot file cannot be used; the message says why."""


@dataclass(frozen=True)
class SecretLocation:
    """Where one secret is read: environment variable ``env`` locally, ``aws_name`` in Secrets Manager
    (``source: secretsmanager``) or SSM Parameter Store in AWS."""

    env: str
    source: str
    aws_name: str


@dataclass
class RoutingSnapshot:
    """What the acknowledgement of a Slack request needs, generated from a runtime."""

    table: RoutingTable
    project: str
    environment: str
    runtime: str
    admins: list[str] = field(default_factory=list)
    #: ``(method, path)`` of every plugin HTTP route (``{name}`` segments as in :class:`bot.httproutes.HttpRoute`).
    http_routes: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, SecretLocation] = field(default_factory=dict)
    log_level: str = "INFO"
    #: ``logging.json_format`` as configured (``None``: JSON in ``runtime: aws``).
    json_logs: bool | None = None

    @property
    def json_format(self) -> bool:
        return self.json_logs if self.json_logs is not None else self.runtime == "aws"

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "project": self.project,
            "environment": self.environment,
            "runtime": self.runtime,
            "admins": sorted(self.admins),
            "http_routes": [list(r) for r in self.http_routes],
            "secrets": {
                name: {"env": s.env, "source": s.source, "aws_name": s.aws_name} for name, s in self.secrets.items()
            },
            "logging": {"level": self.log_level, "json_format": self.json_logs},
            "routes": self.table.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> RoutingSnapshot:
        """The snapshot :meth:`as_dict` wrote; :class:`SnapshotError` for anything else."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise SnapshotError(f"format {found!r}, expected {FORMAT}")
        try:
            secrets = {
                str(name): SecretLocation(str(s["env"]), str(s["source"]), str(s["aws_name"]))
                for name, s in data["secrets"].items()
            }
            missing = [name for name in SLACK_SECRETS if name not in secrets]
            if missing:
                raise SnapshotError(f"no location for {', '.join(missing)}")
            json_logs = data["logging"]["json_format"]
            return cls(
                table=RoutingTable.from_dict(data["routes"]),
                project=str(data["project"]),
                environment=str(data["environment"]),
                runtime=str(data["runtime"]),
                admins=[str(a) for a in data["admins"]],
                http_routes=[(str(m), str(p)) for m, p in data["http_routes"]],
                secrets=secrets,
                log_level=str(data["logging"]["level"]),
                json_logs=None if json_logs is None else bool(json_logs),
            )
        except SnapshotError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
            raise SnapshotError(f"unexpected content ({type(exc).__name__}: {exc})") from None

    def write(self, path: Path) -> Path:
        """Write the snapshot as JSON to ``path`` (stable output: rebuilding unchanged code gives the same file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> RoutingSnapshot:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"cannot read {path}: {exc}") from None
        return cls.from_dict(data)

    def for_runtime(self, runtime: str) -> RoutingSnapshot:
        """This snapshot as seen by a function whose configuration says ``runtime``."""
        copy = RoutingSnapshot.from_dict(self.as_dict())
        copy.runtime = runtime
        return copy

    def differences(self, live: RoutingSnapshot) -> list[str]:
        """The parts of this snapshot that differ from ``live`` (built from the running registrations)."""
        mine, theirs = self.as_dict(), live.as_dict()
        found = [key for key in sorted(mine) if key != "routes" and mine[key] != theirs.get(key)]
        found += [f"routes.{key}" for key in sorted(mine["routes"]) if mine["routes"][key] != theirs["routes"].get(key)]
        return found

    def has_http_route(self, method: str, path: str) -> bool:
        """Whether a plugin's HTTP route answers ``method`` ``path`` (the runtime then serves it)."""
        from bot.httproutes import HttpRoute

        return any(HttpRoute(m, p, _no_handler).matches(method, path) for m, p in self.http_routes)


def _no_handler(crewbot: Any, request: Any) -> Any:
    raise AssertionError("a routing snapshot's HTTP route is only matched, never run")


def build_snapshot(crewbot: Crewbot, registrations: Registrations | None = None) -> RoutingSnapshot:
    """The snapshot of ``crewbot``'s Slack registrations and the settings the acknowledgement reads."""
    from bot.httproutes import routes
    from bot.slack.registry import collect_registrations

    regs = registrations if registrations is not None else collect_registrations(crewbot.plugins)
    config = crewbot.config
    secrets = {}
    for name in SLACK_SECRETS:
        spec = config.secrets.get(name)
        if spec is None:
            raise SnapshotError(f"no secret called {name!r} is configured")
        path = crewbot.namer.secret(spec.name)
        secrets[name] = SecretLocation(spec.env, spec.source, path if spec.source == "secretsmanager" else f"/{path}")
    return RoutingSnapshot(
        table=RoutingTable.from_registrations(regs),
        project=config.project,
        environment=config.environment,
        runtime=config.runtime,
        admins=sorted(config.slack.admins),
        http_routes=[(r.method.upper(), r.path) for r in routes(crewbot)],
        secrets=secrets,
        log_level=config.logging.level,
        json_logs=config.logging.json_format,
    )


def load_for_environment(path: Path, environ: Mapping[str, str]) -> RoutingSnapshot:
    """The snapshot at ``path`` if it fits a function running with ``environ``; :class:`SnapshotError` if not."""
    snapshot = RoutingSnapshot.load(path)
    for variable, expected in (("CREWBOT_ENVIRONMENT", snapshot.environment), ("CREWBOT_PROJECT", snapshot.project)):
        value = environ.get(variable)
        if value and value != expected:
            raise SnapshotError(f"built for {variable.split('_', 1)[1].lower()} {expected!r}, running as {value!r}")
    unaccounted = sorted(name for name in environ if name.startswith(_UNACCOUNTED_PREFIXES))
    if unaccounted:
        raise SnapshotError(f"{', '.join(unaccounted)} may change what it records")
    return snapshot.for_runtime(environ.get("CREWBOT_RUNTIME") or snapshot.runtime)


def packaged_snapshot(path: Path | None = None, environ: Mapping[str, str] | None = None) -> RoutingSnapshot | None:
    """The snapshot shipped with the code, or ``None``: absent (a checkout, the emulator, tests), or
    unusable here (logged as a warning; the full app routes then)."""
    path = PACKAGED_FILE if path is None else path
    if not path.is_file():
        return None
    try:
        return load_for_environment(path, os.environ if environ is None else environ)
    except SnapshotError as exc:
        logger.warning("not acknowledging from the Slack routing snapshot %s: %s; the full app routes", path, exc)
        return None


def read_secret(snapshot: RoutingSnapshot, name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Secret ``name`` read as :class:`bot.config.Secrets` would, without the configuration models: from
    Secrets Manager / SSM in ``runtime: aws`` (boto3, which Bolt's Lambda adapter has loaded already;
    one client per service and process); locally from the environment variable only (``None`` when
    unset: a ``.env`` file is the runtime's business). The value is registered with the log redactor."""
    from bot.logs import redact_value

    location = snapshot.secrets[name]
    if snapshot.runtime == "aws":
        if location.source == "secretsmanager":
            answer = _aws_client("secretsmanager").get_secret_value(SecretId=location.aws_name)
            value = answer.get("SecretString")
        else:
            answer = _aws_client("ssm").get_parameter(Name=location.aws_name, WithDecryption=True)
            value = answer["Parameter"].get("Value")
    else:
        value = (os.environ if environ is None else environ).get(location.env)
    if not isinstance(value, str) or not value:
        if snapshot.runtime == "aws":
            raise SnapshotError(f"secret {name!r} has no value in {location.aws_name}")
        return None
    redact_value(value)
    return value


def read_secrets(
    snapshot: RoutingSnapshot, names: tuple[str, ...] = SLACK_SECRETS, environ: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """:func:`read_secret` of each of ``names``; in AWS concurrently (one round trip instead of one each)."""
    if snapshot.runtime != "aws" or len(names) < 2:
        return {name: read_secret(snapshot, name, environ) for name in names}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="crewbot-secret") as pool:
        return dict(zip(names, pool.map(lambda name: read_secret(snapshot, name, environ), names), strict=True))


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _aws_client(service: str) -> Any:
    with _clients_lock:
        if service not in _clients:
            import boto3

            _clients[service] = boto3.client(service)  # type: ignore[call-overload]
        return _clients[service]


class SnapshotFrontDoor:
    """A Bolt app routed by a :class:`RoutingSnapshot`; ``full`` builds the full app when a handler must run."""

    def __init__(
        self,
        snapshot: RoutingSnapshot,
        *,
        signing_secret: str,
        client: WebClient,
        full: Callable[[], SlackFrontDoor],
        process_before_response: bool = True,
    ):
        self.snapshot = snapshot
        self.table = snapshot.table
        self._admins = frozenset(snapshot.admins)
        self._make_full = full
        self._full: SlackFrontDoor | None = None
        self._lock = threading.Lock()
        #: What differs between the snapshot and the live registrations (known once the full app is built).
        self.stale: list[str] = []
        self.app = bolt_app(snapshot.project, signing_secret, client, process_before_response)
        wire(
            self.app,
            self.table,
            Dispatchers(
                context=self._context,
                ack_command=self._ack_command,
                lazy_command=self._hand_over("_lazy_command"),
                ack_action=self._ack_action,
                lazy_action=self._hand_over("_lazy_action"),
                lazy_event=self._hand_over("_lazy_event"),
                ack_view=self._hand_over("_ack_view"),
                lazy_view=self._hand_over("_lazy_view"),
                run_shortcut=self._hand_over("_run_shortcut"),
            ),
        )

    def full(self) -> SlackFrontDoor:
        """The full app (built on first call, with the runtime), after checking the snapshot against it."""
        with self._lock:
            if self._full is None:
                front = self._make_full()
                self.stale = self.snapshot.differences(build_snapshot(front.crewbot, front.registrations))
                if self.stale:
                    logger.error(
                        "the Slack routing snapshot does not match the registrations (%s differ): this process "
                        "routes with the full app from now on; rebuild the package (make package)",
                        ", ".join(self.stale),
                    )
                self._full = front
            return self._full

    def _context(self, req: BoltRequest, next: Callable[[], Any]) -> Any:
        user = user_of(req.body)
        req.context["is_admin"] = bool(user) and user in self._admins
        log_redelivery(req)
        return next()

    def _ack_command(self, args: Args) -> None:
        route = self.table.commands.get(args.body.get("command") or "")
        if route is not None:
            acknowledge_command(route, args.ack, args.context)

    def _ack_action(self, args: Args) -> None:
        found = self.table.action_route(args.body)
        if found is not None and not found[1].lazy:
            # The lazy listener's pattern also matched an eager registration: it runs before the ack.
            self._hand_over("_ack_action")(args)
        else:
            ack_if_needed(args)

    def _hand_over(self, dispatcher: str) -> Callable[[Args], None]:
        """A listener that runs the full app's ``dispatcher`` (the real registration) on this request."""

        def run(args: Args) -> None:
            front = self.full()
            args.context["crewbot"] = front.crewbot
            args.context["is_admin"] = front.users.is_admin(user_of(args.body))
            getattr(front, dispatcher)(args)

        return run


__all__ = [
    "PACKAGED_FILE",
    "PACKAGED_NAME",
    "RoutingSnapshot",
    "SnapshotError",
    "SnapshotFrontDoor",
    "build_snapshot",
    "load_for_environment",
    "packaged_snapshot",
    "read_secret",
    "read_secrets",
]
