"""Queries on ``alert_outbox`` that read it (the delivery's writes live with the outbox worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newswatch.storage.models import AlertEvent, AlertOutbox


def outbox_page(session: Session, state: str, offset: int, limit: int) -> tuple[list[AlertOutbox], int]:
    """Rows in one state (pending: next attempt first; else newest first): one page, and the total."""
    query = select(AlertOutbox).where(AlertOutbox.state == state)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = (AlertOutbox.next_attempt_at, AlertOutbox.id) if state == "pending" else (AlertOutbox.id.desc(),)
    return list(session.execute(query.order_by(*order).offset(offset).limit(limit)).scalars()), int(total)


def pending_by_channel(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Per channel: the pending rows and the earliest next attempt."""
    rows = session.execute(select(AlertOutbox.channel, func.count(), func.min(AlertOutbox.next_attempt_at))
                           .where(AlertOutbox.state == "pending").group_by(AlertOutbox.channel)).all()
    return {channel: (int(count), due) for channel, count, due in rows}


def counts_by_state(session: Session) -> dict[str, int]:
    """How many rows are in each state found."""
    rows = session.execute(select(AlertOutbox.state, func.count()).group_by(AlertOutbox.state)).all()
    return {state: int(n) for state, n in rows}


def count_dead(session: Session) -> int:
    """How many rows were given up on."""
    return int(session.scalar(select(func.count()).select_from(AlertOutbox)
                              .where(AlertOutbox.state == "dead")) or 0)


def retrying_channels(session: Session, limit: int = 20) -> tuple[str, ...]:
    """The channels with a pending row that failed at least once, by name (at most ``limit``)."""
    query = (select(AlertOutbox.channel).where(AlertOutbox.state == "pending", AlertOutbox.attempts > 0)
             .distinct().order_by(AlertOutbox.channel).limit(limit))
    return tuple(session.scalars(query).all())


def oldest_due(session: Session, now: datetime) -> datetime | None:
    """The earliest next attempt of a pending row due by ``now``."""
    return session.scalar(select(func.min(AlertOutbox.next_attempt_at))
                          .where(AlertOutbox.state == "pending", AlertOutbox.next_attempt_at <= now))


def oldest_unrouted(session: Session, now: datetime) -> datetime | None:
    """When the oldest event no delivery pass has routed yet was recorded, if by ``now``: it is due too."""
    oldest = session.scalar(select(func.min(AlertEvent.created_at)).where(AlertEvent.routed_at.is_(None)))
    return oldest if oldest is not None and oldest <= now else None


def newest_rows(session: Session, state: str | None, limit: int) -> list[AlertOutbox]:
    """The newest rows (in one state if given), at most ``limit``."""
    query = select(AlertOutbox).order_by(AlertOutbox.id.desc()).limit(limit)
    if state:
        query = query.where(AlertOutbox.state == state)
    return list(session.execute(query).scalars())


def rows_after(session: Session, mark: int) -> list[AlertOutbox]:
    """The rows with an id above ``mark``, by id."""
    return list(session.execute(select(AlertOutbox).where(AlertOutbox.id > mark).order_by(AlertOutbox.id)).scalars())
