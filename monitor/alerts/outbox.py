"""The alert outbox: events are written with the records that caused them, delivered later, never lost.

An event is one ``alert_events`` row, written in the transaction that records the version, change or
anomaly (``monitor.changes.emit``): nothing per channel there. Delivery begins by *routing*: each event
not yet routed gets one outbox row per channel whose rules accept it, and is marked routed, in one
transaction (:func:`route_events`); a crash before it commits leaves the events to route again, and the
unique ``(event_id, channel)`` key means routing twice (two workers, a re-run) never adds a second row.

``deliver_pending`` is the worker: it routes, then, per channel, claims a due row by pushing its
``next_attempt_at`` one lease ahead (a conditional UPDATE, so two workers never send the same row at
once), commits, sends, then marks the row ``sent``, or counts the failure and schedules the next
attempt (exponential backoff with jitter), ``dead`` after ``max_attempts``. A worker killed mid-send
leaves the row ``pending``: it is sent again once the lease runs out, and the receiver de-duplicates
by event id (at least once, never lost).

A channel with a digest schedule gets its rows with ``next_attempt_at`` at the schedule's next due time
after the event, so a period's events all fall due at once: the first worker pass after that time
claims them together (the same conditional UPDATE) and sends them as one message; a failed digest is
retried as one message too (one backoff for its rows).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.redact import redact_text
from newswatch.monitor.alerts.registry import Channel
from newswatch.monitor.changes.events import Event
from newswatch.storage.engine import transaction
from newswatch.storage.errors import DeliveryError
from newswatch.storage.models import AlertOutbox
from newswatch.storage.queries.events import unrouted_events
from newswatch.storage.queries.outbox import claim_row, due_rows, make_due, rows_by_id
from newswatch.storage.repository import insert_ignore

BATCH = 200
log = logging.getLogger("newswatch.alerts")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 120.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds before the next attempt after ``attempts`` failures: doubling, jittered by +-50 %."""
        base = min(self.backoff_max_seconds, self.backoff_seconds * 2.0 ** max(attempts - 1, 0))
        return float(base * rng.uniform(0.5, 1.5))


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(self.sent + other.sent, self.failed + other.failed, self.dead + other.dead)


def route(session: Session, event: Event, channels: Sequence[Channel], at: datetime) -> int:
    """Outbox rows for ``event`` (raised at ``at``) on every channel that accepts it; returns how many."""
    rows = 0
    for channel in channels:
        if channel.rules.accepts(event):
            due = channel.schedule.next_due(at) if channel.schedule is not None else at
            insert_ignore(session, AlertOutbox, {
                "event_id": event.id, "channel": channel.name, "event_kind": event.type,
                "payload": event.payload(), "state": "pending", "attempts": 0,
                "next_attempt_at": due, "created_at": at,
            }, ["event_id", "channel"])
            rows += 1
    return rows


def route_events(sessions: sessionmaker[Session], channels: Sequence[Channel],
                 clock: Callable[[], datetime]) -> int:
    """Route every event not yet routed (BATCH a transaction); returns how many outbox rows that made."""
    rows = 0
    while True:
        with transaction(sessions) as session:
            events = unrouted_events(session, BATCH)
            now = clock()
            for row in events:
                rows += route(session, Event.from_payload(row.payload), channels, row.created_at)
                row.routed_at = now
        if len(events) < BATCH:
            return rows


def _settle(session: Session, row_ids: Sequence[int], error: str | None, now: datetime, policy: RetryPolicy,
            rng: random.Random) -> DeliveryReport:
    report = DeliveryReport()
    rows = rows_by_id(session, row_ids)
    retry_at = now + timedelta(seconds=policy.delay(max((r.attempts + 1 for r in rows), default=1), rng))
    for row in rows:
        row.attempts += 1
        if error is None:
            row.state, row.delivered_at, row.last_error = "sent", now, None
            report += DeliveryReport(sent=1)
        elif row.attempts >= policy.max_attempts:
            row.state, row.last_error = "dead", error
            log.error("alert dead: channel %s, event %s, %d attempts failed, the last: %s (newswatch alerts "
                      "retry --dead sends it again)", row.channel, row.event_id, row.attempts, error)
            report += DeliveryReport(dead=1)
        else:
            row.last_error = error
            row.next_attempt_at = retry_at  # the rows of one message stay together
            log.warning("alert delivery failed: channel %s, event %s, attempt %d of %d: %s; next try at %s",
                        row.channel, row.event_id, row.attempts, policy.max_attempts, error,
                        retry_at.isoformat(timespec="seconds"))
            report += DeliveryReport(failed=1)
    return report


def _send(channel: Channel, events: Sequence[Event]) -> str | None:
    try:
        channel.send(events)
    except DeliveryError as exc:  # kept in the outbox, shown by `alerts list` and the web view: no secrets
        return redact_text(str(exc))[:2000]
    return None


def _claim_due(sessions: sessionmaker[Session], channel: Channel, policy: RetryPolicy,
               clock: Callable[[], datetime]) -> list[tuple[int, Event]]:
    """Claim up to BATCH due rows of ``channel`` (committed before anything is sent)."""
    with transaction(sessions) as session:
        now = clock()
        rows = [r for r in due_rows(session, channel.name, now, BATCH)
                if claim_row(session, r.id, now, policy.lease_seconds)]
        return [(r.id, Event.from_payload(r.payload)) for r in rows]


def deliver_channel(sessions: sessionmaker[Session], channel: Channel, policy: RetryPolicy,
                    clock: Callable[[], datetime], rng: random.Random) -> DeliveryReport:
    """Send what is due on one channel: a digest in one message per batch (every due batch now), other
    channels one event at a time (one batch a pass)."""
    report = DeliveryReport()
    while batch := _claim_due(sessions, channel, policy, clock):
        groups = [batch] if channel.digest else [[item] for item in batch]
        for group in groups:
            error = _send(channel, [event for _, event in group])
            with transaction(sessions) as session:
                report += _settle(session, [row_id for row_id, _ in group], error, clock(), policy, rng)
        if not channel.digest or len(batch) < BATCH:
            break
    return report


def deliver_pending(sessions: sessionmaker[Session], channels: Sequence[Channel], policy: RetryPolicy,
                    clock: Callable[[], datetime] | None = None, rng: random.Random | None = None) -> DeliveryReport:
    """One pass of the worker: route the new events, then deliver on every channel; rows of unknown
    channels are left alone."""
    report = DeliveryReport()
    clock = clock or (lambda: datetime.now(UTC))
    route_events(sessions, channels, clock)
    for channel in channels:
        report += deliver_channel(sessions, channel, policy, clock, rng or random.Random())
    return report


def retry(session: Session, row_id: int | None = None, dead: bool = False, now: datetime | None = None) -> int:
    """Make rows due now: one row by id, or every dead row (attempts start again)."""
    return make_due(session, now or datetime.now(UTC), row_id, dead)
