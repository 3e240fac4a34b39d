"""Retention: what storage may forget, and nothing else.

- Raw pages: the compressed response bodies kept with versions and anomalies. Per article, the newest
  ``raw_pages`` of them (versions and anomalies together, by fetch time) are kept, and always the latest
  version's (re-extraction starts from it) and every version's of a removed article (its last text is
  the evidence of what was taken down); older ones are set to NULL. The versions' text and the
  changes' diffs are never touched.
- Sent outbox rows delivered more than ``outbox_days`` ago are deleted, except those of the event kinds
  in ``keep_event_kinds``: events that are raised again while their condition lasts (an article still
  broken, a source still quiet) would be delivered a second time once their row is gone. With them go
  the events routed over ``outbox_days`` ago that have no outbox row left (of the same kinds): routed,
  they are needed no more.
- Finished crawl runs that ended more than ``runs_days`` ago are deleted.

Zero switches a rule off. ``prune(..., dry_run=True)`` counts what would go and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, literal, not_, select, union_all, update
from sqlalchemy.orm import Session

from newswatch.storage.models import AlertEvent, AlertOutbox, Anomaly, Article, CrawlRun, Version

CHUNK = 500  # ids per UPDATE ... WHERE id IN (...)


@dataclass(frozen=True)
class RetentionPolicy:
    raw_pages: int = 0  # raw pages kept per article; 0 = all
    outbox_days: float = 0.0  # sent outbox rows older than this go; 0 = never
    runs_days: float = 0.0  # finished runs older than this go; 0 = never
    keep_event_kinds: tuple[str, ...] = ()  # sent rows of these event kinds are never deleted

    @property
    def active(self) -> bool:
        return bool(self.raw_pages or self.outbox_days or self.runs_days)


@dataclass(frozen=True)
class PruneReport:
    version_pages: int = 0  # raw pages of versions dropped (or that would be)
    anomaly_pages: int = 0
    raw_bytes: int = 0  # their compressed size
    outbox_rows: int = 0
    run_rows: int = 0
    dry_run: bool = False
    event_rows: int = 0  # routed events with no outbox row left

    @property
    def total(self) -> int:
        return self.version_pages + self.anomaly_pages + self.outbox_rows + self.run_rows + self.event_rows


def _ranked_pages() -> Any:
    """Every stored raw page: kind, id, article, size, and its rank within its article (1 = newest)."""
    pages = union_all(
        select(literal("v").label("kind"), Version.id.label("id"), Version.article_id.label("article_id"),
               Version.fetched_at.label("at"), func.length(Version.raw_html).label("size"))
        .where(Version.raw_html.is_not(None)),
        select(literal("a").label("kind"), Anomaly.id.label("id"), Anomaly.article_id.label("article_id"),
               Anomaly.detected_at.label("at"), func.length(Anomaly.raw_html).label("size"))
        .where(Anomaly.raw_html.is_not(None)),
    ).subquery()
    rank = func.row_number().over(partition_by=pages.c.article_id,
                                  order_by=(pages.c.at.desc(), pages.c.kind.desc(), pages.c.id.desc()))
    return select(pages.c.kind, pages.c.id, pages.c.size, rank.label("rank")).subquery()


def _latest_versions(session: Session) -> set[int]:
    latest = select(Version.article_id, func.max(Version.number).label("number")).group_by(Version.article_id)
    newest = latest.subquery()
    query = select(Version.id).join(newest, (Version.article_id == newest.c.article_id)
                                    & (Version.number == newest.c.number))
    removed = select(Version.id).join(Article, Article.id == Version.article_id).where(Article.removed_at.is_not(None))
    return set(session.execute(query).scalars()) | set(session.execute(removed).scalars())


def old_raw_pages(session: Session, keep: int) -> tuple[list[int], list[int], int]:
    """(version ids, anomaly ids, compressed bytes) of the raw pages beyond the newest ``keep`` per article."""
    ranked = _ranked_pages()
    rows = session.execute(select(ranked.c.kind, ranked.c.id, ranked.c.size).where(ranked.c.rank > keep)).all()
    protected = _latest_versions(session)
    versions = [row.id for row in rows if row.kind == "v" and row.id not in protected]
    anomalies = [row.id for row in rows if row.kind == "a"]
    size = sum(int(row.size or 0) for row in rows if row.kind == "a" or row.id not in protected)
    return versions, anomalies, size


def _clear(session: Session, model: type[Version] | type[Anomaly], ids: Sequence[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        session.execute(update(model).where(model.id.in_(ids[start:start + CHUNK])).values(raw_html=None))


def _outbox_query(policy: RetentionPolicy, now: datetime) -> Any:
    cutoff = now - timedelta(days=policy.outbox_days)
    query = [AlertOutbox.state == "sent", AlertOutbox.delivered_at < cutoff]
    if policy.keep_event_kinds:
        query.append(AlertOutbox.event_kind.not_in(policy.keep_event_kinds))
    return query


def _events_query(policy: RetentionPolicy, now: datetime) -> Any:
    """Routed events over ``outbox_days`` old with no outbox row left once the old sent ones go (or that no
    channel took)."""
    cutoff = now - timedelta(days=policy.outbox_days)
    staying = select(AlertOutbox.event_id).where(not_(and_(*_outbox_query(policy, now))))
    query = [AlertEvent.routed_at.is_not(None), AlertEvent.routed_at < cutoff, AlertEvent.event_id.not_in(staying)]
    if policy.keep_event_kinds:
        query.append(AlertEvent.event_kind.not_in(policy.keep_event_kinds))
    return query


def _runs_query(policy: RetentionPolicy, now: datetime) -> Any:
    return [CrawlRun.finished_at.is_not(None), CrawlRun.outcome != "running",
            CrawlRun.finished_at < now - timedelta(days=policy.runs_days)]


def _count(session: Session, model: type[AlertOutbox] | type[AlertEvent] | type[CrawlRun], where: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def prune(session: Session, policy: RetentionPolicy, now: datetime, dry_run: bool = False) -> PruneReport:
    """Apply ``policy`` at ``now`` in the caller's transaction; with ``dry_run``, only count."""
    versions: list[int] = []
    anomalies: list[int] = []
    size = outbox = events = runs = 0
    if policy.raw_pages:
        versions, anomalies, size = old_raw_pages(session, policy.raw_pages)
        if not dry_run:
            _clear(session, Version, versions)
            _clear(session, Anomaly, anomalies)
    if policy.outbox_days:
        where = _outbox_query(policy, now)
        outbox = _count(session, AlertOutbox, where)
        if not dry_run and outbox:
            session.execute(delete(AlertOutbox).where(*where))
        where = _events_query(policy, now)
        events = _count(session, AlertEvent, where)
        if not dry_run and events:
            session.execute(delete(AlertEvent).where(*where))
    if policy.runs_days:
        where = _runs_query(policy, now)
        runs = _count(session, CrawlRun, where)
        if not dry_run and runs:
            session.execute(delete(CrawlRun).where(*where))
    return PruneReport(len(versions), len(anomalies), size, outbox, runs, dry_run, events)
