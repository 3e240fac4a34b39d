"""What the web view reads of removed articles (删稿), as frozen records: read-only queries.

A removal row carries the id of its ``article.removed`` event (the article's event key: its URL unless it moved
or came after one that moved, ``storage.models.event_key``; the last version held
and how many times the article was removed until then), so its Atom entry keeps one id for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from newswatch.monitor.changes.events import event_id
from newswatch.monitor.web.queries import Counted, Paging
from newswatch.storage.queries import removals as removal_queries
from newswatch.storage.queries.removals import NumberedRemoval


@dataclass(frozen=True)
class RemovalRow:
    article_id: int
    url: str
    title: str | None
    kind: str  # gone | withdrawn | redirected | hidden
    http_status: int | None
    notice: str | None
    location: str | None
    version: int | None  # the last version held
    detected_at: datetime
    restored_at: datetime | None
    event_id: str  # of its article.removed event


def _row(found: NumberedRemoval) -> RemovalRow:
    r, url, number = found.removal, found.url, found.version
    return RemovalRow(r.article_id, url, found.title, r.kind, r.http_status, r.notice, r.location, number,
                      r.detected_at, r.restored_at, event_id("article.removed", found.event_key, number, found.ordinal))


def recent_removals(session: Session, paging: Paging, still_removed: bool = False) -> Counted[RemovalRow]:
    """Removals newest first (``still_removed``: only those not restored), one page and the total."""
    rows, total = removal_queries.recent_removals(session, still_removed, paging.offset, paging.per_page)
    return Counted(tuple(_row(found) for found in rows), total)


def removals_of(session: Session, article_id: int) -> tuple[RemovalRow, ...]:
    """An article's removals, newest first."""
    return tuple(_row(found) for found in removal_queries.removals_of(session, article_id))
