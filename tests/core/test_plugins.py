"""The plugin host: discovery through entry points, allow/deny, isolation of failures, settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import load_config
from bot.pluginhost import PluginHost

HELLO = """
from bot.api import SlashCommand, hookimpl

@hookimpl
def register_commands():
    return [SlashCommand("/hello", lambda respond: respond("Hello!"), description="Say hello")]
"""


def host(environ: dict[str, str] | None = None, file: Path | None = None) -> PluginHost:
    return PluginHost(load_config(file=file, environ={}), environ or {}).load()


def test_builtin_plugins_load_and_list_contributions() -> None:
    plugins = host()
    assert "meeting_prep" in plugins.active()
    prep = plugins.plugins["meeting_prep"]
    assert prep.source == "builtin"
    assert "register_workflows" in prep.hooks
    assert prep.errors == []
    assert [Path(p).name for p in prep.contributions["register_workflows"]] == ["meeting_prep.asl.json"]


def test_entry_point_plugin_is_discovered_with_its_version(install_plugin: Callable[..., Path]) -> None:
    install_plugin("hello", HELLO, version="2.0.1")
    plugins = host()
    info = plugins.plugins["hello"]
    assert (info.source, info.version, info.enabled) == ("entrypoint", "2.0.1", True)
    assert info.contributions["register_commands"] == ["/hello"]
    assert [c.name for c in plugins.contributions("register_commands") if c.plugin == "hello"] == ["/hello"]


def test_plugin_failing_on_import_is_reported_and_others_load(install_plugin: Callable[..., Path]) -> None:
    install_plugin("hello", HELLO)
    install_plugin("broken", "raise RuntimeError('database unreachable at import')\n")
    plugins = host()
    assert plugins.plugins["hello"].enabled
    broken = plugins.plugins["broken"]
    assert not broken.enabled
    assert "load: RuntimeError: database unreachable at import" in broken.errors[0]


def test_plugin_failing_in_a_hook_contributes_nothing_and_others_load(install_plugin: Callable[..., Path]) -> None:
    install_plugin("hello", HELLO)
    install_plugin(
        "flaky",
        """
from bot import hookimpl

@hookimpl
def register_workflows():
    return ["flaky.asl.json"]

@hookimpl
def register_commands():
    raise ValueError("bad command table")
""",
    )
    plugins = host()
    assert "register_commands: ValueError: bad command table" in plugins.plugins["flaky"].errors[0]
    assert all(
        c.plugin != "flaky" for hook in ("register_commands", "register_workflows") for c in plugins.contributions(hook)
    )
    assert "/hello" in [c.name for c in plugins.contributions("register_commands")]


def test_misspelt_hook_fails_loudly(install_plugin: Callable[..., Path]) -> None:
    install_plugin(
        "typo",
        """
from bot import hookimpl

@hookimpl
def register_command():
    return []
""",
    )
    plugins = host()
    info = plugins.plugins["typo"]
    assert not info.enabled
    assert "unknown hook(s) register_command" in info.errors[0]


def test_allow_and_deny_lists_and_the_environment_variable(install_plugin: Callable[..., Path], tmp_path: Path) -> None:
    install_plugin("hello", HELLO)
    assert host({"CREWBOT_LOAD_PLUGINS": "hello"}).active() == ["hello"]
    assert host({"CREWBOT_LOAD_PLUGINS": ""}).active() == []
    denied = tmp_path / "deny.yaml"
    denied.write_text("plugins: {deny: [hello]}\n")
    plugins = host(file=denied)
    assert "hello" not in plugins.active() and not plugins.plugins["hello"].enabled
    allowed = tmp_path / "allow.yaml"
    allowed.write_text("plugins: {allow: [hello]}\n")
    assert host(file=allowed).active() == ["hello"]


SETTINGS_PLUGIN = """
from pydantic import BaseModel, ConfigDict
from bot.api import SlashCommand, hookimpl

class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str = "hi"
    repeat: int = 1

def Command(name):
    return SlashCommand(name, lambda respond: respond(name), description="Greet")

@hookimpl
def register_settings():
    return Settings

@hookimpl
def register_commands(settings):
    return [Command("/" + settings.greeting * settings.repeat)]
"""


def test_plugin_settings_are_validated_and_passed_to_hooks(install_plugin: Callable[..., Path], tmp_path: Path) -> None:
    install_plugin("greeter", SETTINGS_PLUGIN)
    good = tmp_path / "good.yaml"
    good.write_text("plugins:\n  settings:\n    greeter: {greeting: yo, repeat: 2}\n")
    assert host(file=good).plugins["greeter"].contributions["register_commands"] == ["/yoyo"]

    bad = tmp_path / "bad.yaml"
    bad.write_text("plugins:\n  settings:\n    greeter: {repeat: many}\n")
    info = host(file=bad).plugins["greeter"]
    assert not info.enabled
    assert f"{bad}: plugins.settings.greeter.repeat:" in info.errors[0]


def test_config_validate_fails_on_bad_plugin_settings(
    install_plugin: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin("greeter", SETTINGS_PLUGIN)
    bad = tmp_path / "bad.yaml"
    bad.write_text("plugins:\n  settings:\n    greeter: {volume: 11}\n")
    assert main(["config", "validate", "--file", str(bad)]) == 2
    assert "plugins.settings.greeter.volume: unknown key" in capsys.readouterr().err


def test_crewbot_plugins_json_lists_errors_too(
    install_plugin: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin("hello", HELLO)
    install_plugin("broken", "import not_a_module_anywhere\n")
    assert main(["plugins", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["hello"]["contributions"]["register_commands"] == ["/hello"]
    assert "ModuleNotFoundError" in listed["broken"]["errors"][0]
    assert listed["meeting_prep"]["enabled"]


def test_hooks_may_ask_for_the_runtime(install_plugin: Callable[..., Path], tmp_path: Path) -> None:
    install_plugin(
        "needs_runtime",
        """
from bot.api import WorkflowTask, hookimpl

@hookimpl
def register_workflow_tasks(crewbot):
    return [WorkflowTask("Task", lambda payload, context: crewbot)]
""",
    )
    from bot.runtime import start

    crewbot = start(environ={"CREWBOT_HOME": str(tmp_path / "home")}, setup_logging=False)
    (task,) = [c.item for c in crewbot.plugins.contributions("register_workflow_tasks") if c.plugin == "needs_runtime"]
    assert task.handler({}, None) is crewbot
