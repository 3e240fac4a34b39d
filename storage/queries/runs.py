"""Queries on ``crawl_runs``: the newest, the ones left running, a job's attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newswatch.storage.models import CrawlRun


def last_run(session: Session) -> CrawlRun | None:
    """The newest run."""
    return session.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).scalars().first()


def last_finished_at(session: Session) -> datetime | None:
    """When the last finished run finished."""
    return session.scalar(select(func.max(CrawlRun.finished_at)).where(CrawlRun.finished_at.is_not(None)))


def running_runs(session: Session) -> list[CrawlRun]:
    """The runs still marked running."""
    return list(session.execute(select(CrawlRun).where(CrawlRun.outcome == "running")).scalars().all())


def abandon_earlier_attempts(session: Session, job_id: str, attempt: int, now: datetime, error: str) -> None:
    """The runs of a job's attempts before ``attempt`` still marked running: abandoned at ``now``."""
    session.execute(update(CrawlRun).where(CrawlRun.job_id == job_id, CrawlRun.attempt < attempt,
                                           CrawlRun.outcome == "running")
                    .values(outcome="abandoned", finished_at=now, error=error))


def attempt_run(session: Session, job_id: str, attempt: int) -> CrawlRun | None:
    """The run of one attempt of a job."""
    query = select(CrawlRun).where(CrawlRun.job_id == job_id, CrawlRun.attempt == attempt)
    return session.execute(query).scalars().first()


def run_by_id(session: Session, run_id: int) -> CrawlRun | None:
    """The run with this id."""
    return session.get(CrawlRun, run_id)
