"""The Google Calendar provider: OAuth 2.0 authorization code, encrypted tokens, incremental sync.

* Connect: ``/prep connect google`` → consent link (``access_type=offline``, read-only scope) → the
  callback exchanges the code at Google's token endpoint; tokens are stored encrypted
  (:mod:`bot.calendars.crypto`). The client id and secret come from the secret ``google_oauth_client``
  (JSON ``{"client_id": ..., "client_secret": ...}``).
* Access tokens are refreshed automatically (google-auth) when expired, and once more on a 401.
* Sync: ``events.list`` on the primary calendar with ``singleEvents=true`` through
  google-api-python-client built from its **static** discovery document (no network at build time).
  A full listing covers ``timeMin``..``timeMax`` (the look-ahead plus a week) and stores
  ``nextSyncToken`` and the listed window's end; later syncs send ``syncToken`` and get only the changes
  (deletions as ``status: cancelled``) until the look-ahead passes the listed window, when a new full
  listing starts. ``410 Gone`` means the token expired: the sync starts over as a full listing. Pages are
  followed with ``pageToken``.
* Zone names are mapped to IANA (:mod:`bot.calendars.zones`); ``eventType``, ``transparency``, the
  ``self`` attendee's answer and ``resource`` attendees are reported on the event.
* 429, 5xx and 403 ``rateLimitExceeded`` / ``userRateLimitExceeded`` are retried briefly (honouring
  ``Retry-After``); a longer wait raises ``ProviderThrottled`` so the user is synced again later.
"""

from __future__ import annotations

import json
import logging
import time as time_module
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
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

AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPES = ("https://www.googleapis.com/auth/calendar.readonly",)
#: 403 reasons that mean "slow down" (retried), unlike other 403s (a refusal).
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
#: How far beyond the look-ahead a full listing reaches: its sync token then serves this long.
LIST_AHEAD = timedelta(days=7)


def client_credentials(crewbot: Crewbot, secret: str) -> tuple[str, str]:
    """``(client_id, client_secret)`` from the JSON secret ``secret``."""
    raw = crewbot.secrets.get(secret)
    if not raw:
        raise ProviderError(
            f"the secret {secret} is not set ({crewbot.secrets.describe(secret)}); "
            'it holds {"client_id": ..., "client_secret": ...}'
        )
    try:
        data = json.loads(raw)
        return str(data["client_id"]), str(data["client_secret"])
    except (ValueError, KeyError, TypeError):
        raise ProviderError(f"the secret {secret} must be JSON with client_id and client_secret") from None


def _time(
    value: dict[str, Any] | None, fallback_zone: str, warnings: list[str] | None = None
) -> tuple[datetime | None, bool, str]:
    """``(moment, all_day, IANA zone)`` of a Google ``start``/``end`` object."""
    if not value:
        return None, False, fallback_zone
    named = value.get("timeZone") or fallback_zone
    moment = None
    if "dateTime" in value:
        moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    zone_name, warning = resolve_zone(named, moment if moment is not None and moment.tzinfo else None)
    if warning and warnings is not None and warning not in warnings:
        warnings.append(warning)
    zone = ZoneInfo(zone_name)
    if moment is not None:
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)), False, zone_name
    return datetime.combine(date.fromisoformat(value["date"]), time(0), tzinfo=zone), True, zone_name


#: Google's ``eventType`` → CalendarEvent.kind (``default`` and ``fromGmail`` are ordinary events).
_KINDS = {
    "outOfOffice": "out_of_office",
    "focusTime": "focus_time",
    "workingLocation": "working_location",
    "birthday": "birthday",
}


