"""Queries on ``removals`` (articles taken down), with their article and the last version held."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from newswatch.storage.models import Article, Removal, Version, event_key


@dataclass(frozen=True)
class NumberedRemoval:
    """A removal, its article's URL, event key (``storage.models.event_key``) and title, the version held, and its
    ordinal among the article's removals."""

    removal: Removal
    url: str
    event_key: str
    title: str | None
    version: int | None
    ordinal: int


def _numbered(session: Session, where: list[ColumnElement[bool]], offset: int | None,
              limit: int | None) -> list[NumberedRemoval]:
    ordinal = func.row_number().over(partition_by=Removal.article_id, order_by=Removal.id).label("ordinal")
    numbered = select(Removal.id, ordinal).subquery()
    query = (select(Removal, Article, Version.number, numbered.c.ordinal)
             .join(Article, Article.id == Removal.article_id)
             .join(numbered, numbered.c.id == Removal.id)
             .outerjoin(Version, Version.id == Removal.version_id)
             .where(*where).order_by(Removal.detected_at.desc(), Removal.id.desc()))
    if offset is not None and limit is not None:
        query = query.offset(offset).limit(limit)
    return [NumberedRemoval(r, article.canonical_url, event_key(article), article.title, number, n)
            for r, article, number, n in session.execute(query)]


def recent_removals(session: Session, still_removed: bool, offset: int,
                    limit: int) -> tuple[list[NumberedRemoval], int]:
    """Removals newest first (``still_removed``: only those not restored): one page, and the total."""
    where: list[ColumnElement[bool]] = [Removal.restored_at.is_(None)] if still_removed else []
    total = int(session.execute(select(func.count()).select_from(Removal).where(*where)).scalar_one())
    return _numbered(session, where, offset, limit), total


def removals_of(session: Session, article_id: int) -> list[NumberedRemoval]:
    """An article's removals, newest first."""
    return _numbered(session, [Removal.article_id == article_id], None, None)


def removal_rows(session: Session, article_id: int) -> list[Removal]:
    """An article's removal rows, oldest first."""
    return list(session.execute(select(Removal).where(Removal.article_id == article_id).order_by(Removal.id))
                .scalars())


def latest_removal(session: Session, article_id: int) -> Removal | None:
    """An article's newest removal."""
    query = select(Removal).where(Removal.article_id == article_id).order_by(Removal.id.desc()).limit(1)
    return session.execute(query).scalars().first()


def count_removals(session: Session, article_id: int) -> int:
    """How many times an article was removed."""
    query = select(func.count()).select_from(Removal).where(Removal.article_id == article_id)
    return int(session.execute(query).scalar_one())


def removal_ordinal(session: Session, removal: Removal) -> int:
    """1 for the first removal of this version of the article, 2 for the second..."""
    query = select(func.count()).select_from(Removal).where(
        Removal.article_id == removal.article_id, Removal.version_id == removal.version_id, Removal.id <= removal.id)
    return int(session.execute(query).scalar_one())


def removals_after(session: Session, mark: int) -> list[tuple[Removal, Article, Version | None]]:
    """The removals with an id above ``mark``, with their article and the version held, by id."""
    query = (select(Removal, Article, Version).join(Article, Removal.article_id == Article.id)
             .outerjoin(Version, Version.id == Removal.version_id).where(Removal.id > mark).order_by(Removal.id))
    return [(removal, article, version) for removal, article, version in session.execute(query).all()]
