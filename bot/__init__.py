"""Crewbot: a plugin-driven, Slack-first chat-ops bot.

Plugins implement the hooks in :mod:`bot.hookspecs` with the :data:`hookimpl` marker, and import
everything they use from the plugin API module, :mod:`bot.api`::

    from bot.api import hookimpl

    @hookimpl
    def register_commands():
        ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

PROJECT_NAME = "crewbot"

if TYPE_CHECKING:
    import pluggy

    hookimpl: pluggy.HookimplMarker
    hookspec: pluggy.HookspecMarker
    __version__: str


def __getattr__(name: str) -> Any:
    # Built on first use: every ``bot.*`` import runs this module, and the cold Slack acknowledgement
    # imports a few of them but needs neither pluggy nor the installed version (read from metadata).
    if name == "hookimpl":
        import pluggy

        value: Any = pluggy.HookimplMarker(PROJECT_NAME)
    elif name == "hookspec":
        import pluggy

        value = pluggy.HookspecMarker(PROJECT_NAME)
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version(PROJECT_NAME)
        except PackageNotFoundError:  # running from a checkout that was never installed
            value = "0.0.0+checkout"
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = ["PROJECT_NAME", "__version__", "hookimpl", "hookspec"]
