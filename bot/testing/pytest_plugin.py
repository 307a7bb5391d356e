"""Crewbot's pytest plugin: run plugins inside the local Slack emulator, the way Crewbot tests itself.

Installed with the package (entry point ``pytest11: crewbot``), so the fixtures are available in any
project that depends on Crewbot::

    import my_plugin

    def test_hello(crewbot_emulator_factory):
        emulator = crewbot_emulator_factory(plugins=[("hello", my_plugin)])
        turn = emulator.command("/hello")
        assert "Hello" in turn.text

    def test_hello_script(crewbot_emulator_factory):
        emulator = crewbot_emulator_factory(plugins=[("hello", my_plugin)], only=[])
        emulator.play('''
            /hello
            expect Hello
        ''')

Fixtures:

``crewbot_home``
    An empty, isolated ``CREWBOT_HOME`` (SQLite store, clock, sessions) for the test.
``crewbot_emulator_factory``
    ``make(plugins=(), *, only=None, conversations=None, environ=None, config_file=None)`` starts a
    runtime on ``crewbot_home`` with the built-in plugins plus ``plugins`` (``(name, module)`` pairs),
    or only the built-ins named in ``only``, and returns its :class:`~bot.emulator.Emulator`;
    ``conversations`` replaces the agent runtime with your own handler. Every emulator is closed
    after the test.
``crewbot_emulator``
    An emulator with the default plugins.

Importing this module is cheap: the emulator is imported when a fixture is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bot.emulator import Emulator

EmulatorFactory = Callable[..., "Emulator"]


@pytest.fixture
def crewbot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ``CREWBOT_HOME`` for one test."""
    home = tmp_path / "crewbot-home"
    home.mkdir()
    monkeypatch.setenv("CREWBOT_HOME", str(home))
    return home


@pytest.fixture
def crewbot_emulator_factory(crewbot_home: Path) -> Iterator[EmulatorFactory]:
    """Start emulators on the test's ``crewbot_home``; all are closed when the test ends."""
    from bot.emulator import Emulator

    made: list[Emulator] = []

    def make(
        plugins: Iterable[tuple[str, Any]] = (),
        *,
        only: Iterable[str] | None = None,
        conversations: Any = None,
        environ: Mapping[str, str] | None = None,
        config_file: str | Path | None = None,
    ) -> Emulator:
        plugins = list(plugins)
        values = dict(os.environ)
        values.update(environ or {})
        values["CREWBOT_HOME"] = str(crewbot_home)
        if only is not None:
            values["CREWBOT_LOAD_PLUGINS"] = ",".join([*only, *(name for name, _ in plugins)])
        emulator = Emulator.start(
            environ=values, extra_plugins=plugins, config_file=config_file, conversations=conversations
        )
        made.append(emulator)
        return emulator

    yield make
    for emulator in made:
        emulator.close()


@pytest.fixture
def crewbot_emulator(crewbot_emulator_factory: EmulatorFactory) -> Emulator:
    """An emulator running Crewbot with its default plugins."""
    return crewbot_emulator_factory()
