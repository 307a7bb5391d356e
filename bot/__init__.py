"""Crewbot: a plugin-driven, Slack-first chat-ops bot.

Plugins implement the hooks in :mod:`bot.hookspecs` with the :data:`hookimpl` marker, and import
everything they use from the plugin API module, :mod:`bot.api`::

    from bot.api import hookimpl

    @hookimpl
    def register_commands():
        ...
"""

from importlib.metadata import PackageNotFoundError, version

import pluggy

PROJECT_NAME = "crewbot"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

try:
    __version__ = version(PROJECT_NAME)
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

__all__ = ["PROJECT_NAME", "__version__", "hookimpl", "hookspec"]
