"""What the web view reads, as frozen records: recent changes, articles, versions, sources, the outbox.

Read-only: every function takes a session and returns values; nothing here writes. An article's source
is the one it was imported under (``articles.source_id``) or else the registered source whose URL
prefix it starts with (as ``newswatch status`` counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from newswatch.monitor.changes.detect import CHANGE_CLASSES
from newswatch.monitor.changes.events import event_id
from newswatch.monitor.runs.status import status
from newswatch.storage.models import Article, Change, Source, event_key
from newswatch.storage.queries import articles as article_queries
from newswatch.storage.queries import changes as change_queries
from newswatch.storage.queries import outbox as outbox_queries
from newswatch.storage.queries import sources as source_queries
from newswatch.storage.queries import versions as version_queries
from newswatch.storage.queries.changes import ChangeFilter, JoinedChange

__all__ = ["ChangeFilter"]  # the filter the routes build, defined with the query it narrows

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


def source_names(session: Session) -> tuple[str, ...]:
    return source_queries.source_names(session)


def _source_of(article: Article, sources: list[Source]) -> str | None:
    for source in sources:
        if article.source_id == source.id:
            return source.name
    for source in sources:
        prefix = source_queries.url_prefix(source.url)
        if prefix and article.canonical_url.startswith(prefix):
            return source.name
    return None


# -- changes ----------------------------------------------------------------------------------------


def _rows(session: Session, ids: list[int]) -> list[ChangeRow]:
    """The changes with these ids, in this order."""
    sources = source_queries.sources_by_id(session)
    return [_change_row(found, _source_of(found.article, sources))
            for found in change_queries.joined_changes(session, ids)]


def recent_changes(session: Session, where: ChangeFilter, paging: Paging) -> Counted[ChangeRow]:
    """Changes newest first, filtered, one page of them and how many there are in all."""
    total = change_queries.count_changes(session, where)
    ids = change_queries.change_ids(session, where, paging.offset, paging.per_page)
    return Counted(tuple(_rows(session, ids)), total)


def _change_row(found: JoinedChange, source: str | None) -> ChangeRow:
    change, article, old, new = found.change, found.article, found.from_number, found.to_number
    diff = change.diff_json or {}
    return ChangeRow(
        article.id, article.canonical_url, article.title, source, change.change_class,
        tuple(change.changed_fields), old, new, change.reverted_to, change.detected_at,
        int(diff.get("inserted_chars", 0)), int(diff.get("deleted_chars", 0)),
        event_id("article.changed", event_key(article), new),
    )


def change_of(session: Session, article_id: int, to_version: int) -> ChangeRow | None:
    """The change that made version ``to_version`` of an article."""
    found = change_queries.one_change_id(session, ChangeFilter(article_id=article_id, to_version=to_version))
    rows = _rows(session, [found] if found is not None else [])
    return rows[0] if rows else None


def stored_diff(session: Session, article_id: int, to_version: int) -> tuple[dict[str, Any] | None, str | None,
                                                                            str | None] | None:
    """The structured diff stored with a change (``monitor.changes.render.to_json``), old and new title."""
    return change_queries.stored_diff(session, article_id, to_version)


def change_classes(session: Session) -> tuple[str, ...]:
    """The documented classes, and any other class found in storage."""
    found = change_queries.stored_classes(session)
    return (*CHANGE_CLASSES, *sorted(found - set(CHANGE_CLASSES)))


# -- articles ---------------------------------------------------------------------------------------


def _article_row(article: Article, versions: int, source: str | None) -> ArticleRow:
    return ArticleRow(article.id, article.canonical_url, article.title, source, article.status, article.relevant,
                      article.first_seen_at, article.last_checked_at, versions,
                      event_id("article.new", event_key(article)))


def article(session: Session, article_id: int) -> ArticleRow | None:
    found = article_queries.article_by_id(session, article_id)
    if found is None:
        return None
    count = version_queries.count_versions(session, article_id)
    return _article_row(found, count, _source_of(found, source_queries.sources_by_id(session)))


def new_articles(session: Session, source: str | None, paging: Paging) -> Counted[ArticleRow]:
    """Articles newest first (by first seen), with at least one version; of one source if named."""
    rows, total = article_queries.articles_with_versions(session, source, paging.offset, paging.per_page)
    sources = source_queries.sources_by_id(session)
    return Counted(tuple(_article_row(a, n, _source_of(a, sources)) for a, n in rows), total)


def versions(session: Session, article_id: int) -> tuple[VersionRow, ...]:
    changes: dict[int, Change] = change_queries.changes_by_target(session, article_id)
    found = []
    for v in version_queries.versions_of(session, article_id):
        change = changes.get(v.id)
        found.append(VersionRow(v.number, v.fetched_at, v.title, len(v.body), v.extractor, v.http_status,
                                change.change_class if change else None,
                                tuple(change.changed_fields) if change else (),
                                change.reverted_to if change else None))
    return tuple(found)


def version_text(session: Session, article_id: int, number: int) -> tuple[str | None, str] | None:
    """A version's title and body."""
    return version_queries.version_text(session, article_id, number)


def anomalies(session: Session, article_id: int) -> tuple[AnomalyRow, ...]:
    rows = version_queries.anomalies_of(session, article_id)
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
    by_name = {s.name: s for s in source_queries.sources_by_id(session)}
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
    rows, total = outbox_queries.outbox_page(session, state, paging.offset, paging.per_page)
    items = []
    for row in rows:
        article_info = (row.payload or {}).get("article") or {}
        items.append(OutboxRow(row.id, row.event_id, row.channel, row.event_kind, row.state, row.attempts,
                               row.next_attempt_at, row.created_at, row.last_error, article_info.get("title"),
                               article_info.get("url")))
    return Counted(tuple(items), total)
