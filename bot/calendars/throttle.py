"""Rate limits as calendar providers document them: ``Retry-After`` and a short, bounded retry.

Google and Microsoft Graph answer 429 (Google also 403 with reason ``rateLimitExceeded`` /
``userRateLimitExceeded``) and 5xx when a caller goes too fast; ``Retry-After`` gives the wait in seconds
or as an HTTP date. A sync waits only briefly (:class:`Backoff`: a few tries, a few seconds in all):
when the provider asks for longer or keeps refusing, :class:`~bot.calendars.events.ProviderThrottled`
says when to try again, so one user's throttling never holds up a worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.calendars.events import ProviderThrottled

#: Statuses worth retrying (with backoff) on any provider.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` if absent/invalid."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Backoff:
    """A bounded retry budget for one sync: ``attempts`` tries, at most ``max_wait`` seconds per wait and
    ``budget`` seconds of waiting in all. :meth:`wait` sleeps or raises ProviderThrottled."""

    provider: str
    attempts: int = 3
    first: float = 1.0
    max_wait: float = 4.0
    budget: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0
    tries: int = field(default=0)

    def wait(self, status: int, asked: float | None) -> None:
        """The provider refused (``status``), asking for ``asked`` seconds (or not): wait briefly, or raise."""
        self.tries += 1
        delay = asked if asked is not None else self.first * (2 ** (self.tries - 1))
        if self.tries >= self.attempts or delay > self.max_wait or self.waited + delay > self.budget:
            later = max(delay, 30.0 if asked is None else asked)
            what = "is limiting requests" if status in (403, 429) else "is not answering"
            raise ProviderThrottled(
                f"{self.provider} {what} (HTTP {status}); the calendar is synced again in about {later:.0f} s",
                retry_after=later,
            )
        self.waited += delay
        self.sleep(delay)
