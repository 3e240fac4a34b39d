"""``newswatch status``, as data: sources with their health and schedule, articles, the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from newswatch.storage.models import Source
from newswatch.storage.queries import articles as article_queries
from newswatch.storage.queries import outbox as outbox_queries
from newswatch.storage.queries import runs as run_queries
from newswatch.storage.queries import sources as source_queries


@dataclass(frozen=True)
class SourceStatus:
    name: str
    url: str | None
    last_checked_at: datetime | None
    next_check_at: datetime | None
    interval_seconds: int
    health: str  # ok | failing N times | quiet | never checked
    articles: int


@dataclass(frozen=True)
class Status:
    sources: tuple[SourceStatus, ...]
    articles: int
    outbox: dict[str, int]
    last_run: tuple[datetime, str] | None


def digest_waits(session: Session) -> dict[str, tuple[int, datetime | None]]:
    """Per channel: the pending alerts and the earliest time one is due (a scheduled digest's next send)."""
    return outbox_queries.pending_by_channel(session)


def outbox_counts(session: Session) -> dict[str, int]:
    counts = {"pending": 0, "sent": 0, "dead": 0}
    counts.update(outbox_queries.counts_by_state(session))
    return counts


def _health(source: Source, last_new: datetime | None, quiet_days: float, now: datetime) -> str:
    if source.last_checked_at is None:
        return "never checked"
    if source.consecutive_failures:
        return f"failing {source.consecutive_failures} times ({source.last_error or '?'})"
    reference = last_new or source.created_at
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    return "quiet" if now - reference > timedelta(days=quiet_days) else "ok"


def status(session: Session, quiet_days: float, now: datetime | None = None,
           registered: Sequence[str] = ()) -> Status:
    """Every source storage knows, then every ``registered`` one it does not (never checked yet)."""
    now = now or datetime.now(UTC)
    sources = []
    for source in source_queries.sources_by_name(session):
        prefix = "/".join((source.url or "").split("/", 3)[:3]) + "/" if source.url else None
        count, last_new = (0, None)
        if prefix:
            count, last_new = source_queries.articles_under(session, prefix)
        sources.append(SourceStatus(source.name, source.url, source.last_checked_at, source.next_check_at,
                                    source.interval_seconds, _health(source, last_new, quiet_days, now), int(count)))
    known = {source.name for source in sources}
    sources += [SourceStatus(name, None, None, None, 0, "never checked", 0)
                for name in registered if name not in known]
    total = article_queries.count_articles(session)
    run = run_queries.last_run(session)
    last = (run.started_at, run.outcome) if run is not None else None
    return Status(tuple(sources), total, outbox_counts(session), last)
