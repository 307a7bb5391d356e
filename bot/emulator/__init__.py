"""The local Slack emulator: a fake workspace that drives Crewbot through its Lambda request handler.

:class:`~bot.emulator.workspace.Emulator` is the workspace; :mod:`bot.emulator.fake_slack` the fake
Web API it answers the bot with; :mod:`bot.emulator.payloads` builds and signs Slack's payloads;
:mod:`bot.emulator.blockkit` renders Block Kit as text; :mod:`bot.emulator.script` is the script
language (``crewbot dev --script``) and :mod:`bot.emulator.terminal` the interactive session.
"""

from bot.emulator.workspace import Emulator, EmulatorError, Turn

__all__ = ["Emulator", "EmulatorError", "Turn"]
