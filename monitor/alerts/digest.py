"""Digest schedules, pure: when a scheduled digest is due (``digest = "daily 08:00"``, ``"weekly mon 08:00"``).

A channel's ``digest`` is ``false`` (one message per event), ``true`` (one message per delivery pass:
every run, or every ``schedule.alerts_seconds`` in the daemon, listing what is due), or a schedule in
the channel's ``digest_timezone`` (an IANA name, default ``UTC``). With a schedule, the outbox holds a
channel's events as ``pending`` until the schedule's next due time after each event
(:meth:`DigestSchedule.next_due`), so every event of one period is due at the same moment and goes out
in one message. Wall-clock times follow the zone's daylight-saving rules: a time that does not exist
on the day the clocks go forward is taken as that many minutes after the change, a time that happens
twice on the day they go back is the first one. APScheduler's ``CronTrigger`` walks the wall clock
(:meth:`DigestSchedule.next_due` says why not in the zone itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newswatch.monitor.alerts.settings import ChannelConfig
from newswatch.storage.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WALK = 8  # wall-clock times looked at: the day before, the day itself, the next day or week
if TYPE_CHECKING:  # APScheduler (and asyncio, tzlocal behind it) loaded when a schedule is walked, not by every run
    from apscheduler.triggers.cron import CronTrigger

FORMS = 'false, true, "daily HH:MM" or "weekly DAY HH:MM" (DAY: mon … sun)'


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``, ``UTC``); ValueError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"not an IANA time zone (like Asia/Shanghai or UTC): {name!r}") from exc


def _clock(text: str) -> tuple[int, int]:
    hour, sep, minute = text.partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and len(minute) == 2 and len(hour) <= 2):
        raise ValueError(f"expected a time as HH:MM, got {text!r}")
    if not (0 <= int(hour) < 24 and 0 <= int(minute) < 60):
        raise ValueError(f"not a time of day: {text!r}")
    return int(hour), int(minute)


def _weekday(text: str) -> int:
    word = text.casefold()
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    if word in FULL_WEEKDAYS:
        return FULL_WEEKDAYS.index(word)
    raise ValueError(f"not a day of the week (mon … sun): {text!r}")


@dataclass(frozen=True)
class DigestSchedule:
    """``daily`` or ``weekly`` (on ``weekday``, 0 = Monday) at ``hour:minute`` in the zone ``timezone``."""

    period: str
    hour: int
    minute: int
    weekday: int | None = None
    timezone: str = "UTC"

    @classmethod
    def parse(cls, text: str, timezone: str = "UTC") -> DigestSchedule:
        """``"daily 08:00"`` or ``"weekly mon 08:00"``; ValueError says what is wrong."""
        zone_of(timezone)
        words = text.split()
        if len(words) == 2 and words[0].casefold() == "daily":
            return cls("daily", *_clock(words[1]), timezone=timezone)
        if len(words) == 3 and words[0].casefold() == "weekly":
            return cls("weekly", *_clock(words[2]), weekday=_weekday(words[1]), timezone=timezone)
        raise ValueError(f"expected {FORMS}, got {text!r}")

    def describe(self) -> str:
        """``daily 08:00 Asia/Shanghai`` / ``weekly mon 08:00 UTC``."""
        day = f" {WEEKDAYS[self.weekday]}" if self.weekday is not None else ""
        return f"{self.period}{day} {self.hour:02d}:{self.minute:02d} {self.timezone}"

    def trigger(self) -> CronTrigger:
        """The schedule's wall-clock times as APScheduler's cron trigger, over UTC (where clocks never change)."""
        from apscheduler.triggers.cron import CronTrigger

        day_of_week = self.weekday if self.weekday is not None else "*"
        return CronTrigger(day_of_week=day_of_week, hour=self.hour, minute=self.minute, second=0, timezone=UTC)

    def next_due(self, after: datetime) -> datetime:
        """The first due time strictly after ``after`` (aware), in UTC.

        The cron trigger walks the wall clock of the schedule's zone from a day before ``after``; each
        wall-clock time is placed in the zone by the documented rule (its first occurrence; for a time the
        clocks skip, that many minutes after the change: Python's ``fold=0``) and the first one after
        ``after`` is due. Not CronTrigger in the zone itself: APScheduler 3.x there fires a repeated time
        twice, misses a skipped time once ``after`` is past the change, and after a change at midnight
        skips the next day (it adds wall-clock differences as UTC durations).
        """
        zone, trigger = zone_of(self.timezone), self.trigger()
        wall = after.astimezone(zone).replace(tzinfo=UTC) - timedelta(days=1)
        candidate: datetime | None = trigger.get_next_fire_time(None, wall)
        for _ in range(_WALK):
            if candidate is None:
                break
            due = candidate.replace(tzinfo=zone, fold=0).astimezone(UTC)
            if due > after:
                return due
            candidate = trigger.get_next_fire_time(candidate, candidate)
        raise AssertionError(f"no due time for {self.describe()} after {after.isoformat()}")


def parse_digest(value: bool | str, timezone: str) -> tuple[bool, DigestSchedule | None]:
    """A channel's ``digest`` value: (messages list several events, the schedule when there is one)."""
    if isinstance(value, bool):
        zone_of(timezone)
        return value, None
    return True, DigestSchedule.parse(value, timezone)


def digest_of(config: ChannelConfig, where: str) -> tuple[bool, DigestSchedule | None]:
    """A channel's ``digest`` and ``digest_timezone``, checked; ConfigError names the key."""
    try:
        zone_of(config.digest_timezone)
    except ValueError as exc:
        raise ConfigError(f"{where}.digest_timezone", str(exc)) from exc
    try:
        return parse_digest(config.digest, config.digest_timezone)
    except ValueError as exc:
        raise ConfigError(f"{where}.digest", str(exc)) from exc


def digest_label(schedule: DigestSchedule | None) -> str | None:
    """``daily digest (08:00 Asia/Shanghai)``, ``weekly digest (mon 08:00 UTC)``; None without a schedule."""
    if schedule is None:
        return None
    day = f"{WEEKDAYS[schedule.weekday]} " if schedule.weekday is not None else ""
    return f"{schedule.period} digest ({day}{schedule.hour:02d}:{schedule.minute:02d} {schedule.timezone})"
