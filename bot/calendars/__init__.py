"""Calendars: the provider interface and connections with encrypted tokens.

Providers (Google, Microsoft 365, ICS) are plugins returning :class:`CalendarProvider` objects from
``register_calendar_providers``; this package holds what they share:

* :mod:`bot.calendars.events` — :class:`CalendarEvent` (what a provider reports) and :class:`SyncResult`.
* :mod:`bot.calendars.connections` — a user's connection to a provider: encrypted tokens, sync cursor.
* :mod:`bot.calendars.crypto` — token encryption at rest (KMS in AWS, a Fernet key file locally).
* :mod:`bot.calendars.zones` — Windows and custom time-zone names → IANA zones, never failing.
* :mod:`bot.calendars.throttle` — rate-limit answers: ``Retry-After``, bounded retries, :class:`ProviderThrottled`.

The sync itself (monitor, classification, the OAuth flow) belongs to the ``meeting_prep`` plugin.
"""

from bot.calendars.events import (
    CalendarEvent,
    CalendarProvider,
    ProviderError,
    ProviderThrottled,
    ReauthorizationRequired,
    SyncResult,
)

__all__ = [
    "CalendarEvent",
    "CalendarProvider",
    "ProviderError",
    "ProviderThrottled",
    "ReauthorizationRequired",
    "SyncResult",
]
