"""Queries on ``crawl_runs`` that read them (the runs' writes live with the run)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newswatch.storage.models import CrawlRun


def last_run(session: Session) -> CrawlRun | None:
    """The newest run."""
    return session.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).scalars().first()


def last_finished_at(session: Session) -> datetime | None:
    """When the last finished run finished."""
    return session.scalar(select(func.max(CrawlRun.finished_at)).where(CrawlRun.finished_at.is_not(None)))
