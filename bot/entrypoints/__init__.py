"""AWS Lambda entry points: thin modules that build the runtime and hand an invocation to the platform.

* :mod:`bot.entrypoints.slack` — Slack requests and plain HTTP routes (API Gateway).
* :mod:`bot.entrypoints.workflows` — one workflow task per function (Step Functions).
* :mod:`bot.entrypoints.events` — schedules (EventBridge Scheduler) and event handlers (EventBridge rules).
"""
