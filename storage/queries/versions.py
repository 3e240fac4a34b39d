"""Queries on ``versions`` and ``anomalies`` (the fetches kept, and those not accepted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from newswatch.storage.models import Anomaly, Article, Version


def count_versions(session: Session, article_id: int) -> int:
    """How many versions an article has."""
    return int(session.execute(select(func.count()).where(Version.article_id == article_id)).scalar_one())


def versions_of(session: Session, article_id: int) -> list[Version]:
    """An article's versions, oldest first."""
    query = select(Version).where(Version.article_id == article_id).order_by(Version.number)
    return list(session.execute(query).scalars())


def version_text(session: Session, article_id: int, number: int) -> tuple[str | None, str] | None:
    """A version's title and body."""
    row = session.execute(select(Version.title, Version.body)
                          .where(Version.article_id == article_id, Version.number == number)).first()
    return (row[0], row[1]) if row is not None else None


def anomalies_of(session: Session, article_id: int) -> list[Anomaly]:
    """An article's anomalies, oldest first."""
    return list(session.execute(select(Anomaly).where(Anomaly.article_id == article_id).order_by(Anomaly.id))
                .scalars())


def version_numbers(session: Session, article_id: int) -> list[int]:
    """An article's version numbers, in order."""
    query = select(Version.number).where(Version.article_id == article_id).order_by(Version.number)
    return list(session.execute(query).scalars())


def version_of(session: Session, article_id: int, number: int) -> Version | None:
    """Version ``number`` of an article."""
    query = select(Version).where(Version.article_id == article_id, Version.number == number)
    return session.execute(query).scalars().first()


def latest_version(session: Session, article_id: int) -> Version | None:
    """An article's newest version."""
    query = select(Version).where(Version.article_id == article_id).order_by(Version.number.desc()).limit(1)
    return session.execute(query).scalars().first()


def latest_extractions(session: Session) -> list[tuple[int, str, dict[str, Any] | None, str, str]]:
    """Per article with a version: its id and URL, and its latest version's meta, extractor and revision."""
    latest = (select(Version.article_id, func.max(Version.number).label("number"))
              .group_by(Version.article_id).subquery())
    rows = session.execute(
        select(Article.id, Article.canonical_url, Version.meta, Version.extractor, Version.extractor_version)
        .join(latest, latest.c.article_id == Article.id)
        .join(Version, (Version.article_id == latest.c.article_id) & (Version.number == latest.c.number))
    ).all()
    return [(article_id, url, meta, extractor, revision) for article_id, url, meta, extractor, revision in rows]


def anomaly_reasons(session: Session, article_id: int) -> list[tuple[datetime, str]]:
    """When and why each of an article's anomalies, oldest first."""
    query = select(Anomaly.detected_at, Anomaly.reason).where(Anomaly.article_id == article_id).order_by(Anomaly.id)
    return [(detected, reason) for detected, reason in session.execute(query)]


def seed_version(session: Session, article_id: int) -> Version | None:
    """An article's version 0 (imported from a seed file)."""
    query = select(Version).where(Version.article_id == article_id, Version.number == 0)
    return session.execute(query).scalars().first()


def versions_after(session: Session, mark: int, except_extractor: str) -> list[tuple[Version, Article]]:
    """The versions with an id above ``mark`` (not by ``except_extractor``), with their article, by id."""
    query = (select(Version, Article).join(Article, Version.article_id == Article.id)
             .where(Version.id > mark, Version.extractor != except_extractor).order_by(Version.id))
    return [(version, article) for version, article in session.execute(query).all()]


def earlier_extractors(session: Session, article_id: int, number: int) -> list[str]:
    """The extractors of an article's versions before version ``number``."""
    query = select(Version.extractor).where(Version.article_id == article_id, Version.number < number)
    return list(session.execute(query).scalars().all())


def version_by_id(session: Session, version_id: int) -> Version | None:
    """The version with this id."""
    return session.get(Version, version_id)


def anomalies_after(session: Session, mark: int) -> list[tuple[Anomaly, Article]]:
    """The anomalies with an id above ``mark``, with their article, by id."""
    query = (select(Anomaly, Article).join(Article, Anomaly.article_id == Article.id)
             .where(Anomaly.id > mark).order_by(Anomaly.id))
    return [(anomaly, article) for anomaly, article in session.execute(query).all()]


def latest_at(session: Session, canonical_url: str) -> Version | None:
    """The newest version of the article at ``canonical_url``."""
    query = (select(Version).join(Article, Article.id == Version.article_id)
             .where(Article.canonical_url == canonical_url).order_by(Version.number.desc()).limit(1))
    return session.execute(query).scalars().first()


def latest_text_at(session: Session, canonical_url: str) -> tuple[str | None, str, dict[str, Any] | None] | None:
    """The title, body and meta of the newest version of the article at ``canonical_url``."""
    query = (select(Version.title, Version.body, Version.meta).join(Article, Article.id == Version.article_id)
             .where(Article.canonical_url == canonical_url).order_by(Version.number.desc()).limit(1))
    row = session.execute(query).first()
    return (row.title, row.body, row.meta) if row is not None else None


def latest_meta_at(session: Session, canonical_url: str) -> dict[str, Any] | None:
    """The meta of the newest version of the article at ``canonical_url`` (``{}`` when it has none; None when
    there is no such version): one small read, no text."""
    query = (select(Version.meta).join(Article, Article.id == Version.article_id)
             .where(Article.canonical_url == canonical_url).order_by(Version.number.desc()).limit(1))
    row = session.execute(query).first()
    return (row.meta or {}) if row is not None else None


def landed_urls(session: Session, canonical_url: str, key: str = "landed") -> set[str]:
    """The URLs the versions of the article at ``canonical_url`` landed on (``meta[key]``; a version
    without one landed on the article's own URL)."""
    query = (select(Version.meta).join(Article, Article.id == Version.article_id)
             .where(Article.canonical_url == canonical_url))
    return {(meta or {}).get(key) or canonical_url for meta in session.execute(query).scalars()}


def versions_without_pages(session: Session, article_id: int) -> list[Version]:
    """An article's versions in order, without their stored pages."""
    query = select(Version).where(Version.article_id == article_id).order_by(Version.number)
    return list(session.execute(query.options(defer(Version.raw_html))).scalars())


def has_versions(session: Session, article_id: int) -> bool:
    """Whether an article has a version."""
    return session.execute(select(Version.id).where(Version.article_id == article_id).limit(1)).first() is not None


def newest_anomaly_since(session: Session, article_id: int, since: datetime) -> Anomaly | None:
    """An article's newest anomaly detected at or after ``since``."""
    query = (select(Anomaly).where(Anomaly.article_id == article_id, Anomaly.detected_at >= since)
             .order_by(Anomaly.id.desc()).limit(1))
    return session.execute(query).scalars().first()
