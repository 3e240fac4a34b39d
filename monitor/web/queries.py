"""What the web view reads, as frozen records: recent changes, articles, versions, sources, the outbox.

Read-only: every function takes a session and returns values; nothing here writes. An article's source
is the one it was imported under (``articles.source_id``) or else the registered source whose URL
prefix it starts with (as ``newswatch status`` counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from monitor.alerts.events import event_id
from monitor.changes.detect import CHANGE_CLASSES
from monitor.core.status import status
from storage.models import AlertOutbox, Anomaly, Article, Change, Source, Version

MAX_PER_PAGE = 200

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class ChangeFilter:
    source: str | None = None
    change_class: str | None = None
    since: date | None = None  # detected on or after this day (UTC)
    until: date | None = None  # detected on or before this day (UTC)
    article_id: int | None = None
    to_version: int | None = None  # the change that made this version (with article_id)


@dataclass(frozen=True)
class ChangeRow:
    article_id: int
    url: str
    title: str | None
    source: str | None
    change_class: str
    changed_fields: tuple[str, ...]
    from_version: int
    to_version: int
    reverted_to: int | None
    detected_at: datetime
    inserted_chars: int
    deleted_chars: int
    event_id: str  # the id of the alert event of this change: stable across restarts and rebuilds


@dataclass(frozen=True)
class ArticleRow:
    id: int
    url: str
    title: str | None
    source: str | None
    status: str
    relevant: bool | None
    first_seen_at: datetime
    last_checked_at: datetime | None
    versions: int
    event_id: str  # the id of its article.new event


@dataclass(frozen=True)
class VersionRow:
    number: int
    fetched_at: datetime
    title: str | None
    chars: int
    extractor: str
    http_status: int | None
    change_class: str | None
    changed_fields: tuple[str, ...]
    reverted_to: int | None


@dataclass(frozen=True)
class AnomalyRow:
    detected_at: datetime
    reason: str
    detail: str | None
    title: str | None
    body_chars: int
    http_status: int | None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_id: str
    channel: str
    event_kind: str
    state: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None
    title: str | None
    url: str | None


@dataclass(frozen=True)
class Counted(Generic[T]):
    items: tuple[T, ...]
    total: int


# -- sources of articles ---------------------------------------------------------------------------


def _prefix(url: str | None) -> str | None:
    return "/".join(url.split("/", 3)[:3]) + "/" if url and "://" in url else None


def source_names(session: Session) -> tuple[str, ...]:
    return tuple(session.execute(select(Source.name).order_by(Source.name)).scalars())


def _source_of(article: Article, sources: list[Source]) -> str | None:
    for source in sources:
        if article.source_id == source.id:
            return source.name
    for source in sources:
        prefix = _prefix(source.url)
        if prefix and article.canonical_url.startswith(prefix):
            return source.name
    return None


def _in_source(session: Session, name: str) -> ColumnElement[bool]:
    source = session.execute(select(Source).where(Source.name == name)).scalars().first()
    if source is None:
        return false()
    prefix = _prefix(source.url)
    return or_(Article.source_id == source.id, Article.canonical_url.startswith(prefix)) if prefix else (
        Article.source_id == source.id)


def _sources(session: Session) -> list[Source]:
    return list(session.execute(select(Source).order_by(Source.id)).scalars())


# -- changes ----------------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _matching(session: Session, where: ChangeFilter) -> Select[int]:
    """The ids of the changes that match (narrow: sorting and counting never read the diffs)."""
    query = select(Change.id).join(Article, Article.id == Change.article_id)
    conditions: list[ColumnElement[bool]] = []
    if where.source:
        conditions.append(_in_source(session, where.source))
    if where.change_class:
        conditions.append(Change.change_class == where.change_class)
    if where.since:
        conditions.append(Change.detected_at >= _day_start(where.since))
    if where.until:
        conditions.append(Change.detected_at < _day_start(where.until + timedelta(days=1)))
    if where.article_id is not None:
        conditions.append(Change.article_id == where.article_id)
    if where.to_version is not None:
        new = aliased(Version)
        query = query.join(new, new.id == Change.to_version_id)
        conditions.append(new.number == where.to_version)
    return query.where(and_(*conditions)) if conditions else query


def _rows(session: Session, ids: list[int]) -> list[ChangeRow]:
    """The changes with these ids, in this order."""
    old, new = aliased(Version), aliased(Version)
    query = (select(Change, Article, old.number, new.number).join(Article, Article.id == Change.article_id)
             .join(old, old.id == Change.from_version_id).join(new, new.id == Change.to_version_id)
             .where(Change.id.in_(ids)))
    found = {change.id: (change, article, a, b) for change, article, a, b in session.execute(query).all()}
    sources = _sources(session)
    return [_change_row(*found[i], _source_of(found[i][1], sources)) for i in ids if i in found]


def recent_changes(session: Session, where: ChangeFilter, paging: Paging) -> Counted[ChangeRow]:
    """Changes newest first, filtered, one page of them and how many there are in all."""
    matching = _matching(session, where)
    total = session.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
    ids = list(session.execute(matching.order_by(Change.detected_at.desc(), Change.id.desc())
                               .offset(paging.offset).limit(paging.per_page)).scalars())
    return Counted(tuple(_rows(session, ids)), int(total))


def _change_row(change: Change, article: Article, old: int, new: int, source: str | None) -> ChangeRow:
    diff = change.diff_json or {}
    return ChangeRow(
        article.id, article.canonical_url, article.title, source, change.change_class,
        tuple(change.changed_fields), old, new, change.reverted_to, change.detected_at,
        int(diff.get("inserted_chars", 0)), int(diff.get("deleted_chars", 0)),
        event_id("article.changed", article.canonical_url, new),
    )


def change_of(session: Session, article_id: int, to_version: int) -> ChangeRow | None:
    """The change that made version ``to_version`` of an article."""
    ids = list(session.execute(_matching(session, ChangeFilter(article_id=article_id, to_version=to_version))
                               .limit(1)).scalars())
    rows = _rows(session, ids)
    return rows[0] if rows else None


def stored_diff(session: Session, article_id: int, to_version: int) -> tuple[dict[str, Any] | None, str | None,
                                                                            str | None] | None:
    """The structured diff stored with a change (``monitor.changes.render.to_json``), old and new title."""
    old, new = aliased(Version), aliased(Version)
    row = session.execute(select(Change.diff_json, old.title, new.title)
                          .join(old, old.id == Change.from_version_id).join(new, new.id == Change.to_version_id)
                          .where(Change.article_id == article_id, new.number == to_version)).first()
    return (row[0], row[1], row[2]) if row is not None else None


def change_classes(session: Session) -> tuple[str, ...]:
    """The documented classes, and any other class found in storage."""
    found = set(session.execute(select(Change.change_class).distinct()).scalars())
    return (*CHANGE_CLASSES, *sorted(found - set(CHANGE_CLASSES)))


# -- articles ---------------------------------------------------------------------------------------


def _article_row(article: Article, versions: int, source: str | None) -> ArticleRow:
    return ArticleRow(article.id, article.canonical_url, article.title, source, article.status, article.relevant,
                      article.first_seen_at, article.last_checked_at, versions,
                      event_id("article.new", article.canonical_url))


def article(session: Session, article_id: int) -> ArticleRow | None:
    found = session.get(Article, article_id)
    if found is None:
        return None
    count = session.execute(select(func.count()).where(Version.article_id == article_id)).scalar_one()
    return _article_row(found, int(count), _source_of(found, _sources(session)))


def new_articles(session: Session, source: str | None, paging: Paging) -> Counted[ArticleRow]:
    """Articles newest first (by first seen), with at least one version; of one source if named."""
    counts = (select(Version.article_id, func.count().label("n")).group_by(Version.article_id).subquery())
    query = select(Article, counts.c.n).join(counts, counts.c.article_id == Article.id)
    if source:
        query = query.where(_in_source(session, source))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Article.first_seen_at.desc(), Article.id.desc())
                           .offset(paging.offset).limit(paging.per_page)).all()
    sources = _sources(session)
    return Counted(tuple(_article_row(a, int(n), _source_of(a, sources)) for a, n in rows), int(total))


def versions(session: Session, article_id: int) -> tuple[VersionRow, ...]:
    changes = {c.to_version_id: c for c in session.execute(select(Change).where(Change.article_id == article_id))
               .scalars()}
    rows = session.execute(select(Version).where(Version.article_id == article_id).order_by(Version.number))
    found = []
    for v in rows.scalars():
        change = changes.get(v.id)
        found.append(VersionRow(v.number, v.fetched_at, v.title, len(v.body), v.extractor, v.http_status,
                                change.change_class if change else None,
                                tuple(change.changed_fields) if change else (),
                                change.reverted_to if change else None))
    return tuple(found)


def version_text(session: Session, article_id: int, number: int) -> tuple[str | None, str] | None:
    """A version's title and body."""
    row = session.execute(select(Version.title, Version.body)
                          .where(Version.article_id == article_id, Version.number == number)).first()
    return (row[0], row[1]) if row is not None else None


