"""An article re-keyed by ``crawler.pipeline.identity`` (a page claimed another page's URL and was stored
first): its events and the deliveries not yet made name its new URL; deliveries made stay as sent, and other
articles' events are untouched. Both backends (the payload's ``article.url`` is read by a JSON path)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.changes.emit import record_event, repoint_events
from newswatch.monitor.changes.events import ArticleInfo, Event, event_id
from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, AlertOutbox

OLD, NEW, OTHER = "https://example.com/a/1.html", "https://example.com/b/2.html", "https://example.com/c/3.html"


def _event(url: str, kind: str = "article.new") -> Event:
    return Event(event_id(kind, url), kind, datetime.now(UTC), "例子", ArticleInfo(url, "标题"))


def test_the_moved_articles_events_and_pending_deliveries_follow_it(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for event in (_event(OLD), _event(OLD, "article.changed"), _event(OTHER)):
            row = record_event(session, event)
            for channel, state in (("hook", "pending"), ("mail", "sent")):
                session.add(AlertOutbox(event_id=row.event_id, channel=channel, event_kind=row.event_kind,
                                        payload=row.payload, state=state))
    with transaction(sessions) as session:
        assert repoint_events(session, OLD, NEW) == 4  # two events, their two pending deliveries
    with sessions() as session:
        events = sorted((e.event_kind, e.payload["article"]["url"])
                        for e in session.execute(select(AlertEvent)).scalars())
        deliveries = sorted((d.channel, d.event_kind, d.payload["article"]["url"])
                            for d in session.execute(select(AlertOutbox)).scalars())
    assert events == [("article.changed", NEW), ("article.new", NEW), ("article.new", OTHER)]
    assert deliveries == [
        ("hook", "article.changed", NEW), ("hook", "article.new", NEW), ("hook", "article.new", OTHER),
        ("mail", "article.changed", OLD), ("mail", "article.new", OLD), ("mail", "article.new", OTHER),
    ], "pending deliveries follow the article; those sent stay as they were sent"
