"""Bolt's AWS Lambda adapter behind the front door's screen (:mod:`bot.slack.guard`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler

from bot.slack.errors import new_reference
from bot.slack.guard import Refusal, screen

logger = logging.getLogger(__name__)


class GuardedRequestHandler(SlackRequestHandler):
    """``SlackRequestHandler`` that answers unsigned requests with 401 and malformed signed ones with
    400 before Bolt parses them, and never lets an exception out of :meth:`handle`."""

    def __init__(self, app: App, signing_secret: str):
        super().__init__(app)
        self._signing_secret = signing_secret

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        refusal = screen(event, self._signing_secret)
        if refusal is not None:
            logger.info("refused a Slack request with %d: %s", refusal.status, refusal.reason)
            return refusal.lambda_response()
        try:
            response: dict[str, Any] = super().handle(event, context)
        except Exception as exc:
            # The screen admits only signed requests of Slack's shapes; one Bolt still cannot take is
            # answered as malformed (a 5xx would make Slack redeliver it) and logged in full.
            ref = new_reference()
            logger.error("Slack request failed inside Bolt (error reference %s): %s", ref, exc, exc_info=exc)
            return Refusal(400, "unprocessable").lambda_response()
        if int(response.get("statusCode") or 0) >= 500:
            # Bolt answers 500 when its own parsing of a signed request fails (handlers run inside
            # Crewbot's error boundary and never get here); redelivering it would fail the same way.
            logger.error(
                "Bolt could not process a signed Slack request (HTTP %s): answered 400", response["statusCode"]
            )
            return Refusal(400, "unprocessable").lambda_response()
        return response
