"""Queries on ``alert_events`` (the events written with the records that raised them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newswatch.storage.models import AlertEvent


def unrouted_events(session: Session, limit: int) -> list[AlertEvent]:
    """The oldest events no delivery pass has routed yet, by id (at most ``limit``)."""
    query = select(AlertEvent).where(AlertEvent.routed_at.is_(None)).order_by(AlertEvent.id).limit(limit)
    return list(session.execute(query).scalars())


def events_naming(session: Session, url: str) -> list[AlertEvent]:
    """The events whose payload names the article at ``url`` (``payload.article.url``)."""
    query = select(AlertEvent).where(AlertEvent.payload["article"]["url"].as_string() == url).order_by(AlertEvent.id)
    return list(session.execute(query).scalars())
