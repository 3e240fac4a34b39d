"""What the web view reads of removed articles (删稿), as frozen records: read-only queries.

A removal row carries the id of its ``article.removed`` event (the article's URL, the last version held
and how many times the article was removed until then), so its Atom entry keeps one id for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from monitor.alerts.events import event_id
from monitor.web.queries import Counted, Paging
from storage.models import Article, Removal, Version


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


def _rows(session: Session, where: list[ColumnElement[bool]], paging: Paging | None) -> list[RemovalRow]:
    ordinal = func.row_number().over(partition_by=Removal.article_id, order_by=Removal.id).label("ordinal")
    numbered = select(Removal.id, ordinal).subquery()
    query = (select(Removal, Article.canonical_url, Article.title, Version.number, numbered.c.ordinal)
             .join(Article, Article.id == Removal.article_id)
             .join(numbered, numbered.c.id == Removal.id)
             .outerjoin(Version, Version.id == Removal.version_id)
             .where(*where).order_by(Removal.detected_at.desc(), Removal.id.desc()))
    if paging is not None:
        query = query.offset(paging.offset).limit(paging.per_page)
    return [RemovalRow(r.article_id, url, title, r.kind, r.http_status, r.notice, r.location, number, r.detected_at,
                       r.restored_at, event_id("article.removed", url, number, n))
            for r, url, title, number, n in session.execute(query)]


def recent_removals(session: Session, paging: Paging, still_removed: bool = False) -> Counted[RemovalRow]:
    """Removals newest first (``still_removed``: only those not restored), one page and the total."""
    where: list[ColumnElement[bool]] = [Removal.restored_at.is_(None)] if still_removed else []
    total = int(session.execute(select(func.count()).select_from(Removal).where(*where)).scalar_one())
    return Counted(tuple(_rows(session, where, paging)), total)


def removals_of(session: Session, article_id: int) -> tuple[RemovalRow, ...]:
    """An article's removals, newest first."""
    return tuple(_rows(session, [Removal.article_id == article_id], None))
