"""The core plugin: contributes the agents and workflows shipped with Crewbot."""

from __future__ import annotations

from pathlib import Path

from bot.api import data_dir, hookimpl


@hookimpl
def register_workflows() -> list[Path]:
    return sorted(data_dir("workflows").glob("*.asl.json"))


@hookimpl
def register_agents() -> list[Path]:
    return sorted(data_dir("agents").glob("*.yaml"))
