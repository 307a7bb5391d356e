"""Agents: declarative Strands agents, their tools, models, sessions and usage budgets.

Import cost matters here: this package and the modules the Slack ack path touches
(:mod:`bot.agents.conversation`, :mod:`bot.agents.spec`, :mod:`bot.agents.tools`) never import Strands at
module level; the agent factory, the models and the hooks import it when an agent is first built.

* :mod:`bot.agents.spec` — ``AgentSpec`` and loading ``agents/*.yaml``
* :mod:`bot.agents.tools` — ``ToolRegistration`` / ``crewbot_tool`` (side effects, required role) and ``CallContext``
* :mod:`bot.agents.context` — ``ContextProvider`` and the built-in YAML provider
* :mod:`bot.agents.parallel` — ``fetch_all``: parallel I/O with timeouts and retries for tools
* :mod:`bot.agents.registry` — ``AgentRegistry``: specs + tools + providers from plugins, validated at start
* :mod:`bot.agents.model_manager` — model profiles → Strands models, fallback chains, the offline default
* :mod:`bot.agents.offline` / :mod:`bot.agents.scripted` — the deterministic offline model and the test model
  (both speak through :mod:`bot.agents.model_events`)
* :mod:`bot.agents.sessions` — Strands session managers, chat-session metadata, per-session serialisation
* :mod:`bot.agents.usage` — usage records, budgets and ``crewbot usage`` summaries
* :mod:`bot.agents.hooks` — the Strands hooks of every agent: budgets, tool roles, audit, usage
* :mod:`bot.agents.service` — ``AgentService``: one call = one serialised, recorded agent turn
* :mod:`bot.agents.conversation` — ``AgentConversations``, the :class:`bot.slack.conversation.ConversationHandler`
"""
