"""Hooks whose behaviour no feature's tests exercise directly, used the way a plugin author would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.api import HttpRequest, HttpResponse, HttpRoute, IncomingMessage, Reply, TableSpec, hookimpl
from bot.cli.main import main
from bot.httproutes import dispatch


class EchoRoute:
    """Claims DMs that start with ``echo`` (a :class:`bot.api.ConversationRoute`)."""

    def claims(self, crewbot: Any, message: IncomingMessage) -> bool:
        return message.text.startswith("echo ")

    def handle(self, crewbot: Any, message: IncomingMessage, reply: Reply) -> None:
        reply.post(message.text.removeprefix("echo ").upper())


WIDGETS = TableSpec("hook_widgets", pk="widget_id", description="Local-only widgets of a test plugin.")


class Plugin:
    @hookimpl
    def register_conversation_routes(self) -> list[EchoRoute]:
        return [EchoRoute()]

    @hookimpl
    def register_http_routes(self) -> list[HttpRoute]:
        def hello(crewbot: Any, request: HttpRequest) -> HttpResponse:
            return HttpResponse(200, f"hello {request.query.get('name', 'stranger')}")

        return [HttpRoute("GET", "/hello", hello, "Say hello")]

    @hookimpl
    def register_tables(self) -> list[TableSpec]:
        return [WIDGETS]


def test_a_conversation_route_answers_the_dms_it_claims(crewbot_emulator_factory: Any) -> None:
    emulator = crewbot_emulator_factory(plugins=[("echo", Plugin())], only=[])
    assert emulator.dm("echo shout").text == "SHOUT"


def test_an_http_route_is_dispatched(crewbot_emulator_factory: Any) -> None:
    emulator = crewbot_emulator_factory(plugins=[("echo", Plugin())], only=[])
    response = dispatch(emulator.crewbot, HttpRequest("GET", "/hello", {"name": "Ada"}))
    assert response is not None and (response.status, response.body) == (200, "hello Ada")
    assert dispatch(emulator.crewbot, HttpRequest("GET", "/nowhere", {})) is None


def test_a_registered_table_is_listed_and_stores_items(crewbot_emulator_factory: Any) -> None:
    from bot.tables import registered_tables

    crewbot = crewbot_emulator_factory(plugins=[("echo", Plugin())], only=[]).crewbot
    assert registered_tables(crewbot.plugins)["hook_widgets"] == WIDGETS
    table = crewbot.store.table(WIDGETS)
    table.put({"widget_id": "w1", "colour": "blue"})
    stored = table.get({"widget_id": "w1"})
    assert stored is not None and stored["colour"] == "blue"


CLI_PLUGIN = """
from bot.api import hookimpl

def shout(ctx):
    ctx.print(ctx.args.word.upper())
    return 0

@hookimpl
def register_cli_commands(cli):
    parser = cli.add_parser("shout", help="say it loudly")
    parser.add_argument("word")
    parser.set_defaults(func=shout)
"""


def test_a_plugin_adds_a_cli_command(
    install_plugin: Callable[..., Path], crewbot_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin("shouter", CLI_PLUGIN)
    assert main(["shout", "hello"]) == 0
    assert capsys.readouterr().out.strip() == "HELLO"