def anomalies(session: Session, article_id: int) -> tuple[AnomalyRow, ...]:
    rows = session.execute(select(Anomaly).where(Anomaly.article_id == article_id).order_by(Anomaly.id)).scalars()
    return tuple(AnomalyRow(a.detected_at, a.reason, a.detail, a.title, a.body_chars, a.http_status) for a in rows)


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: str
    url: str | None
    health: str
    articles: int
    interval_seconds: int
    last_checked_at: datetime | None
    next_check_at: datetime | None
    last_ok_at: datetime | None
    consecutive_failures: int
    last_error: str | None


def sources(session: Session, quiet_days: float) -> tuple[SourceRow, ...]:
    """Every source with its health (as ``newswatch status`` tells it), last and next check."""
    by_name = {s.name: s for s in _sources(session)}
    rows = []
    for found in status(session, quiet_days).sources:
        row = by_name[found.name]
        rows.append(SourceRow(found.name, row.kind, found.url, found.health, found.articles, found.interval_seconds,
                              found.last_checked_at, found.next_check_at, row.last_ok_at,
                              row.consecutive_failures, row.last_error))
    return tuple(rows)


# -- the outbox -------------------------------------------------------------------------------------


def outbox(session: Session, state: str, paging: Paging) -> Counted[OutboxRow]:
    """Outbox rows in one state (pending: next attempt first; dead: newest first)."""
    query = select(AlertOutbox).where(AlertOutbox.state == state)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = (AlertOutbox.next_attempt_at, AlertOutbox.id) if state == "pending" else (AlertOutbox.id.desc(),)
    rows = session.execute(query.order_by(*order).offset(paging.offset).limit(paging.per_page)).scalars()
    items = []
    for row in rows:
        article_info = (row.payload or {}).get("article") or {}
        items.append(OutboxRow(row.id, row.event_id, row.channel, row.event_kind, row.state, row.attempts,
                               row.next_attempt_at, row.created_at, row.last_error, article_info.get("title"),
                               article_info.get("url")))
    return Counted(tuple(items), int(total))
