"""Queries on ``sources``: names, rows, and which articles count as a source's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from newswatch.storage.models import Article, Source


def url_prefix(url: str | None) -> str | None:
    """The scheme and host part of a source URL (``https://host/``), the prefix its articles start with."""
    return "/".join(url.split("/", 3)[:3]) + "/" if url and "://" in url else None


def source_names(session: Session) -> tuple[str, ...]:
    """Every source's name, sorted."""
    return tuple(session.execute(select(Source.name).order_by(Source.name)).scalars())


def sources_by_id(session: Session) -> list[Source]:
    """Every source, oldest first."""
    return list(session.execute(select(Source).order_by(Source.id)).scalars())


def sources_by_name(session: Session) -> list[Source]:
    """Every source, by name."""
    return list(session.execute(select(Source).order_by(Source.name)).scalars())


def source_named(session: Session, name: str) -> Source | None:
    """The source called ``name``."""
    return session.execute(select(Source).where(Source.name == name)).scalars().first()


def in_source(session: Session, name: str) -> ColumnElement[bool]:
    """The condition on ``articles``: imported under the source, or under its URL prefix."""
    source = source_named(session, name)
    if source is None:
        return false()
    prefix = url_prefix(source.url)
    return or_(Article.source_id == source.id, Article.canonical_url.startswith(prefix)) if prefix else (
        Article.source_id == source.id)


def articles_under(session: Session, prefix: str) -> tuple[int, datetime | None]:
    """How many articles start with ``prefix``, and when the newest was first seen."""
    count, last_new = session.execute(
        select(func.count(), func.max(Article.first_seen_at)).where(Article.canonical_url.startswith(prefix))
    ).one()
    return int(count), last_new


def failing_source_names(session: Session, failing_after: int, limit: int = 20) -> tuple[str, ...]:
    """The enabled sources failing ``failing_after`` times or more in a row, by name (at most ``limit``)."""
    query = (select(Source.name).where(Source.enabled.is_(True), Source.consecutive_failures >= failing_after)
             .order_by(Source.name).limit(limit))
    return tuple(session.scalars(query).all())


def newest_under(session: Session, prefixes: Iterable[str]) -> datetime | None:
    """When the newest article starting with one of ``prefixes`` was first seen."""
    condition = or_(*(Article.canonical_url.startswith(p) for p in prefixes))
    return session.execute(select(func.max(Article.first_seen_at)).where(condition)).scalar_one_or_none()


def next_check_of(session: Session, name: str) -> datetime | None:
    """When the source called ``name`` is due next (None: not stored, or no time set)."""
    return session.execute(select(Source.next_check_at).where(Source.name == name)).scalar_one_or_none()


def source_health(session: Session) -> list[tuple[str, datetime | None, datetime | None, int | None]]:
    """Every source's name, last success, last check and failures in a row, by name."""
    rows = session.execute(select(Source.name, Source.last_ok_at, Source.last_checked_at,
                                  Source.consecutive_failures).order_by(Source.name)).all()
    return [(name, ok, checked, failures) for name, ok, checked, failures in rows]
