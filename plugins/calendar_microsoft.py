"""The Microsoft 365 provider: msal for OAuth, Microsoft Graph ``calendarView/delta`` for incremental sync.

* Connect: ``/prep connect microsoft`` → msal's authorization URL (scopes ``Calendars.Read``,
  ``offline_access`` is added by msal) → the callback exchanges the code with
  ``acquire_token_by_authorization_code``; tokens are stored encrypted. Client id and secret come from the
  secret ``microsoft_oauth_client`` (JSON ``{"client_id", "client_secret", "tenant"?}``).
* Expired access tokens are refreshed with ``acquire_token_by_refresh_token``.
* Sync: ``GET /me/calendarView/delta?startDateTime&endDateTime`` (times in UTC via
  ``Prefer: outlook.timezone="UTC"``), following ``@odata.nextLink`` pages to the ``@odata.deltaLink``,
  which is stored and requested next time for the changes only (deleted events come as ``@removed``).
  A delta link is bound to its window, so the full listing reaches a week beyond the look-ahead and
  the window end it covers is stored; when the look-ahead passes it — or Graph answers 410 /
  ``SyncStateNotFound`` — the sync starts over as a full listing.
* ``originalStartTimeZone`` (a Windows zone name) is mapped to IANA (:mod:`bot.calendars.zones`).
* 429 and 5xx are retried briefly, honouring ``Retry-After`` (seconds or an HTTP date); a longer wait
  raises ``ProviderThrottled`` so the user is synced again later instead of blocking a worker.
"""

from __future__ import annotations

import json
import logging
import time as time_module
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.api import (
    RETRY_STATUSES,
    Attendee,
    Backoff,
    CalendarEvent,
    ConnectionRepository,
    ProviderError,
    ReauthorizationRequired,
    SyncResult,
    hookimpl,
    resolve_zone,
    retry_after,
)

if TYPE_CHECKING:
    from bot.api import Connection, Crewbot

logger = logging.getLogger(__name__)

GRAPH = "https://graph.microsoft.com/v1.0"
SCOPES = ["Calendars.Read", "User.Read"]
#: How far beyond the look-ahead a full listing reaches: the delta link then serves this long.
LIST_AHEAD = timedelta(days=7)


def _client(crewbot: Crewbot, secret: str) -> dict[str, str]:
    raw = crewbot.secrets.get(secret)
    if not raw:
        raise ProviderError(
            f"the secret {secret} is not set ({crewbot.secrets.describe(secret)}); "
            'it holds {"client_id": ..., "client_secret": ..., "tenant": "common"}'
        )
    try:
        data = json.loads(raw)
        return {
            "client_id": str(data["client_id"]),
            "client_secret": str(data["client_secret"]),
            "tenant": str(data.get("tenant") or "common"),
        }
    except (ValueError, KeyError, TypeError):
        raise ProviderError(f"the secret {secret} must be JSON with client_id and client_secret") from None


def _graph_time(value: dict[str, Any] | None) -> datetime | None:
    if not value or not value.get("dateTime"):
        return None
    text = str(value["dateTime"]).rstrip("Z")
    moment = datetime.fromisoformat(text[:26])  # Graph gives 7 fractional digits
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


_SHOW_AS = {
    "free": "free",
    "tentative": "tentative",
    "busy": "busy",
    "oof": "out_of_office",
    "workingelsewhere": "working_elsewhere",
}


