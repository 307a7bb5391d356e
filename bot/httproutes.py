"""Plain HTTP endpoints that plugins serve besides Slack (OAuth callbacks), in Lambda and locally.

A plugin returns :class:`HttpRoute` objects from ``register_http_routes``. In AWS the Slack Lambda
(:mod:`bot.entrypoints.slack`) answers a request whose method and path match a route with that
route instead of Bolt (every other request still goes to Bolt, which verifies Slack's signature). Locally
:func:`serve` runs the same routes on a small HTTP server bound to 127.0.0.1 (``crewbot dev`` starts it
when a provider is being connected). Route handlers must do their own authentication (an OAuth
callback checks its single-use ``state``).
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from bot.runtime import Crewbot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: str
    content_type: str = "text/html; charset=utf-8"


@dataclass(frozen=True)
class HttpRoute:
    """``handler(crewbot, request) -> HttpResponse`` for requests to ``method`` ``path``.

    The path is exact, except that a ``{name}`` segment matches any one path segment (the handler reads it
    from ``request.path``): ``/oauth/{provider}/callback`` serves every provider's callback.
    """

    method: str
    path: str
    handler: Callable[[Crewbot, HttpRequest], HttpResponse]
    description: str = ""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def matches(self, method: str, path: str) -> bool:
        if self.method.upper() != method.upper():
            return False
        if self.path == path:
            return True
        mine, theirs = self.path.split("/"), path.split("/")
        return len(mine) == len(theirs) and all(
            a == b or (a.startswith("{") and a.endswith("}") and b != "") for a, b in zip(mine, theirs, strict=True)
        )


def routes(crewbot: Crewbot) -> list[HttpRoute]:
    return [r for r in crewbot.plugins.items("register_http_routes") if isinstance(r, HttpRoute)]


def find_route(crewbot: Crewbot, method: str, path: str) -> HttpRoute | None:
    candidates = [r for r in routes(crewbot) if r.matches(method, path)]
    exact = [r for r in candidates if r.path == path]  # an exact path wins over a pattern
    found = exact or candidates
    return found[0] if found else None


def dispatch(crewbot: Crewbot, request: HttpRequest) -> HttpResponse | None:
    """The response of the matching route, or ``None`` when no route matches."""
    route = find_route(crewbot, request.method, request.path)
    if route is None:
        return None
    try:
        return route.handler(crewbot, request)
    except Exception:
        logger.exception("HTTP route %s failed", route.name)
        return HttpResponse(500, "<h1>Something went wrong</h1>")


def request_from_lambda_event(event: Mapping[str, Any]) -> HttpRequest:
    """An :class:`HttpRequest` from an API Gateway v1/v2 or Function URL event."""
    context = event.get("requestContext") or {}
    method = (context.get("http") or {}).get("method") or event.get("httpMethod") or "GET"
    path = event.get("rawPath") or event.get("path") or "/"
    query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
    return HttpRequest(str(method).upper(), str(path), query, raw)


def lambda_response(response: HttpResponse) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "headers": {"Content-Type": response.content_type},
        "body": response.body,
        "isBase64Encoded": False,
    }


class LocalServer:
    """The plugins' routes on ``http://127.0.0.1:<port>`` in a background thread."""

    def __init__(self, crewbot: Crewbot, port: int = 0, host: str = "127.0.0.1"):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # only locally: not on the ack path

        runtime = crewbot

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = HttpRequest("GET", parts.path, dict(parse_qsl(parts.query)))
                response = dispatch(runtime, request) or HttpResponse(404, "<h1>Not found</h1>")
                data = response.body.encode()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("local http: %s", self.requestline.split("?")[0])

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="crewbot-http", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalServer:
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port (the runtime calls this when it closes)."""
        self.server.shutdown()
        self.server.server_close()


def serve(crewbot: Crewbot, port: int = 0) -> LocalServer:
    """Start the local route server (port 0: any free port) and return it."""
    return LocalServer(crewbot, port).start()
