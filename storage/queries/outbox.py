"""Queries on ``alert_outbox``: what the views read, and the delivery's claims, settlements and retries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
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


def pending_naming(session: Session, url: str) -> list[AlertOutbox]:
    """The deliveries not yet made whose payload names the article at ``url`` (``payload.article.url``)."""
    query = select(AlertOutbox).where(AlertOutbox.state == "pending",
                                      AlertOutbox.payload["article"]["url"].as_string() == url)
    return list(session.execute(query.order_by(AlertOutbox.id)).scalars())


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


def due_rows(session: Session, channel: str, now: datetime, limit: int) -> list[AlertOutbox]:
    """The pending rows of ``channel`` due by ``now``, by id (at most ``limit``)."""
    query = (select(AlertOutbox)
             .where(AlertOutbox.channel == channel, AlertOutbox.state == "pending",
                    AlertOutbox.next_attempt_at <= now)
             .order_by(AlertOutbox.id).limit(limit))
    return list(session.execute(query).scalars())


def claim_row(session: Session, row_id: int, now: datetime, lease_seconds: float) -> bool:
    """Push a due pending row's next attempt one lease ahead, if it is still due (a conditional UPDATE: of
    two workers, one claims it); True when this one did."""
    claimed = session.execute(
        update(AlertOutbox)
        .where(AlertOutbox.id == row_id, AlertOutbox.state == "pending", AlertOutbox.next_attempt_at <= now)
        .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def rows_by_id(session: Session, row_ids: Sequence[int]) -> list[AlertOutbox]:
    """The rows with these ids."""
    return list(session.execute(select(AlertOutbox).where(AlertOutbox.id.in_(row_ids))).scalars())


def make_due(session: Session, now: datetime, row_id: int | None = None, dead: bool = False) -> int:
    """Rows due at ``now``: one row by id (pending or dead), or every dead row (attempts start again);
    returns how many."""
    query = update(AlertOutbox).values(state="pending", next_attempt_at=now)
    if row_id is not None:
        query = query.where(AlertOutbox.id == row_id, AlertOutbox.state.in_(("pending", "dead")))
    elif dead:
        query = query.where(AlertOutbox.state == "dead").values(attempts=0)
    else:
        return 0
    return int(getattr(session.execute(query), "rowcount", 0))
