"""Project delivery (issue 7): a crew of agents works from a Statement of Work, phase by phase.

Module map:

* :mod:`bot.projects.sow` — reading SOW files (text, Markdown, PDF, DOCX) and parsing them.
* :mod:`bot.projects.artifacts` — the per-project artifact store (git locally, S3 + commit log in AWS)
  and the crew's write scopes.
* :mod:`bot.projects.crew` — the phases (agents, Swarm limits, deliverables) and the artifact templates.
* :mod:`bot.projects.tools` — the crew's Strands tools (ledger, artifacts, questions, lessons, patterns).
* :mod:`bot.projects.offline_crew` — the deterministic playbook model used without AI credentials.
* :mod:`bot.projects.runner` — running and resuming a phase's Swarm.
* :mod:`bot.projects.items` — runs, gates, questions and lessons (``project_items``); the patterns table.
* :mod:`bot.projects.patterns` — the pattern library.
* :mod:`bot.projects.service` — the project service (``project_service(crewbot)``): create, decide, answer.
* :mod:`bot.projects.workflow_tasks` — the task handlers of ``workflows/project_phases.asl.json``.
* :mod:`bot.projects.slack_ui` — Block Kit for gates, questions and modals; posting from workflows.

The Slack side and the registrations are in the ``projects`` plugin (``plugins/projects``).
"""
