"""Crewbot's own CloudWatch metrics, written as Embedded Metric Format (EMF) lines on stdout.

In Lambda, a JSON line on stdout with an ``_aws`` member becomes metrics in CloudWatch without any API
call; locally the same line is only a log line. Nothing here imports boto3 or Powertools, so the Slack
acknowledgement path can afford it.

* :mod:`bot.metrics.emf` — build and print one EMF record (several dimension sets, chosen metrics each)
* :mod:`bot.metrics.pricing` — the per-model price table (``models.prices``) and the turn cost estimate
* :mod:`bot.metrics.slack` — ack latency and lazy-listener failures of the Slack entry point
* :mod:`bot.metrics.human_waits` — workflow steps waiting for a person, and the gauge published of them
"""
