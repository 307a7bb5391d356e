"""A test plugin: two delegable specialists whose tools must run at the same time, and a guarded tool.

``alpha_report`` and ``beta_report`` both wait at one barrier: they return only if the other is
running too, so an answer from both proves the two delegations overlapped in time.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.api import AgentSpec, crewbot_tool, hookimpl

BARRIER = threading.Barrier(2, timeout=20)
SEEN: list[str] = []


def reset() -> None:
    global BARRIER
    BARRIER = threading.Barrier(2, timeout=20)
    SEEN.clear()


def _meet(name: str) -> dict[str, Any]:
    SEEN.append(name)
    BARRIER.wait()  # raises BrokenBarrierError after the timeout if the other delegation is not running
    return {"figure": f"{name} 42", "overlapped": True}


@crewbot_tool(side_effects="read")
def alpha_report() -> dict[str, Any]:
    """Report the alpha figures."""
    return _meet("alpha")


@crewbot_tool(side_effects="read")
def beta_report() -> dict[str, Any]:
    """Report the beta figures."""
    return _meet("beta")


@crewbot_tool(side_effects="read", required_role="finance")
def payroll_report() -> dict[str, Any]:
    """Report the payroll figures."""
    return {"payroll": "secret"}


@hookimpl
def register_tools() -> list[Any]:
    return [alpha_report, beta_report, payroll_report]


@hookimpl
def register_agents() -> list[AgentSpec]:
    return [
        AgentSpec(
            name="alpha",
            description="Alpha analyst: reports alpha figures.",
            system_prompt="Report alpha figures.",
            tools=["alpha_report"],
            delegable=True,
        ),
        AgentSpec(
            name="beta",
            description="Beta analyst: reports beta figures.",
            system_prompt="Report beta figures.",
            tools=["beta_report"],
            delegable=True,
        ),
    ]