def to_event(item: dict[str, Any], calendar_zone: str = "UTC", warnings: list[str] | None = None) -> CalendarEvent:
    """A :class:`CalendarEvent` from a Google Calendar ``Event`` resource.

    Rooms and other resources (``resource: true``) are kept apart from the attendees; the calendar's
    owner is the attendee marked ``self``, and their ``responseStatus`` says whether they declined.
    """
    start, all_day, zone = _time(item.get("start"), calendar_zone, warnings)
    end, _, _ = _time(item.get("end"), calendar_zone, warnings)
    link = item.get("hangoutLink")
    for entry in (item.get("conferenceData") or {}).get("entryPoints", []):
        if entry.get("entryPointType") == "video" and not link:
            link = entry.get("uri")
    original = item.get("originalStartTime") or {}
    recurrence_id = original.get("dateTime") or original.get("date") if item.get("recurringEventId") else None
    attendees, rooms, declined = [], [], False
    for a in item.get("attendees", []):
        if a.get("resource"):
            rooms.append(str(a.get("displayName") or a.get("email") or "room"))
            continue
        if a.get("self") and a.get("responseStatus") == "declined":
            declined = True
        attendees.append(
            Attendee(
                email=a.get("email", ""),
                name=a.get("displayName", ""),
                response=a.get("responseStatus", "unknown"),
                optional=bool(a.get("optional")),
                organizer=bool(a.get("organizer")),
                is_self=bool(a.get("self")),
            )
        )
    kind = _KINDS.get(str(item.get("eventType") or "default"), "event")
    if item.get("transparency") == "transparent":
        show_as = "free"
    elif kind == "out_of_office":
        show_as = "out_of_office"
    elif kind == "working_location":
        show_as = "working_elsewhere"
    else:
        show_as = "busy"
    return CalendarEvent(
        external_id=str(item["id"]),
        title=str(item.get("summary") or ""),
        description=str(item.get("description") or ""),
        start=start,
        end=end,
        timezone=zone,
        all_day=all_day,
        attendees=attendees,
        organizer=(item.get("organizer") or {}).get("email"),
        location=item.get("location"),
        video_link=link,
        recurrence_id=recurrence_id,
        status="cancelled" if item.get("status") == "cancelled" else "confirmed",
        kind=kind,  # type: ignore[arg-type]
        show_as=show_as,  # type: ignore[arg-type]
        declined=declined,
        rooms=rooms,
        etag=item.get("etag"),
    )


