"""OAuth 2.0 authorization-code flow for calendar providers, started from Slack.

``/prep connect google`` calls :func:`start_authorization`: a random ``state`` (256 bits) is stored in
table ``oauth_states`` bound to the Slack user and provider, expiring after 10 minutes, and the user gets
the provider's consent link in a DM. The provider redirects to ``/oauth/<provider>/callback`` (served
by the Slack Lambda in AWS and by ``crewbot dev``'s local callback server), where
:func:`complete_authorization` consumes the state — a conditional delete, so it works once — exchanges
the code, and stores the tokens encrypted on the user's connection.
"""

from __future__ import annotations

import html
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field

from bot.api import (
    CalendarProvider,
    ConflictError,
    ConnectionRepository,
    NotFoundError,
    Record,
    Repository,
    TableSpec,
    Timestamp,
    cipher_for,
)

if TYPE_CHECKING:
    from bot.api import Crewbot

logger = logging.getLogger(__name__)

OAUTH_STATES = TableSpec(
    "oauth_states",
    pk="state",
    ttl="expires_at",
    description="Pending OAuth authorizations: single-use state values bound to a Slack user, expiring.",
)

STATE_LIFETIME = timedelta(minutes=10)
CALLBACK_PATH = "/oauth/{provider}/callback"


class OAuthError(Exception):
    """The authorization could not be completed (bad, expired or reused state; refused consent ...)."""


class OAuthState(Record):
    state: str = Field(min_length=20)
    user_id: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    redirect_uri: str
    expires_at: int  # epoch seconds (the table's TTL attribute)
    #: Provider state kept between the two legs (msal's auth-code flow with its PKCE verifier), encrypted.
    flow_encrypted: str | None = None
    created_at: Timestamp | None = None


class OAuthStateRepository(Repository[OAuthState]):
    model = OAuthState
    spec = OAUTH_STATES

    def consume(self, state: str, now_epoch: int) -> OAuthState:
        """The pending authorization for ``state``, deleted so it can never be used again."""
        found = self._get({"state": state})
        if found is None:
            raise OAuthError("this authorization link is unknown, expired or already used; run /prep connect again")
        try:
            self._delete({"state": state}, found.version)
        except (ConflictError, NotFoundError):
            raise OAuthError("this authorization link was already used; run /prep connect again") from None
        if found.expires_at <= now_epoch:
            raise OAuthError("this authorization link expired; run /prep connect again")
        return found


def states(crewbot: Crewbot) -> OAuthStateRepository:
    return OAuthStateRepository(crewbot.store.table(OAUTH_STATES), crewbot.clock.now)


def calendar_providers(crewbot: Crewbot) -> list[CalendarProvider]:
    """The registered calendar providers, in plugin order."""
    return [item for item in crewbot.plugins.items("register_calendar_providers") if getattr(item, "name", None)]


def provider_named(crewbot: Crewbot, name: str) -> CalendarProvider | None:
    for item in calendar_providers(crewbot):
        if item.name == name:
            return item
    return None


def connect_kind(provider: CalendarProvider) -> str:
    """``"oauth"`` or ``"url"``: how a user connects this provider (``uses_oauth`` for older providers)."""
    kind = getattr(provider, "connect_kind", None)
    return str(kind) if kind in ("oauth", "url") else ("oauth" if getattr(provider, "uses_oauth", False) else "url")


def connect_hint(provider: CalendarProvider) -> str:
    """What follows ``/prep connect`` for this provider (``google``; ``ics URL``)."""
    hint = getattr(provider, "connect_hint", None)
    if isinstance(hint, str) and hint:
        return hint
    return provider.name + (" URL" if connect_kind(provider) == "url" else "")


def redirect_uri(crewbot: Crewbot, provider: str, base_url: str) -> str:
    return base_url.rstrip("/") + CALLBACK_PATH.format(provider=provider)


def start_authorization(crewbot: Crewbot, user_id: str, provider: CalendarProvider, base_url: str) -> str:
    """Store a fresh state for ``user_id`` and return the provider's consent URL."""
    now = crewbot.clock.now()
    state = secrets.token_urlsafe(32)
    uri = redirect_uri(crewbot, provider.name, base_url)
    answer = provider.authorization_url(crewbot, state, uri)
    url, flow = answer if isinstance(answer, tuple) else (answer, None)
    states(crewbot).save(
        OAuthState(
            state=state,
            user_id=user_id,
            provider=provider.name,
            redirect_uri=uri,
            expires_at=int((now + STATE_LIFETIME).timestamp()),
            flow_encrypted=cipher_for(crewbot).encrypt(user_id, flow) if flow else None,
        )
    )
    return url


@dataclass
class CallbackOutcome:
    ok: bool
    message: str
    user_id: str | None = None


def complete_authorization(crewbot: Crewbot, provider_name: str, query: dict[str, str]) -> CallbackOutcome:
    """Handle the provider's redirect: check the state, exchange the code, store the tokens encrypted."""
    state = query.get("state", "")
    if not state:
        return CallbackOutcome(False, "The request has no state parameter.")
    try:
        pending = states(crewbot).consume(state, int(crewbot.clock.now().timestamp()))
    except OAuthError as exc:
        return CallbackOutcome(False, str(exc).capitalize() + ".")
    if pending.provider != provider_name:
        return CallbackOutcome(False, "This authorization was started for another calendar.", pending.user_id)
    if query.get("error"):
        return CallbackOutcome(False, f"The calendar refused access: {query['error']}.", pending.user_id)
    provider = provider_named(crewbot, provider_name)
    if provider is None:
        return CallbackOutcome(False, f"No calendar provider {provider_name!r} is enabled.", pending.user_id)
    code = query.get("code", "")
    if not code:
        return CallbackOutcome(False, "The request has no authorization code.", pending.user_id)
    try:
        flow = cipher_for(crewbot).decrypt(pending.user_id, pending.flow_encrypted) if pending.flow_encrypted else None
        tokens: dict[str, Any] = provider.complete_authorization(
            crewbot, code, pending.redirect_uri, flow=flow, query=query
        )
    except Exception as exc:
        logger.warning("OAuth code exchange for %s (%s) failed: %s", pending.user_id, provider_name, type(exc).__name__)
        return CallbackOutcome(
            False, f"Exchanging the authorization code failed ({type(exc).__name__}).", pending.user_id
        )
    account = tokens.pop("_account", None)
    ConnectionRepository(crewbot).connect(pending.user_id, provider_name, tokens=tokens, account=account)
    crewbot.records.audit.record(f"user#{pending.user_id}", pending.user_id, "calendar.connect", provider_name)
    return CallbackOutcome(True, f"Your {provider.label} is connected. You can close this tab.", pending.user_id)


def callback_page(outcome: CallbackOutcome) -> str:
    title = "Connected" if outcome.ok else "Not connected"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Crewbot: {title}</title></head>"
        f"<body><h1>{title}</h1><p>{html.escape(outcome.message)}</p></body></html>"
    )
