"""The Google Calendar provider: OAuth 2.0 authorization code, encrypted tokens, incremental sync.

* Connect: ``/prep connect google`` → consent link (``access_type=offline``, read-only scope) → the
  callback exchanges the code at Google's token endpoint; tokens are stored encrypted
  (:mod:`bot.calendars.crypto`). The client id and secret come from the secret ``google_oauth_client``
  (JSON ``{"client_id": ..., "client_secret": ...}``).
* Access tokens are refreshed automatically (google-auth) when expired, and once more on a 401.
* Sync: ``events.list`` on the primary calendar with ``singleEvents=true`` through
  google-api-python-client built from its **static** discovery document (no network at build time).
  The first sync lists from the window start (``timeMin``) and stores ``nextSyncToken``; later syncs send
  ``syncToken`` and get only the changes (deletions as ``status: cancelled``). ``410 Gone`` means the
  token expired: the sync starts over as a full listing. Pages are followed with ``pageToken``; 429
  and 5xx answers are retried with exponential backoff.
"""

from __future__ import annotations

import json
import logging
import time as time_module
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.api import (
    Attendee,
    CalendarEvent,
    ConnectionRepository,
    ProviderError,
    ReauthorizationRequired,
    SyncResult,
    hookimpl,
)

if TYPE_CHECKING:
    from bot.api import Connection, Crewbot

logger = logging.getLogger(__name__)

AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPES = ("https://www.googleapis.com/auth/calendar.readonly",)
RETRY_STATUSES = {429, 500, 502, 503, 504}


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


def _time(value: dict[str, Any] | None, fallback_zone: str) -> tuple[datetime | None, bool, str]:
    """``(moment, all_day, zone)`` of a Google ``start``/``end`` object."""
    if not value:
        return None, False, fallback_zone
    zone_name = value.get("timeZone") or fallback_zone
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, zone_name = ZoneInfo("UTC"), "UTC"
    if "dateTime" in value:
        moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)), False, zone_name
    return datetime.combine(date.fromisoformat(value["date"]), time(0), tzinfo=zone), True, zone_name


def to_event(item: dict[str, Any], calendar_zone: str = "UTC") -> CalendarEvent:
    """A :class:`CalendarEvent` from a Google Calendar ``Event`` resource."""
    start, all_day, zone = _time(item.get("start"), calendar_zone)
    end, _, _ = _time(item.get("end"), calendar_zone)
    link = item.get("hangoutLink")
    for entry in (item.get("conferenceData") or {}).get("entryPoints", []):
        if entry.get("entryPointType") == "video" and not link:
            link = entry.get("uri")
    original = item.get("originalStartTime") or {}
    recurrence_id = original.get("dateTime") or original.get("date") if item.get("recurringEventId") else None
    return CalendarEvent(
        external_id=str(item["id"]),
        title=str(item.get("summary") or ""),
        description=str(item.get("description") or ""),
        start=start,
        end=end,
        timezone=zone,
        all_day=all_day,
        attendees=[
            Attendee(
                email=a.get("email", ""),
                name=a.get("displayName", ""),
                response=a.get("responseStatus", "unknown"),
                optional=bool(a.get("optional")),
                organizer=bool(a.get("organizer")),
            )
            for a in item.get("attendees", [])
        ],
        organizer=(item.get("organizer") or {}).get("email"),
        location=item.get("location"),
        video_link=link,
        recurrence_id=recurrence_id,
        status="cancelled" if item.get("status") == "cancelled" else "confirmed",
        etag=item.get("etag"),
    )


class GoogleCalendarProvider:
    """Calendar provider ``google``. ``http_factory(access_token)`` builds the HTTP object the API client
    uses (tests pass recorded responses); ``sleep`` is the backoff wait."""

    name = "google"
    label = "Google Calendar"
    uses_oauth = True

    def __init__(
        self,
        *,
        secret: str = "google_oauth_client",
        calendar_id: str = "primary",
        page_size: int = 250,
        max_attempts: int = 5,
        http_factory: Callable[[str], Any] | None = None,
        sleep: Callable[[float], None] = time_module.sleep,
    ):
        self.secret = secret
        self.calendar_id = calendar_id
        self.page_size = page_size
        self.max_attempts = max_attempts
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

    def _execute(self, request: Any) -> dict[str, Any]:
        from googleapiclient.errors import HttpError

        delay = 1.0
        for attempt in range(1, self.max_attempts + 1):
            try:
                return dict(request.execute())
            except HttpError as exc:
                if exc.resp.status not in RETRY_STATUSES or attempt == self.max_attempts:
                    raise
                logger.info("Google Calendar answered %s; retrying in %.0fs", exc.resp.status, delay)
                self.sleep(delay)
                delay = min(delay * 2, 32)
        raise AssertionError("unreachable")

    def sync(self, crewbot: Crewbot, connection: Connection, start: datetime, end: datetime) -> SyncResult:
        from googleapiclient.errors import HttpError

        tokens = ConnectionRepository(crewbot).tokens(connection)
        access_token, refreshed = self._credentials(crewbot, tokens)
        cursor = connection.cursor
        result = SyncResult(tokens=refreshed)
        service = self._service(access_token)
        for _ in range(3):
            try:
                self._list(service, cursor, start, result)
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
                raise ProviderError(f"Google Calendar answered HTTP {status}") from None
        raise ProviderError("Google Calendar kept refusing the sync")

    def _list(self, service: Any, cursor: str | None, start: datetime, result: SyncResult) -> None:
        params: dict[str, Any] = {"calendarId": self.calendar_id, "singleEvents": True, "maxResults": self.page_size}
        if cursor:
            params["syncToken"] = cursor
        else:
            params["timeMin"] = start.astimezone(UTC).isoformat().replace("+00:00", "Z")
        result.complete = not cursor
        events: list[CalendarEvent] = []
        page_token = None
        while True:
            page = self._execute(service.events().list(**params, **({"pageToken": page_token} if page_token else {})))
            result.requests += 1
            zone = page.get("timeZone") or "UTC"
            events.extend(to_event(item, zone) for item in page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                result.cursor = page.get("nextSyncToken")
                break
        result.events = events


@hookimpl
def register_calendar_providers() -> list[GoogleCalendarProvider]:
    return [GoogleCalendarProvider()]