class GoogleCalendarProvider:
    """Calendar provider ``google``. ``http_factory(access_token)`` builds the HTTP object the API client
    uses (tests pass recorded responses); ``sleep`` is the backoff wait."""

    name = "google"
    label = "Google Calendar"
    connect_kind = "oauth"
    uses_oauth = True
    connect_hint = "google"

    def __init__(
        self,
        *,
        secret: str = "google_oauth_client",
        calendar_id: str = "primary",
        page_size: int = 250,
        max_attempts: int = 3,
        list_ahead: timedelta = LIST_AHEAD,
        http_factory: Callable[[str], Any] | None = None,
        sleep: Callable[[float], None] = time_module.sleep,
    ):
        self.secret = secret
        self.calendar_id = calendar_id
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.list_ahead = list_ahead
        self.http_factory = http_factory or self._authorized_http
        self.sleep = sleep

    # -- OAuth ------------------------------------------------------------------------------------

    def authorization_url(self, crewbot: Crewbot, state: str, redirect_uri: str) -> str:
        client_id, _ = client_credentials(crewbot, self.secret)
        return (
            AUTH_URL
            + "?"
            + urlencode(
                {
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": " ".join(SCOPES),
                    "access_type": "offline",
                    "prompt": "consent",
                    "include_granted_scopes": "true",
                    "state": state,
                }
            )
        )

    def complete_authorization(
        self,
        crewbot: Crewbot,
        code: str,
        redirect_uri: str,
        *,
        flow: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        import requests

        client_id, client_secret = client_credentials(crewbot, self.secret)
        response = requests.post(
            TOKEN_URL,
            data={
                "code": code,
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
            },
            timeout=20,
        )
        if response.status_code != 200:
            raise ProviderError(f"Google refused the authorization code (HTTP {response.status_code})")
        answer = response.json()
        if not answer.get("refresh_token"):
            raise ProviderError("Google returned no refresh token; remove Crewbot's access and connect again")
        now = crewbot.clock.now()
        return {
            "access_token": answer["access_token"],
            "refresh_token": answer["refresh_token"],
            "expiry": (now + timedelta(seconds=int(answer.get("expires_in", 3600)))).isoformat(),
            "scope": answer.get("scope", " ".join(SCOPES)),
        }

    def _credentials(self, crewbot: Crewbot, tokens: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """A valid access token, refreshing it when expired; and the new tokens to store, if refreshed."""
        expiry = tokens.get("expiry")
        now = crewbot.clock.now()
        if tokens.get("access_token") and expiry and datetime.fromisoformat(expiry) > now + timedelta(minutes=1):
            return str(tokens["access_token"]), None
        return self._refresh(crewbot, tokens)

    def _refresh(self, crewbot: Crewbot, tokens: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2.credentials import Credentials

        if not tokens.get("refresh_token"):
            raise ReauthorizationRequired("no refresh token is stored; run /prep connect google")
        client_id, client_secret = client_credentials(crewbot, self.secret)
        credentials = Credentials(
            None,
            refresh_token=tokens["refresh_token"],
            token_uri=TOKEN_URL,
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(SCOPES),
        )
        try:
            credentials.refresh(google.auth.transport.requests.Request())
        except google.auth.exceptions.RefreshError as exc:
            raise ReauthorizationRequired(
                f"Google refused the refresh token ({exc.args[0] if exc.args else exc}); run /prep connect google"
            ) from None
        expiry = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else crewbot.clock.now()
        new = {**tokens, "access_token": credentials.token, "expiry": expiry.isoformat()}
        return str(credentials.token), new

    @staticmethod
    def _authorized_http(access_token: str) -> Any:
        import httplib2

        http = httplib2.Http(timeout=30)
        original = http.request

        def request(
            uri: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
        ) -> Any:
            headers = {**(headers or {}), "Authorization": f"Bearer {access_token}"}
            return original(uri, method, body=body, headers=headers, **kwargs)

        http.request = request
        return http

    # -- sync --------------------------------------------------------------------------------------

    def _service(self, access_token: str) -> Any:
        from googleapiclient.discovery import build

        return build(
            "calendar", "v3", http=self.http_factory(access_token), static_discovery=True, cache_discovery=False
        )

    def _execute(self, crewbot: Crewbot, request: Any) -> dict[str, Any]:
        from googleapiclient.errors import HttpError

        backoff = Backoff("Google Calendar", attempts=self.max_attempts, sleep=self.sleep)
        while True:
            try:
                return dict(request.execute())
            except HttpError as exc:
                status = exc.resp.status
                if status not in RETRY_STATUSES and not (status == 403 and _rate_limited(exc)):
                    raise
                asked = retry_after(exc.resp.get("retry-after"), crewbot.clock.now())
                logger.info("Google Calendar answered %s (Retry-After %s)", status, asked)
                backoff.wait(status, asked)  # sleeps briefly, or raises ProviderThrottled

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        """The events of ``[start, end + list_ahead]`` (a full listing) or the changes since the sync token.

        Changes reported with the sync token cover all time, but events that already existed beyond the
        listed window never change and so never arrive: the sync token is used while the listed window
        still covers ``end``, and a full listing of a new window starts once the look-ahead has passed it.
        """
        from googleapiclient.errors import HttpError

        tokens = ConnectionRepository(crewbot).tokens(connection)
        access_token, refreshed = self._credentials(crewbot, tokens)
        cursor = connection.cursor
        if cursor and (connection.window_end is None or end > connection.window_end):
            cursor = None  # the listed window no longer covers the look-ahead: list it again
        horizon = end + self.list_ahead
        result = SyncResult(tokens=refreshed)
        service = self._service(access_token)
        for _ in range(3):
            try:
                self._list(crewbot, service, cursor, start, horizon, result)
                result.window_end = horizon if result.complete else connection.window_end
                return result
            except HttpError as exc:
                status = exc.resp.status
                if status == 410 and cursor:
                    logger.info("Google sync token for %s expired: full resync", connection.user_id)
                    cursor, result.events, result.complete = None, [], True
                    continue
                if status == 401:
                    access_token, result.tokens = self._refresh(crewbot, result.tokens or tokens)
                    service = self._service(access_token)
                    continue
                raise ProviderError(f"Google Calendar answered HTTP {status} when reading the calendar") from None
        raise ProviderError("Google Calendar kept refusing to sync the calendar")

    def _list(
        self, crewbot: Crewbot, service: Any, cursor: str | None, start: datetime, end: datetime, result: SyncResult
    ) -> None:
        params: dict[str, Any] = {"calendarId": self.calendar_id, "singleEvents": True, "maxResults": self.page_size}
        if cursor:
            params["syncToken"] = cursor  # Google refuses timeMin/timeMax together with a sync token
        else:
            params["timeMin"] = start.astimezone(UTC).isoformat().replace("+00:00", "Z")
            params["timeMax"] = end.astimezone(UTC).isoformat().replace("+00:00", "Z")
        result.complete = not cursor
        events: list[CalendarEvent] = []
        page_token = None
        while True:
            page = self._execute(
                crewbot, service.events().list(**params, **({"pageToken": page_token} if page_token else {}))
            )
            result.requests += 1
            zone = page.get("timeZone") or "UTC"
            for item in page.get("items", []):
                try:
                    events.append(to_event(item, zone, result.warnings))
                except (ValueError, KeyError, TypeError):
                    result.skipped += 1
                    result.warn(f"an event ({str(item.get('summary') or 'untitled')!r}) could not be read")
            page_token = page.get("nextPageToken")
            if not page_token:
                result.cursor = page.get("nextSyncToken")
                break
        result.events = events


def _rate_limited(exc: Any) -> bool:
    """Whether a 403 is Google's rate limit (``rateLimitExceeded`` / ``userRateLimitExceeded``), not a refusal."""
    try:
        details = json.loads(exc.content.decode() if isinstance(exc.content, bytes) else exc.content)
        reasons = {e.get("reason") for e in (details.get("error") or {}).get("errors", [])}
    except (ValueError, AttributeError, TypeError):
        return False
    return bool(reasons & RATE_LIMIT_REASONS)


@hookimpl
def register_calendar_providers() -> list[GoogleCalendarProvider]:
    return [GoogleCalendarProvider()]