def to_event(item: dict[str, Any], account: str | None = None, warnings: list[str] | None = None) -> CalendarEvent:
    """A :class:`CalendarEvent` from a Graph ``event`` (times requested in UTC) or an ``@removed`` entry.

    ``account`` is the calendar owner's address (to mark them among the attendees); an unknown
    ``originalStartTimeZone`` adds a sentence to ``warnings``.
    """
    if "@removed" in item:
        return CalendarEvent(external_id=str(item["id"]), status="cancelled")
    start, end = _graph_time(item.get("start")), _graph_time(item.get("end"))
    organizer = ((item.get("organizer") or {}).get("emailAddress") or {}).get("address")
    owner = (account or "").lower()
    attendees, rooms = [], []
    for a in item.get("attendees", []):
        email = a.get("emailAddress") or {}
        address = str(email.get("address", ""))
        if a.get("type") == "resource":
            rooms.append(str(email.get("name") or address))
            continue
        is_self = bool(owner) and address.lower() == owner
        is_self = is_self or (bool(item.get("isOrganizer")) and bool(organizer) and address == organizer)
        attendees.append(
            Attendee(
                email=address,
                name=email.get("name", ""),
                response=(a.get("status") or {}).get("response", "unknown"),
                optional=a.get("type") == "optional",
                organizer=bool(organizer) and address == organizer,
                is_self=is_self,
            )
        )
    online = (item.get("onlineMeeting") or {}).get("joinUrl") or item.get("onlineMeetingUrl")
    # Graph names the event's zone in Windows terms ("Eastern Standard Time"); the times are UTC as asked.
    named = item.get("originalStartTimeZone")
    zone, warning = resolve_zone(str(named) if named else None)
    if warning and warnings is not None and warning not in warnings:
        warnings.append(warning)
    all_day = bool(item.get("isAllDay"))
    if all_day and start is not None:
        # An all-day event is a date: Graph gives its midnight in the zone asked for (UTC); it starts at
        # midnight of the event's own zone.
        local = ZoneInfo(zone)
        start = datetime.combine(start.date(), time(0), tzinfo=local)
        end = datetime.combine(end.date(), time(0), tzinfo=local) if end is not None else None
    show_as = _SHOW_AS.get(str(item.get("showAs") or "busy").lower(), "unknown")
    answer = str((item.get("responseStatus") or {}).get("response") or "").lower()
    return CalendarEvent(
        external_id=str(item["id"]),
        title=str(item.get("subject") or ""),
        description=str(item.get("bodyPreview") or ""),
        start=start,
        end=end,
        timezone=zone,
        all_day=all_day,
        attendees=attendees,
        organizer=organizer,
        location=((item.get("location") or {}).get("displayName") or None),
        video_link=online,
        recurrence_id=item.get("originalStart") if item.get("seriesMasterId") else None,
        status="cancelled" if item.get("isCancelled") else "confirmed",
        kind="out_of_office" if show_as == "out_of_office" else "event",
        show_as=show_as,  # type: ignore[arg-type]
        declined=answer == "declined",
        rooms=rooms,
        etag=item.get("changeKey"),
    )


