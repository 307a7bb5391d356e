"""Failures the user sees as a short message with a reference, and the log sees in full."""

from __future__ import annotations

import logging
import secrets
from typing import Any

logger = logging.getLogger("bot.slack")


def new_reference() -> str:
    """A short id that ties the user's error message to the log line with the details."""
    return secrets.token_hex(4)


def report(exc: BaseException, what: str) -> str:
    """Log ``exc`` with a fresh reference and return the reference."""
    from bot.metrics.slack import failed

    failed()  # counted as a failed lazy listener when this runs in one
    ref = new_reference()
    logger.error("%s failed (error reference %s): %s: %s", what, ref, type(exc).__name__, exc, exc_info=exc)
    return ref


def tell_user(body: dict[str, Any], client: Any, text: str) -> None:
    """Show ``text`` to the user behind ``body`` only: through the response URL when the payload has
    one, else as an ephemeral message in the channel, else as a DM. Never raises."""
    user_id = user_of(body)
    channel_id = channel_of(body)
    try:
        response_url = body.get("response_url") or _first_response_url(body)
        if isinstance(response_url, str) and response_url.startswith(("https://", "http://")):
            from slack_sdk.webhook import WebhookClient

            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
        elif channel_id and user_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
        elif user_id:
            client.chat_postMessage(channel=user_id, text=text)
    except Exception as exc:  # the user's message is a courtesy; its failure must not become another
        logger.warning("could not tell user %s about a failure: %s: %s", user_id, type(exc).__name__, exc)


def user_of(body: dict[str, Any]) -> str | None:
    """The Slack user id behind a payload of any kind."""
    user = body.get("user")
    if isinstance(user, dict):
        return _str(user.get("id"))
    if isinstance(user, str):
        return user
    event = body.get("event")
    if isinstance(event, dict):
        return _str(event.get("user"))
    return _str(body.get("user_id"))


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel a payload came from, when it has one."""
    channel = body.get("channel")
    if isinstance(channel, dict):
        return _str(channel.get("id"))
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("channel"), str):
        return str(event["channel"])
    return _str(body.get("channel_id"))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _first_response_url(body: dict[str, Any]) -> str | None:
    urls = body.get("response_urls")
    if isinstance(urls, list) and urls and isinstance(urls[0], dict):
        return _str(urls[0].get("response_url"))
    return None
