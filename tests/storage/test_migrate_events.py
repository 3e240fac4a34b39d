"""Migration 0007 (the events table) goes up and down on both backends, and takes the events of the outbox
rows already there as routed: delivered as before, never routed a second time."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, select, text

from newswatch.storage.engine import session_factory
from newswatch.storage.migrate import downgrade, upgrade
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision
from newswatch.storage.models import AlertEvent, AlertOutbox

AT = datetime(2026, 12, 1, 8, tzinfo=UTC)
ROWS = (("e1", "hook", "article.new", "pending"), ("e1", "mail", "article.new", "sent"),
        ("e2", "hook", "article.changed", "dead"))


def test_pending_outbox_rows_stay_and_their_events_come_in_routed(engine: Engine) -> None:
    downgrade(engine, "0006")
    assert "alert_events" not in inspect(engine).get_table_names()
    insert = text("INSERT INTO alert_outbox (event_id, channel, event_kind, payload, state, attempts, "
                  "next_attempt_at, created_at) VALUES (:event_id, :channel, :kind, :payload, :state, 0, :at, :at)")
    with engine.begin() as connection:
        for event_id, channel, kind, state in ROWS:
            connection.execute(insert, {"event_id": event_id, "channel": channel, "kind": kind, "state": state,
                                        "payload": f'{{"id": "{event_id}", "type": "{kind}"}}', "at": AT})
    upgrade(engine, "0007")
    assert current_revision(engine) == "0007"
    with session_factory(engine)() as session:
        events = session.execute(select(AlertEvent).order_by(AlertEvent.event_id)).scalars().all()
        outbox = session.execute(select(AlertOutbox.event_id, AlertOutbox.channel, AlertOutbox.state)
                                 .order_by(AlertOutbox.id)).all()
    assert [(e.event_id, e.event_kind, e.payload["id"], e.routed_at) for e in events] == [
        ("e1", "article.new", "e1", AT), ("e2", "article.changed", "e2", AT)]
    assert outbox == [(e, c, s) for e, c, _k, s in ROWS], "the outbox rows are left as they were"
    downgrade(engine, "0006")
    assert "alert_events" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
