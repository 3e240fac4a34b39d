"""Queries on ``articles``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, Version
from storage.queries.sources import in_source


def article_by_id(session: Session, article_id: int) -> Article | None:
    """The article with this id."""
    return session.get(Article, article_id)


def count_articles(session: Session) -> int:
    """How many articles storage holds."""
    return int(session.execute(select(func.count()).select_from(Article)).scalar_one())


def articles_with_versions(session: Session, source: str | None, offset: int,
                           limit: int) -> tuple[list[tuple[Article, int]], int]:
    """Articles with a version, newest first (by first seen), with their version count: one page, and the total."""
    counts = (select(Version.article_id, func.count().label("n")).group_by(Version.article_id).subquery())
    query = select(Article, counts.c.n).join(counts, counts.c.article_id == Article.id)
    if source:
        query = query.where(in_source(session, source))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Article.first_seen_at.desc(), Article.id.desc())
                           .offset(offset).limit(limit)).all()
    return [(article, int(n)) for article, n in rows], int(total)
