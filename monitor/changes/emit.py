"""Events written where they are raised: one ``alert_events`` row each, in the caller's transaction.

The transaction that records a version, change, anomaly or removal writes its event with it, so a crash
between detecting and delivering loses nothing, and the unique event id means a re-run never writes a
second row. Nothing here knows the alert channels: their rules are applied at delivery
(``monitor.alerts.outbox`` routes each event to the channels that accept it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from newswatch.monitor.changes.events import Event
from newswatch.storage.models import AlertEvent, AlertOutbox
from newswatch.storage.queries.events import events_naming
from newswatch.storage.queries.outbox import pending_naming
from newswatch.storage.repository import insert_ignore


def record_event(session: Session, event: Event, now: datetime | None = None) -> AlertEvent:
    """The event's row (written now, or the one a run before wrote); ``now``: when it was raised."""
    return insert_ignore(session, AlertEvent, {
        "event_id": event.id, "event_kind": event.type, "payload": event.payload(),
        "created_at": now or datetime.now(UTC), "routed_at": None,
    }, ["event_id"])


def repoint_events(session: Session, old_url: str, new_url: str) -> int:
    """The events and the deliveries not yet made that name the article at ``old_url``, moved to ``new_url``
    (an article re-keyed by ``crawler.pipeline.identity``): its history and what is still to be sent say
    where it lives (deliveries made stay what they were). How many rows."""
    rows: list[AlertEvent | AlertOutbox] = [*events_naming(session, old_url), *pending_naming(session, old_url)]
    for row in rows:
        article = row.payload.get("article")
        if isinstance(article, dict):
            row.payload = {**row.payload, "article": {**article, "url": new_url}}
    return len(rows)