class MicrosoftCalendarProvider:
    """Calendar provider ``microsoft``. ``session`` is the ``requests`` session (tests mock it with the
    ``responses`` library); ``msal_app`` builds the msal application (tests may replace it)."""

    name = "microsoft"
    label = "Microsoft 365 calendar"
    connect_kind = "oauth"
    uses_oauth = True
    connect_hint = "microsoft"

    def __init__(
        self,
        *,
        secret: str = "microsoft_oauth_client",
        page_size: int = 50,
        max_attempts: int = 3,
        list_ahead: timedelta = LIST_AHEAD,
        sleep: Callable[[float], None] = time_module.sleep,
        msal_app: Callable[[Crewbot], Any] | None = None,
    ):
        self.secret = secret
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.list_ahead = list_ahead
        self.sleep = sleep
        self.msal_app = msal_app or self._msal_app

    def _msal_app(self, crewbot: Crewbot) -> Any:
        import msal

        client = _client(crewbot, self.secret)
        return msal.ConfidentialClientApplication(
            client["client_id"],
            client_credential=client["client_secret"],
            authority=f"https://login.microsoftonline.com/{client['tenant']}",
        )

    # -- OAuth ------------------------------------------------------------------------------------

    def authorization_url(self, crewbot: Crewbot, state: str, redirect_uri: str) -> tuple[str, dict[str, Any]]:
        # msal's auth-code flow adds PKCE; the flow (with its verifier) is kept encrypted with the state.
        flow = self.msal_app(crewbot).initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri, state=state)
        return str(flow["auth_uri"]), dict(flow)

    def complete_authorization(
        self,
        crewbot: Crewbot,
        code: str,
        redirect_uri: str,
        *,
        flow: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if not flow:
            raise ProviderError("the Microsoft sign-in was not started here; run /prep connect microsoft")
        answer = self.msal_app(crewbot).acquire_token_by_auth_code_flow(flow, dict(query or {"code": code}))
        return self._tokens(crewbot, answer, {})

    def _tokens(self, crewbot: Crewbot, answer: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
        if "access_token" not in answer:
            error = answer.get("error", "unknown error")
            if error in ("invalid_grant", "interaction_required"):
                raise ReauthorizationRequired(f"Microsoft refused the grant ({error}); run /prep connect microsoft")
            raise ProviderError(f"Microsoft refused the token request ({error})")
        expiry = crewbot.clock.now() + timedelta(seconds=int(answer.get("expires_in", 3600)))
        tokens = {
            "access_token": answer["access_token"],
            "expiry": expiry.isoformat(),
            "refresh_token": answer.get("refresh_token") or old.get("refresh_token"),
        }
        account = (answer.get("id_token_claims") or {}).get("preferred_username")
        if account and not old:
            tokens["_account"] = account
        return tokens

    def _access_token(
        self, crewbot: Crewbot, tokens: dict[str, Any], force: bool = False
    ) -> tuple[str, dict[str, Any] | None]:
        expiry = tokens.get("expiry")
        if (
            not force
            and tokens.get("access_token")
            and expiry
            and datetime.fromisoformat(expiry) > crewbot.clock.now() + timedelta(minutes=1)
        ):
            return str(tokens["access_token"]), None
        if not tokens.get("refresh_token"):
            raise ReauthorizationRequired("no refresh token is stored; run /prep connect microsoft")
        answer = self.msal_app(crewbot).acquire_token_by_refresh_token(tokens["refresh_token"], SCOPES)
        new = self._tokens(crewbot, answer, tokens)
        return str(new["access_token"]), new

    # -- sync --------------------------------------------------------------------------------------

    def _get(self, crewbot: Crewbot, session: Any, url: str, token: str) -> Any:
        backoff = Backoff("Microsoft 365", attempts=self.max_attempts, sleep=self.sleep)
        while True:
            response = session.get(
                url,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={self.page_size}',
                },
                timeout=30,
            )
            if response.status_code not in RETRY_STATUSES:
                return response
            asked = retry_after(response.headers.get("Retry-After"), crewbot.clock.now())
            logger.info("Graph answered %s (Retry-After %s)", response.status_code, asked)
            backoff.wait(response.status_code, asked)  # sleeps briefly, or raises ProviderThrottled

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        """The events of ``[start, end + list_ahead]`` (a full listing) or the changes since the delta link.

        A delta link only ever reports changes inside the window it was started for, so it is used while
        that window still covers ``end``; once the look-ahead has moved past it (every ``list_ahead``) the
        sync starts over as a full listing of a new window. The stored window end is the listed one, not
        the one asked for, so that comparison is against what the cursor covers.
        """
        import requests

        tokens = ConnectionRepository(crewbot).tokens(connection)
        token, refreshed = self._access_token(crewbot, tokens)
        result = SyncResult(tokens=refreshed)
        cursor = connection.cursor
        if cursor and (connection.window_end is None or end > connection.window_end):
            cursor = None  # the delta link is bound to a window that no longer covers the look-ahead
        horizon = end + self.list_ahead
        initial = (
            GRAPH
            + "/me/calendarView/delta?"
            + urlencode(
                {
                    "startDateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "endDateTime": horizon.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        )
        session = requests.Session()
        url = cursor or initial
        result.complete = cursor is None
        result.window_end = horizon if cursor is None else connection.window_end
        events: list[CalendarEvent] = []
        refreshed_once = False
        while True:
            response = self._get(crewbot, session, url, token)
            result.requests += 1
            if response.status_code == 401 and not refreshed_once:
                token, result.tokens = self._access_token(crewbot, result.tokens or tokens, force=True)
                refreshed_once = True
                continue
            expired = response.status_code == 410 or (response.status_code == 400 and "SyncState" in response.text)
            if expired and not result.complete:
                logger.info("Graph delta for %s expired: full resync", connection.user_id)
                url, events, result.complete, result.window_end = initial, [], True, horizon
                continue
            if response.status_code == 401:
                raise ReauthorizationRequired("Microsoft 365 refused the stored sign-in; run /prep connect microsoft")
            if response.status_code != 200:
                raise ProviderError(f"Microsoft 365 answered HTTP {response.status_code} when reading the calendar")
            page = response.json()
            for item in page.get("value", []):
                try:
                    events.append(to_event(item, connection.account, result.warnings))
                except (ValueError, KeyError, TypeError):
                    result.skipped += 1
                    result.warn(f"an event ({str(item.get('subject') or 'untitled')!r}) could not be read")
            if page.get("@odata.nextLink"):
                url = page["@odata.nextLink"]
                continue
            result.cursor = page.get("@odata.deltaLink")
            break
        result.events = events
        return result


@hookimpl
def register_calendar_providers() -> list[MicrosoftCalendarProvider]:
    return [MicrosoftCalendarProvider()]
