"""The hook contract: one check of what hooks return, ``REQUIRES``, and (datasette style) every hook is
documented in docs/plugins.md with its signature and implemented by some test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot import hookimpl, hookspecs
from bot.api import SlashCommand, TableSpec
from bot.config import load_config
from bot.pluginhost import PluginHost

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted(name for name in dir(hookspecs) if name.startswith("register_"))


def host(*extra: tuple[str, Any], environ: dict[str, str] | None = None) -> PluginHost:
    names = ",".join(name for name, _ in extra)
    return PluginHost(load_config(environ={}), environ or {"CREWBOT_LOAD_PLUGINS": names}).load(extra)


def returning(hook: str, *items: Any) -> Any:
    def implementation() -> list[Any]:
        return list(items)

    implementation.__name__ = hook
    return SimpleNamespace(**{hook: hookimpl(implementation)})


@pytest.mark.parametrize("hook", hookspecs.REGISTRATION_HOOKS)
def test_a_wrong_return_is_that_plugins_load_error(hook: str) -> None:
    loaded = host(("odd", returning(hook, object())), ("fine", returning("register_commands", _hello())))
    odd = loaded.plugins["odd"]
    assert not odd.enabled
    assert re.match(rf"{hook} returned '<object object at .*>' \(object\), expected ", odd.errors[0])
    assert all(c.plugin != "odd" for c in loaded.contributions(hook))
    assert loaded.plugins["fine"].enabled and [c.name for c in loaded.items("register_commands")] == ["/hello"]


def test_every_registration_hook_has_accepted_types() -> None:
    assert set(hookspecs.accepted_types()) == set(hookspecs.REGISTRATION_HOOKS)
    assert set(hookspecs.REGISTRATION_HOOKS) == set(SPECS) - {"register_settings", "register_cli_commands"}


def test_accepted_items_are_collected() -> None:
    table = TableSpec("hook_test_widgets", pk="widget_id", description="Widgets of a test plugin.")
    loaded = host(("tables", returning("register_tables", table)))
    assert loaded.items("register_tables") == [table]
    assert loaded.plugins["tables"].contributions["register_tables"] == ["hook_test_widgets"]


def test_requires_switches_a_plugin_off_when_its_dependency_is_missing() -> None:
    needs = SimpleNamespace(REQUIRES=("elsewhere",), register_commands=hookimpl(lambda: [_hello()]))
    needs.register_commands.__name__ = "register_commands"
    loaded = host(("needs", _module(needs)))
    info = loaded.plugins["needs"]
    assert (info.enabled, info.errors, info.off_reason) == (
        False,
        [],
        "needs plugin 'elsewhere', which is not installed",
    )
    assert loaded.items("register_commands") == []


def test_requires_follows_a_chain_and_a_failed_dependency() -> None:
    base = _module(SimpleNamespace(register_commands=hookimpl(_raise)))
    middle = _module(SimpleNamespace(REQUIRES=("base",)))
    top = _module(SimpleNamespace(REQUIRES=("middle",)))
    loaded = host(("base", base), ("middle", middle), ("top", top))
    assert loaded.plugins["middle"].off_reason.startswith("needs plugin 'base', which failed (register_commands: ")
    assert loaded.plugins["top"].off_reason.startswith("needs plugin 'middle', which is off: needs plugin 'base'")


def test_requires_must_be_names() -> None:
    loaded = host(("odd", _module(SimpleNamespace(REQUIRES="base"))))
    assert loaded.plugins["odd"].errors == ["REQUIRES must be a tuple of plugin names, not 'base'"]


def test_every_hook_is_documented_with_its_signature() -> None:
    guide = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in SPECS:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"{name}({params})" in guide, f"docs/plugins.md does not document {name}({params})"


def test_every_hook_has_a_test() -> None:
    # A test implements the hook (``def register_x``) or names it in a check of the host.
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.py") if p.name != Path(__file__).name
    )
    untested = [name for name in SPECS if not re.search(rf"\bdef {name}\(|[\"']{name}[\"']", sources)]
    assert untested == []


def _hello() -> SlashCommand:
    return SlashCommand("/hello", lambda respond: respond("Hello!"), description="Say hello")


def _raise() -> list[Any]:
    raise RuntimeError("the hook broke")


def _module(namespace: SimpleNamespace) -> SimpleNamespace:
    for name, value in vars(namespace).items():
        if name.startswith("register_"):
            value.__name__ = name
    return namespace
