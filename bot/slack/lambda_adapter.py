"""Bolt's AWS Lambda adapter behind the front door's screen (:mod:`bot.slack.guard`).

The screen verifies every POST's signature and parses its body; Bolt then dispatches that parsed body
(:class:`ScreenedRequest`) instead of parsing the raw body and verifying the signature a second time.
Bolt's own signature check stays in place for any other HTTP request that reaches the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_bolt.adapter.aws_lambda.handler import to_aws_response
from slack_bolt.middleware.request_verification import RequestVerification

from bot.slack.errors import new_reference
from bot.slack.guard import Admitted, Refusal, admit

logger = logging.getLogger(__name__)


class ScreenedRequest(BoltRequest):
    """An HTTP ``BoltRequest`` built from what the screen admitted: the parsed body it checked, the
    signed text as the raw body. Only :class:`GuardedRequestHandler` creates one, after the screen
    verified the signature."""

    def __init__(
        self,
        admitted: Admitted,
        *,
        headers: dict[str, Any] | None,
        query: Any = None,
        context: dict[str, Any] | None = None,
    ):
        # Bolt accepts an already parsed body only in its Socket Mode form; everything else it derives
        # (normalized headers, context ids, lazy-listener fields) is the same, so mode and raw body are
        # set to the HTTP request's afterwards.
        super().__init__(body=admitted.body, query=query, headers=headers, context=context, mode="socket_mode")
        self.mode = "http"
        self.raw_body = admitted.text
        self.admitted = admitted

    def to_copyable(self) -> BoltRequest:
        """The copy Bolt hands a lazy listener, without parsing the body again (Bolt deep-copies it)."""
        return ScreenedRequest(
            self.admitted, headers=self.headers, query=self.query, context=self.context.to_copyable()
        )


class ScreenedRequestVerification(RequestVerification):
    """Bolt's signature check, skipped for a :class:`ScreenedRequest` (the screen verified it)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        if isinstance(req, ScreenedRequest):
            return next()
        return super().process(req=req, resp=resp, next=next)


def _verify_once(app: App) -> None:
    # Bolt offers no public way to swap a built-in middleware; the list is where App keeps them, in order.
    middleware = app._middleware_list
    for i, item in enumerate(middleware):
        if type(item) is RequestVerification:
            middleware[i] = ScreenedRequestVerification(item._signing_secret, base_logger=app._base_logger)


class GuardedRequestHandler(SlackRequestHandler):
    """``SlackRequestHandler`` that answers unsigned requests with 401 and malformed signed ones with
    400 before Bolt sees them, dispatches the rest as the screen parsed them, and never lets an
    exception out of :meth:`handle`."""

    def __init__(self, app: App, signing_secret: str):
        super().__init__(app)
        self._signing_secret = signing_secret
        _verify_once(app)

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        admitted = admit(event, self._signing_secret)
        if isinstance(admitted, Refusal):
            logger.info("refused a Slack request with %d: %s", admitted.status, admitted.reason)
            return admitted.lambda_response()
        try:
            if admitted is None:  # not a POST: Bolt's adapter answers it (404)
                response: dict[str, Any] = super().handle(event, context)
            else:
                response = self._dispatch(event, context, admitted)
        except Exception as exc:
            # The screen admits only signed requests of Slack's shapes; one Bolt still cannot take is
            # answered as malformed (a 5xx would make Slack redeliver it) and logged in full.
            ref = new_reference()
            logger.error("Slack request failed inside Bolt (error reference %s): %s", ref, exc, exc_info=exc)
            return Refusal(400, "unprocessable").lambda_response()
        if int(response.get("statusCode") or 0) >= 500:
            # Bolt answers 500 when its own processing of a signed request fails (handlers run inside
            # Crewbot's error boundary and never get here); redelivering it would fail the same way.
            logger.error(
                "Bolt could not process a signed Slack request (HTTP %s): answered 400", response["statusCode"]
            )
            return Refusal(400, "unprocessable").lambda_response()
        return response

    def _dispatch(self, event: dict[str, Any], context: Any, admitted: Admitted) -> dict[str, Any]:
        """What ``SlackRequestHandler.handle`` does with a POST, on the screen's parse of it."""
        headers: dict[str, Any] = event["headers"]
        cookies = event.get("cookies") or []
        if not cookies:
            multi = event.get("multiValueHeaders") or {}
            cookies = multi.get("cookie") or multi.get("Cookie") or []
        # Bolt's adapter adds the cookies to the event's own headers, which the lazy re-invocation carries.
        headers["cookie"] = cookies
        request = ScreenedRequest(admitted, headers=headers, query=event.get("queryStringParameters"))
        request.context["aws_lambda_function_name"] = context.function_name
        request.context["aws_lambda_invoked_function_arn"] = context.invoked_function_arn
        request.context["lambda_request"] = event
        return to_aws_response(self.app.dispatch(request))
