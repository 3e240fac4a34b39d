"""Queries on ``versions`` and ``anomalies`` (the fetches kept, and those not accepted)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Anomaly, Version


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
