"""The agent registry: every agent spec, tool and context provider the enabled plugins contribute.

Built once per process from the plugin host and validated as a whole: an unknown tool, model profile
or prompt file, or a duplicate name, is a :class:`~bot.config.ConfigError` that names the spec (file or
plugin) and the key — at start, not on the first message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.agents.context import ContextProvider
from bot.agents.spec import AgentSpec, load_spec
from bot.agents.tools import ToolRegistration
from bot.config import ConfigError, Problem

if TYPE_CHECKING:
    from bot.agents.model_manager import ModelManager
    from bot.pluginhost import Contribution, PluginHost


@dataclass
class AgentRegistry:
    """Agents, tools and context providers by name."""

    agents: dict[str, AgentSpec] = field(default_factory=dict)
    tools: dict[str, ToolRegistration] = field(default_factory=dict)
    providers: dict[str, ContextProvider] = field(default_factory=dict)
    #: Which plugin contributed each agent / tool / provider.
    origin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_plugins(cls, host: PluginHost, models: ModelManager | None = None) -> AgentRegistry:
        """Collect and validate everything the enabled plugins registered."""
        registry = cls()
        problems: list[Problem] = []
        registry._add_tools(host.contributions("register_tools"), problems)
        registry._add_providers(host.contributions("register_context_providers"), problems)
        registry._add_agents(host.contributions("register_agents"), problems)
        problems.extend(registry.check(models))
        if problems:
            raise ConfigError(problems)
        return registry

    def _add_tools(self, contributions: Iterable[Contribution], problems: list[Problem]) -> None:
        for c in contributions:
            item: Any = c.item
            if not isinstance(item, ToolRegistration):
                problems.append(
                    Problem(
                        f"plugin {c.plugin}",
                        "register_tools",
                        f"{item!r} is not a ToolRegistration (wrap the function with "
                        "bot.agents.tools.crewbot_tool or ToolRegistration(...))",
                    )
                )
                continue
            if item.name in self.tools:
                problems.append(
                    Problem(
                        f"plugin {c.plugin}",
                        "register_tools",
                        f"tool {item.name!r} is already registered by plugin {self.origin['tool:' + item.name]}",
                    )
                )
                continue
            self.tools[item.name] = item
            self.origin["tool:" + item.name] = c.plugin

    def _add_providers(self, contributions: Iterable[Contribution], problems: list[Problem]) -> None:
        for c in contributions:
            item: Any = c.item
            if not isinstance(item, ContextProvider):
                problems.append(
                    Problem(
                        f"plugin {c.plugin}",
                        "register_context_providers",
                        f"{item!r} is not a context provider (needs name, topics and fetch())",
                    )
                )
                continue
            if item.name in self.providers:
                problems.append(
                    Problem(
                        f"plugin {c.plugin}",
                        "register_context_providers",
                        f"context provider {item.name!r} is already registered",
                    )
                )
                continue
            self.providers[item.name] = item
            self.origin["provider:" + item.name] = c.plugin

    def _add_agents(self, contributions: Iterable[Contribution], problems: list[Problem]) -> None:
        for c in contributions:
            item: Any = c.item
            if callable(getattr(item, "refresh_registry", None)):
                continue  # a source of agents defined at runtime, merged on lookup (AgentService.refresh)
            try:
                if isinstance(item, (str, Path)):
                    spec = load_spec(Path(item))
                elif isinstance(item, AgentSpec):
                    spec = item if item.source else item.model_copy(update={"source": f"plugin {c.plugin}"})
                else:
                    problems.append(
                        Problem(
                            f"plugin {c.plugin}",
                            "register_agents",
                            f"{item!r} is neither a spec file path nor an AgentSpec",
                        )
                    )
                    continue
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            if spec.name in self.agents:
                problems.append(
                    Problem(
                        spec.source,
                        "name",
                        f"agent {spec.name!r} is already defined by {self.agents[spec.name].source}",
                    )
                )
                continue
            self.agents[spec.name] = spec
            self.origin["agent:" + spec.name] = c.plugin

    def check(self, models: ModelManager | None) -> list[Problem]:
        """Problems with cross-references: tools and model profiles the specs name."""
        problems = []
        for spec in self.agents.values():
            for i, tool in enumerate(spec.tools):
                if tool not in self.tools:
                    known = ", ".join(sorted(self.tools)) or "none registered"
                    problems.append(Problem(spec.source, f"tools.{i}", f"unknown tool {tool!r} (known: {known})"))
            if models is not None and not models.knows(spec.model):
                problems.append(
                    Problem(
                        spec.source,
                        "model",
                        f"unknown model profile {spec.model!r} (known: "
                        f"default, {', '.join(sorted(models.config.profiles))})",
                    )
                )
        return problems

    def get(self, name: str) -> AgentSpec:
        try:
            return self.agents[name]
        except KeyError:
            raise KeyError(f"no agent called {name!r} (known: {', '.join(sorted(self.agents)) or 'none'})") from None

    def providers_for(self, topic: str) -> list[ContextProvider]:
        """Providers answering ``topic``, in registration order."""
        return [p for p in self.providers.values() if topic in p.topics]
