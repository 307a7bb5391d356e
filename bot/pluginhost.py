"""Loads plugins with pluggy and collects what they contribute, each inside its own error boundary.

Built-in plugins (the modules in :data:`BUILTIN_PLUGINS`) and third-party plugins (entry-point group
``crewbot``) are loaded the same way and can be switched off the same way: ``plugins.allow`` /
``plugins.deny`` in the configuration, or ``CREWBOT_LOAD_PLUGINS`` (comma separated; empty loads none).

pluggy isolates nothing, so the host calls every implementation of a registration hook itself, one
plugin at a time: a plugin that fails to import, to validate its settings or inside a hook is recorded
with its error and skipped, and the other plugins load.
"""

from __future__ import annotations

import importlib
import logging
import os
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy
from pydantic import BaseModel

from bot import PROJECT_NAME, __version__, hookspecs
from bot.config import ConfigError, LoadedConfig

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = PROJECT_NAME

#: Built-in plugins, by name → module. Registered exactly like third-party plugins.
BUILTIN_PLUGINS: dict[str, str] = {
    "crewbot_command": "plugins.crewbot_command",
    "meeting_coordinator": "plugins.meeting_coordinator",
    "meeting_prep": "plugins.meeting_prep",
    "calendar_ics": "plugins.calendar_ics",
    "calendar_google": "plugins.calendar_google",
    "calendar_microsoft": "plugins.calendar_microsoft",
    "projects": "plugins.projects",
    "supervisor": "plugins.supervisor",
    "operations": "plugins.operations",
}


@dataclass(frozen=True)
class Contribution:
    """One thing a plugin registered through a hook."""

    plugin: str
    hook: str
    item: Any

    @property
    def name(self) -> str:
        return describe(self.item)


@dataclass
class PluginInfo:
    """What ``crewbot plugins`` shows about one plugin."""

    name: str
    source: str  # "builtin" or "entrypoint"
    module: str
    version: str
    hooks: list[str] = field(default_factory=list)
    contributions: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    enabled: bool = True
    #: The plugins this one needs (its module's ``REQUIRES``).
    requires: list[str] = field(default_factory=list)
    #: Why a plugin without errors is off: switched off by configuration, or a plugin it needs is off.
    off_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "module": self.module,
            "version": self.version,
            "enabled": self.enabled,
            "off_reason": self.off_reason,
            "requires": self.requires,
            "hooks": self.hooks,
            "contributions": self.contributions,
            "errors": self.errors,
        }


