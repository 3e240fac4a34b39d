"""What ``/healthz`` says about a daemon: ``ok``, ``degraded`` (still 200, with reasons) or ``unhealthy`` (503).

A load balancer or Docker's ``HEALTHCHECK`` needs to know whether to send traffic or restart; an operator
needs to know what is wrong. So the answer has three levels:

- ``unhealthy`` (503): the process cannot do its job — storage is unreachable or the scheduler stopped.
  Restarting may help.
- ``degraded`` (200): it runs, but something needs a person — a source is failing (``alerts.failing_after``
  consecutive failed crawls), the alert outbox holds dead letters, deliveries are failing, alerts wait
  longer than the outbox worker's period allows, or no crawl has finished for longer than the slowest
  schedule allows. Restarting does not help; the reasons say what to look at.
- ``ok`` (200): none of the above.

:func:`judge` is pure (facts in, verdict out); :func:`gather` reads the facts from storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from newswatch.monitor.config.model import Config
from newswatch.storage.queries import outbox as outbox_queries
from newswatch.storage.queries import runs as run_queries
from newswatch.storage.queries import sources as source_queries


@dataclass(frozen=True)
class HealthLimits:
    failing_after: int = 3  # consecutive failed crawls of a source
    backlog_seconds: float = 300.0  # an alert due this long and not sent: the worker is behind
    crawl_overdue_seconds: float = 2 * 240 * 60.0  # no crawl finished for this long


def health_limits(config: Config) -> HealthLimits:
    """The limits a daemon of ``config`` is held to: alerts may wait two outbox periods and half a
    minute; a crawl must finish at least every two of the slowest feed intervals."""
    schedule = config.schedule
    return HealthLimits(config.alerts.failing_after, 2 * schedule.alerts_seconds + 30.0,
                        2 * schedule.feeds_max_minutes * 60.0)


@dataclass(frozen=True)
class HealthFacts:
    scheduler_running: bool
    storage_error: str | None = None
    failing_sources: tuple[str, ...] = ()
    dead_letters: int = 0
    failing_channels: tuple[str, ...] = ()  # channels whose pending alerts have failed at least once
    backlog_seconds: float | None = None  # how long the oldest alert has been due
    since_last_crawl: float | None = None  # seconds since a crawl last finished (or since the start)


@dataclass(frozen=True)
class Verdict:
    status: str  # ok | degraded | unhealthy
    code: int  # 200 | 503
    reasons: tuple[str, ...]

    def body(self, **details: Any) -> dict[str, Any]:
        return {"status": self.status, "reasons": list(self.reasons), **details}


def judge(facts: HealthFacts, limits: HealthLimits) -> Verdict:
    """The verdict of ``facts`` under ``limits`` (see the module doc)."""
    fatal = [reason for reason in (
        f"storage unreachable: {facts.storage_error}" if facts.storage_error else None,
        None if facts.scheduler_running else "the scheduler is not running",
    ) if reason]
    if fatal:
        return Verdict("unhealthy", 503, tuple(fatal))
    reasons = [f"source failing: {name}" for name in facts.failing_sources]
    if facts.dead_letters:
        reasons.append(f"{facts.dead_letters} dead letters in the alert outbox")
    reasons += [f"deliveries failing: {name}" for name in facts.failing_channels]
    if facts.backlog_seconds is not None and facts.backlog_seconds > limits.backlog_seconds:
        reasons.append(f"alerts waiting for {facts.backlog_seconds:.0f} s (limit {limits.backlog_seconds:.0f} s)")
    if facts.since_last_crawl is not None and facts.since_last_crawl > limits.crawl_overdue_seconds:
        reasons.append(f"no crawl finished for {facts.since_last_crawl:.0f} s")
    return Verdict("degraded" if reasons else "ok", 200, tuple(reasons))


def gather(session: Session, now: datetime, limits: HealthLimits, scheduler_running: bool,
           started: datetime) -> HealthFacts:
    """The facts storage holds (the caller maps a storage failure to ``storage_error``)."""
    failing = source_queries.failing_source_names(session, limits.failing_after)
    dead = outbox_queries.count_dead(session)
    channels = outbox_queries.retrying_channels(session)
    oldest_due = outbox_queries.oldest_due(session, now)
    unrouted = outbox_queries.oldest_unrouted(session, now)
    if unrouted is not None:  # an event no delivery pass has routed yet is due too
        oldest_due = unrouted if oldest_due is None else min(oldest_due, unrouted)
    last = run_queries.last_finished_at(session)
    reference = max(last, started) if last is not None else started
    return HealthFacts(scheduler_running, None, failing, dead, channels,
                       _seconds(now - oldest_due) if oldest_due is not None else None,
                       _seconds(now - reference))


def cause_of(exc: BaseException) -> str:
    """What tells two failures apart: the class and the first line of the message, bounded."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:200]}"


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())
