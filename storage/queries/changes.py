"""Queries on ``changes`` (with the article and the two version numbers they join)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from newswatch.storage.models import Article, Change, Version
from newswatch.storage.queries.sources import in_source


@dataclass(frozen=True)
class ChangeFilter:
    source: str | None = None
    change_class: str | None = None
    since: date | None = None  # detected on or after this day (UTC)
    until: date | None = None  # detected on or before this day (UTC)
    article_id: int | None = None
    to_version: int | None = None  # the change that made this version (with article_id)


@dataclass(frozen=True)
class JoinedChange:
    """A change, its article, and the numbers of the versions it goes from and to."""

    change: Change
    article: Article
    from_number: int
    to_number: int


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _matching(session: Session, where: ChangeFilter) -> Select[int]:
    """The ids of the changes that match (narrow: sorting and counting never read the diffs)."""
    query = select(Change.id).join(Article, Article.id == Change.article_id)
    conditions: list[ColumnElement[bool]] = []
    if where.source:
        conditions.append(in_source(session, where.source))
    if where.change_class:
        conditions.append(Change.change_class == where.change_class)
    if where.since:
        conditions.append(Change.detected_at >= _day_start(where.since))
    if where.until:
        conditions.append(Change.detected_at < _day_start(where.until + timedelta(days=1)))
    if where.article_id is not None:
        conditions.append(Change.article_id == where.article_id)
    if where.to_version is not None:
        new = aliased(Version)
        query = query.join(new, new.id == Change.to_version_id)
        conditions.append(new.number == where.to_version)
    return query.where(and_(*conditions)) if conditions else query


def count_changes(session: Session, where: ChangeFilter) -> int:
    """How many changes match."""
    return int(session.execute(select(func.count()).select_from(_matching(session, where).subquery())).scalar_one())


def change_ids(session: Session, where: ChangeFilter, offset: int, limit: int) -> list[int]:
    """The ids of the matching changes, newest first, one page of them."""
    query = _matching(session, where).order_by(Change.detected_at.desc(), Change.id.desc())
    return list(session.execute(query.offset(offset).limit(limit)).scalars())


def one_change_id(session: Session, where: ChangeFilter) -> int | None:
    """The id of one matching change."""
    return session.execute(_matching(session, where).limit(1)).scalars().first()


def joined_changes(session: Session, ids: list[int]) -> list[JoinedChange]:
    """The changes with these ids, in this order, with their article and version numbers."""
    old, new = aliased(Version), aliased(Version)
    query = (select(Change, Article, old.number, new.number).join(Article, Article.id == Change.article_id)
             .join(old, old.id == Change.from_version_id).join(new, new.id == Change.to_version_id)
             .where(Change.id.in_(ids)))
    found = {change.id: JoinedChange(change, article, a, b) for change, article, a, b in session.execute(query).all()}
    return [found[i] for i in ids if i in found]


def stored_diff(session: Session, article_id: int, to_version: int) -> tuple[dict[str, Any] | None, str | None,
                                                                            str | None] | None:
    """The structured diff stored with the change to ``to_version``, old and new title."""
    old, new = aliased(Version), aliased(Version)
    row = session.execute(select(Change.diff_json, old.title, new.title)
                          .join(old, old.id == Change.from_version_id).join(new, new.id == Change.to_version_id)
                          .where(Change.article_id == article_id, new.number == to_version)).first()
    return (row[0], row[1], row[2]) if row is not None else None


def stored_classes(session: Session) -> set[str]:
    """Every change class found in storage."""
    return set(session.execute(select(Change.change_class).distinct()).scalars())


def changes_by_target(session: Session, article_id: int) -> dict[int, Change]:
    """An article's changes, by the id of the version each made."""
    rows = session.execute(select(Change).where(Change.article_id == article_id)).scalars()
    return {change.to_version_id: change for change in rows}


def changes_of(session: Session, article_id: int) -> list[Change]:
    """An article's changes, oldest first."""
    return list(session.execute(select(Change).where(Change.article_id == article_id).order_by(Change.id))
                .scalars())


def changes_after(session: Session, mark: int) -> list[tuple[Change, Article]]:
    """The changes with an id above ``mark``, with their article, by id."""
    query = (select(Change, Article).join(Article, Change.article_id == Article.id)
             .where(Change.id > mark).order_by(Change.id))
    return [(change, article) for change, article in session.execute(query).all()]


def newest_change_since(session: Session, article_id: int, since: datetime) -> Change | None:
    """An article's newest change detected at or after ``since``."""
    query = (select(Change).where(Change.article_id == article_id, Change.detected_at >= since)
             .order_by(Change.id.desc()).limit(1))
    return session.execute(query).scalars().first()