class PluginHost:
    """The plugin manager of one Crewbot process."""

    def __init__(self, loaded: LoadedConfig, environ: Mapping[str, str] | None = None, runtime: Any = None):
        self.loaded = loaded
        #: The :class:`bot.runtime.Crewbot` these plugins belong to, passed to hooks that ask for ``crewbot``.
        self.runtime = runtime
        self.config = loaded.config
        self._environ = os.environ if environ is None else environ
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.settings: dict[str, BaseModel] = {}
        self._contributions: dict[str, list[Contribution]] = {}

    # -- loading -------------------------------------------------------------------------------

    def wanted(self, name: str) -> bool:
        """Whether plugin ``name`` is enabled by ``CREWBOT_LOAD_PLUGINS`` or the allow/deny lists."""
        env = self._environ.get("CREWBOT_LOAD_PLUGINS")
        if env is not None:
            return name in {part.strip() for part in env.split(",") if part.strip()}
        allow = self.config.plugins.allow
        if allow is not None and name not in allow:
            return False
        return name not in self.config.plugins.deny

    def load(self, extra: Iterable[tuple[str, ModuleType | object]] = ()) -> PluginHost:
        """Load built-ins, entry points and ``extra`` (name, plugin object) pairs, then check hooks."""
        for name, module_path in BUILTIN_PLUGINS.items():
            self._load_one(name, "builtin", module_path, partial(importlib.import_module, module_path))
        for ep in _entry_points():
            self._load_one(ep.name, "entrypoint", ep.value, ep.load, _dist_version(ep))
        for name, plugin in extra:
            module = getattr(plugin, "__name__", type(plugin).__name__)
            self._load_one(name, "extra", module, partial(_identity, plugin))
        self._check_pending()
        self._check_requirements()
        self._validate_settings()
        self._collect_all()
        self._check_requirements()  # a plugin that failed in a hook takes its dependants with it
        return self

    def _load_one(
        self, name: str, source: str, module: str, loader: Callable[[], Any], version: str | None = None
    ) -> None:
        if name in self.plugins:
            self.plugins[name].errors.append(f"a second plugin named {name!r} ({module}) was ignored")
            return
        info = PluginInfo(name=name, source=source, module=module, version=version or __version__)
        self.plugins[name] = info
        if not self.wanted(name):
            info.enabled = False
            info.off_reason = "switched off by the configuration (plugins.allow / plugins.deny / CREWBOT_LOAD_PLUGINS)"
            return
        try:
            plugin = loader()
            self.pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin must never stop the others
            self._fail(info, "load", exc)
            return
        info.version = version or str(getattr(plugin, "__version__", info.version))
        info.hooks = sorted(impl_name for impl_name in _hook_names(self.pm, plugin))

    def _check_pending(self) -> None:
        # check_pending raises on the first unknown hook; we want every offender, isolated.
        for name, info in self.plugins.items():
            plugin = self.pm.get_plugin(name)
            if plugin is None:
                continue
            unknown = [h for h in info.hooks if h not in _SPEC_NAMES]
            if unknown:
                self._disable(
                    info,
                    f"implements unknown hook(s) {', '.join(unknown)} "
                    f"(misspelt? known hooks are listed in bot/hookspecs.py)",
                )
        self.pm.check_pending()

    def _check_requirements(self) -> None:
        """Switch off every plugin whose ``REQUIRES`` names a plugin that is not active, transitively."""
        for name in self.active():
            info = self.plugins[name]
            requires = getattr(self.pm.get_plugin(name), "REQUIRES", ())
            if isinstance(requires, str) or not all(isinstance(r, str) for r in requires):
                self._disable(info, f"REQUIRES must be a tuple of plugin names, not {requires!r}")
                continue
            info.requires = list(requires)
        changed = True
        while changed:
            changed = False
            active = set(self.active())
            for name in sorted(active):
                info = self.plugins[name]
                missing = next((needed for needed in info.requires if needed not in active), None)
                if missing is not None:
                    info.off_reason = f"needs plugin {missing!r}, which {self._why_off(missing)}"
                    info.enabled = False
                    self._drop_contributions(name)
                    self.pm.unregister(name=name)
                    logger.warning("plugin %s is off: %s", name, info.off_reason)
                    changed = True

    def _why_off(self, name: str) -> str:
        info = self.plugins.get(name)
        if info is None:
            return "is not installed"
        if info.errors:
            return f"failed ({info.errors[0]})"
        return f"is off: {info.off_reason}" if info.off_reason else "is off"

    def _drop_contributions(self, name: str) -> None:
        for hook, items in self._contributions.items():
            self._contributions[hook] = [c for c in items if c.plugin != name]

    def _validate_settings(self) -> None:
        given = self.config.plugins.settings
        for name in list(self.active()):
            info = self.plugins[name]
            impl = _impl_for(self.pm, "register_settings", name)
            if impl is None:
                if name in given:
                    self._disable(info, f"plugins.settings.{name}: this plugin takes no settings")
                continue
            try:
                model: Any = impl.function()
                if model is None:
                    continue
                validated = self.loaded.validate_section(model, given.get(name), ("plugins", "settings", name))
            except ConfigError as exc:
                self._disable(info, f"invalid settings: {exc}")
                continue
            except Exception as exc:
                self._fail(info, "register_settings", exc)
                continue
            self.settings[name] = validated

    def _collect_all(self) -> None:
        accepted = hookspecs.accepted_types()
        for hook in hookspecs.REGISTRATION_HOOKS:
            found: list[Contribution] = []
            for name in self.active():
                impl = _impl_for(self.pm, hook, name)
                if impl is None:
                    continue
                kwargs = {"config": self.config, "settings": self.settings.get(name), "crewbot": self.runtime}
                try:
                    result: Any = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
                    items = list(result or [])
                except Exception as exc:
                    self._fail(self.plugins[name], hook, exc)
                    continue
                wrong = [item for item in items if not isinstance(item, accepted[hook])]
                if wrong:
                    expected = " or ".join(_type_name(t) for t in accepted[hook])
                    self._disable(
                        self.plugins[name],
                        f"{hook} returned {describe(wrong[0])!r} ({type(wrong[0]).__name__}), expected {expected}",
                    )
                    continue
                found.extend(Contribution(name, hook, item) for item in items)
                self.plugins[name].contributions[hook] = [describe(item) for item in items]
            self._contributions[hook] = found
        # A plugin that failed part-way contributes nothing at all: half a plugin is worse than none.
        failed = {name for name, info in self.plugins.items() if not info.enabled}
        for hook, items in self._contributions.items():
            self._contributions[hook] = [c for c in items if c.plugin not in failed]

    # -- queries ---------------------------------------------------------------------------------

    def active(self) -> list[str]:
        """Names of the plugins that loaded and are enabled, in load order."""
        return [name for name, info in self.plugins.items() if info.enabled and self.pm.has_plugin(name)]

    def contributions(self, hook: str) -> list[Contribution]:
        """Everything enabled plugins registered through ``hook``."""
        if hook not in hookspecs.REGISTRATION_HOOKS:
            raise ValueError(f"{hook!r} is not a registration hook")
        return list(self._contributions.get(hook, []))

    def items(self, hook: str) -> list[Any]:
        return [c.item for c in self.contributions(hook)]

    def errors(self) -> dict[str, list[str]]:
        return {name: info.errors for name, info in self.plugins.items() if info.errors}

    def add_cli_commands(self, subparsers: Any) -> None:
        """Let enabled plugins add ``crewbot`` sub-commands, each inside its own error boundary."""
        for name in self.active():
            impl = _impl_for(self.pm, "register_cli_commands", name)
            if impl is not None:
                try:
                    impl.function(cli=subparsers)
                except Exception as exc:
                    self._fail(self.plugins[name], "register_cli_commands", exc)

    # -- errors ----------------------------------------------------------------------------------

    def _fail(self, info: PluginInfo, where: str, exc: BaseException) -> None:
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" ({frame.filename}:{frame.lineno})" if frame else ""
        self._disable(info, f"{where}: {type(exc).__name__}: {exc}{at}")
        logger.debug("plugin %s failed in %s", info.name, where, exc_info=exc)

    def _disable(self, info: PluginInfo, message: str) -> None:
        info.errors.append(message)
        info.enabled = False
        logger.error("plugin %s disabled: %s", info.name, message)
        if self.pm.has_plugin(info.name):
            self.pm.unregister(name=info.name)


_SPEC_NAMES = {name for name in dir(hookspecs) if name.startswith("register_")}


def _type_name(kind: type) -> str:
    if kind.__module__ in ("builtins", "os"):
        return kind.__name__
    return "bot.api.CalendarProvider" if kind.__name__ == "_CalendarSource" else f"bot.api.{kind.__name__}"


def _identity(value: Any) -> Any:
    return value


def describe(item: Any) -> str:
    """A short label for a contribution, for listings."""
    for attr in ("name", "command", "action_id", "callback_id", "tool_name", "__name__"):
        value = getattr(item, attr, None)
        if isinstance(value, str) and value:
            return value
    return str(item)


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _dist_version(ep: EntryPoint) -> str | None:
    return ep.dist.version if ep.dist is not None else None


def _hook_names(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    names = []
    for attr in dir(plugin):
        if pm.parse_hookimpl_opts(plugin, attr) is not None:
            names.append(attr)
    return names


def _impl_for(pm: pluggy.PluginManager, hook: str, plugin_name: str) -> pluggy.HookImpl | None:
    caller = getattr(pm.hook, hook, None)
    if caller is None:
        return None
    for impl in caller.get_hookimpls():
        if impl.plugin_name == plugin_name:
            return impl
    return None
