"""The pytest plugin shipped with the package, used the way a plugin author would use it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.emulator import hello_plugin

REPO = Path(__file__).resolve().parents[2]


def test_the_hello_world_plugin_is_under_15_lines() -> None:
    lines = [line for line in Path(hello_plugin.__file__).read_text().splitlines() if line.strip()]
    assert len(lines) < 15


def test_fixture_runs_a_plugin_in_the_emulator(crewbot_emulator_factory: Any, crewbot_home: Path) -> None:
    emulator = crewbot_emulator_factory(plugins=[("hello", hello_plugin)], only=[])
    assert emulator.crewbot.home == crewbot_home.resolve()
    turn = emulator.command("/hello")
    assert turn.text == "Hello @dev!"
    # users.info: the user's time zone, read once after the acknowledgement of their first request.
    assert [c.method for c in emulator.fake.calls] == ["auth.test", "users.info", "response_url"]


def test_a_third_party_test_suite_gets_the_fixtures(tmp_path: Path) -> None:
    """A project that merely depends on crewbot: pytest loads the plugin by its entry point."""
    (tmp_path / "greet.py").write_text(
        textwrap.dedent("""\
        from bot import hookimpl
        from bot.slack.registry import SlashCommand

        def greet(respond, command):
            respond("Greetings, " + (command["text"] or "stranger"))

        @hookimpl
        def register_commands():
            return [SlashCommand("/greet", greet, description="Greet someone")]
    """)
    )
    (tmp_path / "test_greet.py").write_text(
        textwrap.dedent("""\
        import greet

        def test_greet(crewbot_emulator_factory):
            emulator = crewbot_emulator_factory(plugins=[("greet", greet)], only=[])
            emulator.play('''
                /greet Ada
                expect Greetings, Ada
                as bob
                /greet
                expect stranger
            ''')
    """)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO)])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
