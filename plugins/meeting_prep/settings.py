"""``plugins.settings.meeting_prep``: the monitor's schedule and window, OAuth callback URLs, reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.api import parse_expression
from plugins.meeting_prep.monitor import MonitorOptions

if TYPE_CHECKING:
    from bot.api import Crewbot


class Settings(BaseModel):
    """Meeting preparation settings (all optional)."""

    model_config = ConfigDict(extra="forbid")

    #: How often the calendar monitor runs (EventBridge ``rate()`` / ``cron()``).
    schedule: str = "rate(2 hours)"
    days_ahead: int = Field(default=14, ge=1, le=60)
    days_behind: int = Field(default=1, ge=0, le=14)
    #: Meeting types file (default: the shipped ``config/meeting_types.yaml``).
    meeting_types_file: str | None = None
    #: In the local emulator, users who connected no calendar get this ICS calendar (``sample:NAME`` is a
    #: file in config/calendars); ``null`` turns it off. Never used with Slack tokens set (a real
    #: workspace) nor in ``runtime: aws``.
    sample_calendar: str | None = "sample:executive.ics"
    #: Public base URL of the OAuth callbacks in AWS (the API Gateway / Function URL Terraform outputs).
    oauth_base_url: str | None = None
    #: Port of the local OAuth callback server ``crewbot dev`` starts when a provider is being connected.
    local_oauth_port: int = Field(default=8765, ge=0, le=65535)
    #: Calendar-sync workers running at once (Lambda concurrency of the queue consumer in AWS; threads
    #: locally). Each syncs one user at a time.
    sync_workers: int = Field(default=20, ge=2, le=1000)
    #: Users per worker batch (SQS messages per Lambda invocation; a failed one returns alone).
    sync_batch_size: int = Field(default=5, ge=1, le=10)
    #: A worker invocation's time limit (seconds); the queue's visibility timeout is twice this.
    sync_timeout_s: int = Field(default=120, ge=10, le=900)
    #: The reminder DM goes out this long before the meeting.
    reminder_hours_before: float = Field(default=2, ge=0, le=48)
    snooze_minutes: int = Field(default=60, ge=5, le=24 * 60)
    #: Send an SMS (SNS in AWS) when the Slack notification fails and the user has a phone number.
    sms_fallback: bool = True
    #: Materials links stay valid this long (presigned S3 URLs in AWS).
    link_seconds: int = Field(default=86400, ge=60, le=7 * 86400)

    @field_validator("schedule")
    @classmethod
    def _expression(cls, value: str) -> str:
        parse_expression(value)
        return value


def settings_of(crewbot: Crewbot) -> Settings:
    return crewbot.settings_for(Settings)


def uses_sample_calendar(crewbot: Crewbot) -> bool:
    """Only the local emulator uses the sample calendar: with a Slack bot token set the users are real
    people, who must never get prep messages for fictional meetings; in AWS never."""
    return crewbot.config.runtime == "local" and not crewbot.secrets.is_set("slack_bot_token")


def monitor_options(crewbot: Crewbot) -> MonitorOptions:
    settings = settings_of(crewbot)
    fallback = settings.sample_calendar if uses_sample_calendar(crewbot) else None

    def reconnect(user_id: str, provider: str, why: str) -> None:
        from plugins.meeting_prep import notify

        notify.post(crewbot, user_id, f"I can no longer read your {provider} calendar: {why}.")

    return MonitorOptions(
        days_ahead=settings.days_ahead,
        days_behind=settings.days_behind,
        fallback_ics=fallback,
        meeting_types_file=settings.meeting_types_file,
        on_reauthorization=reconnect,
    )
