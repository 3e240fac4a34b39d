"""Schedules, pure: the article re-check ladder and adaptive source intervals.

The ladder is a list of ``AGE=EVERY`` steps (``3h=15m``: while an article is under 3 hours old,
re-check it every 15 minutes); past the last step an article is no longer re-checked. Sources
(feeds, section pages) back off when a crawl brings nothing new and speed up when it brings new items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from newswatch.storage.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
BACKOFF = 1.5
SPEEDUP = 0.5


def duration(text: str, key: str = "schedule") -> timedelta:
    """``15m``, ``3h``, ``1d``, ``2w`` as a timedelta; ConfigError naming ``key`` otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(key, f"not a duration like 15m, 3h, 1d: {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_ladder(steps: Sequence[str], key: str = "schedule.articles") -> tuple[tuple[timedelta, timedelta], ...]:
    ladder = []
    for step in steps:
        age, sep, every = step.partition("=")
        if not sep:
            raise ConfigError(key, f"expected AGE=EVERY like 3h=15m, got {step!r}")
        ladder.append((duration(age, key), duration(every, key)))
    if [a for a, _ in ladder] != sorted(a for a, _ in ladder):
        raise ConfigError(key, "steps must be in increasing age")
    return tuple(ladder)


def recheck_every(ladder: Sequence[tuple[timedelta, timedelta]], age: timedelta) -> timedelta | None:
    """How often an article of ``age`` is re-checked; None once it is past the last step."""
    for limit, every in ladder:
        if age < limit:
            return every
    return None


def is_due(ladder: Sequence[tuple[timedelta, timedelta]], first_seen: datetime, last_checked: datetime | None,
           now: datetime) -> bool:
    if last_checked is None:
        return True
    every = recheck_every(ladder, now - first_seen)
    return every is not None and now - last_checked >= every


def next_interval(current: float, new_items: int, low: float, high: float) -> float:
    """A source's next interval in seconds: slower after nothing new, faster after new items."""
    factor = SPEEDUP if new_items else BACKOFF
    return max(low, min(high, current * factor))
