"""Queries on ``articles``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, defer

from newswatch.storage.models import Article, Version
from newswatch.storage.queries.sources import in_source


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


@dataclass(frozen=True, slots=True)
class RecheckCandidate:
    """What a re-check of a stored article needs: its dates, and its latest version's validators."""

    url: str
    discovered_from: str | None
    first_seen_at: datetime
    last_checked_at: datetime | None
    next_check_at: datetime | None
    removed_at: datetime | None
    etag: str | None
    last_modified: str | None
    meta: dict[str, Any] | None


def known_urls(session: Session, batch: int) -> frozenset[str]:
    """Every stored canonical URL, read ``batch`` rows at a time (one column, no ORM objects)."""
    query = select(Article.canonical_url).execution_options(yield_per=batch)
    return frozenset(session.execute(query).scalars())


def recheck_candidates(session: Session, batch: int) -> Iterator[RecheckCandidate]:
    """Every active or removed article with its latest version's validators, by id: one query, streamed
    ``batch`` rows at a time, reading only these columns (no version bodies or stored pages)."""
    latest = (select(Version.article_id, func.max(Version.number).label("number"))
              .group_by(Version.article_id).subquery())
    query = (
        select(Article.canonical_url, Article.discovered_from, Article.first_seen_at, Article.last_checked_at,
               Article.next_check_at, Article.removed_at, Version.etag, Version.last_modified, Version.meta)
        .where(Article.status.in_(("active", "removed")))
        .outerjoin(latest, latest.c.article_id == Article.id)
        .outerjoin(Version, (Version.article_id == latest.c.article_id) & (Version.number == latest.c.number))
        .order_by(Article.id)
        .execution_options(yield_per=batch)
    )
    for row in session.execute(query):
        yield RecheckCandidate(*row)


def article_by_url(session: Session, canonical_url: str) -> Article | None:
    """The article at this canonical URL."""
    return session.execute(select(Article).where(Article.canonical_url == canonical_url)).scalars().first()


def all_articles(session: Session) -> list[Article]:
    """Every article, oldest first."""
    return list(session.execute(select(Article).order_by(Article.id)).scalars())


def corpus_articles(session: Session) -> list[Article]:
    """The articles in the corpus (with a corpus file), oldest first."""
    query = select(Article).where(Article.corpus_file.is_not(None)).order_by(Article.id)
    return list(session.execute(query).scalars())


def mark_checked(session: Session, checks: Sequence[tuple[str, datetime]]) -> None:
    """One statement for the check times of the articles at these URLs (``(url, at)``): not due again until
    the schedule says so, any anomaly flag and unconfirmed first 404 cleared."""
    table = Article.__table__
    assert isinstance(table, Table)
    rows: list[dict[str, Any]] = [{"url": url, "at": at} for url, at in checks]
    statement = (update(table).where(table.c.canonical_url == bindparam("url"))
                 .values(last_checked_at=bindparam("at", type_=table.c.last_checked_at.type), next_check_at=None,
                         missing_since=None))
    session.connection().execute(statement, rows)


def article_history(session: Session, canonical_url: str) -> tuple[Article, list[Version]] | None:
    """The article at ``canonical_url`` with its versions in order, without their stored pages: one statement."""
    query = (select(Article, Version).outerjoin(Version, Version.article_id == Article.id)
             .where(Article.canonical_url == canonical_url).order_by(Version.number)
             .options(defer(Version.raw_html)))
    rows = session.execute(query).all()
    if not rows:
        return None
    return rows[0][0], [version for _article, version in rows if version is not None]


def insert_article(session: Session, values: Mapping[str, Any]) -> Article | None:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` of an article (``values`` hold its canonical URL): the
    row created; None when another writer holds the URL, or on a backend without that statement."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        return None
    insert: Any = sqlite.insert
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # imported on PostgreSQL only (start-up time)

        insert = postgresql.insert
    statement = insert(Article).values(**values).on_conflict_do_nothing(index_elements=["canonical_url"])
    created: Article | None = session.execute(statement.returning(Article)).scalars().first()
    return created


def articles_with_files(session: Session, names: Iterable[str]) -> list[Article]:
    """The articles whose corpus file is one of ``names``, oldest first."""
    query = select(Article).where(Article.corpus_file.in_(sorted(names))).order_by(Article.id)
    return list(session.execute(query).scalars())


def lock_article(session: Session, url: str) -> None:
    """Take the row lock of the article at ``url`` for this transaction (``FOR UPDATE``, PostgreSQL; a no-op
    elsewhere)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(select(Article.id).where(Article.canonical_url == url).with_for_update()).first()
