"""Calendars: the provider interface, connections with encrypted tokens, classification and the monitor.

Providers (Google, Microsoft 365, ICS) are plugins returning :class:`CalendarProvider` objects from
``register_calendar_providers``; this package holds what they share:

* :mod:`bot.calendars.events` — :class:`CalendarEvent` (what a provider reports) and :class:`SyncResult`.
* :mod:`bot.calendars.connections` — a user's connection to a provider: encrypted tokens, sync cursor.
* :mod:`bot.calendars.crypto` — token encryption at rest (KMS in AWS, a Fernet key file locally).
* :mod:`bot.calendars.oauth` — single-use, expiring OAuth ``state`` values bound to a Slack user.
* :mod:`bot.calendars.classify` — meeting types from ``config/meeting_types.yaml``.
* :mod:`bot.calendars.monitor` — the sync: fetch, diff by external id, batch write, emit prep events.
"""

from bot.calendars.events import CalendarEvent, CalendarProvider, ProviderError, ReauthorizationRequired, SyncResult

__all__ = ["CalendarEvent", "CalendarProvider", "ProviderError", "ReauthorizationRequired", "SyncResult"]
