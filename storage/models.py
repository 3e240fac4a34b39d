"""SQLAlchemy 2 typed models. Every write is idempotent under a unique key.

sources      a site, feed, sitemap or named publication, with its schedule and health
articles     one row per canonical URL (unique); ``event_key``: what its event ids name, if not the URL
versions     what one fetch of an article extracted (unique per article and number)
changes      between two versions of one article (unique per target version)
alert_events one row per event (unique event id), written with the records that raised it
alert_outbox one row per event and channel (unique) whose rules accept it, delivered by the outbox worker
crawl_runs   one row per crawl: start, end, stats, outcome (a worker's: unique per job and attempt)
documents    the corpus files imported into storage (unique per file name)
anomalies    fetches not accepted as versions (empty, shrunk, error pages), re-checked next visit
removals     an article taken down (gone, withdrawn, redirected, hidden), with its evidence; restored_at
             once it answers with its text again
template_lines  per site: how many articles have each line key (site templates are learned from it)
article_lines   the line keys each article contributed to its site's counts
site_templates  the template lines a version was compared under (by digest), to replay the decision
source_validators  per feed or leaf sitemap URL: the ETag / Last-Modified of its last complete read
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset: we store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # site | feed | sitemap | publication
    url: Mapped[str | None] = mapped_column(String(2048))
    site: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    next_check_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    corpus_file: Mapped[str | None] = mapped_column(String(255))
    discovered_from: Mapped[str | None] = mapped_column(String(2048))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | removed
    removed_at: Mapped[datetime | None]  # when its removal was confirmed (None: it answers)
    missing_since: Mapped[datetime | None]  # a first 404, confirmed (or not) by the next check
    event_key: Mapped[str | None] = mapped_column(Text)  # what its event ids name, when not its URL (event_key)

    versions: Mapped[list[Version]] = relationship(back_populates="article", order_by="Version.number")


KEY_SEPARATOR = "\x1f"  # between the parts of an event id (monitor.changes.events.event_id)


def event_key(article: Article) -> str:
    """What names ``article`` in its event ids (``monitor.changes.events.event_id(type, key, ...)``): its canonical
    URL, as always, unless the article's stored ``event_key`` says otherwise -- an article re-keyed to another URL
    keeps the key it had (:func:`crawler.pipeline.identity.claimed_identity`), and an article created at a URL
    whose previous holder moved away gets :func:`displaced_key`, so neither raises an id the other raised."""
    return article.event_key or article.canonical_url


def displaced_key(url: str, moved_to: str) -> str:
    """The event key of an article created at ``url`` after the article held there moved to ``moved_to``: the two
    URLs as two parts of an id (its ``article.new`` id is ``event_id("article.new", url, moved_to)``)."""
    return f"{url}{KEY_SEPARATOR}{moved_to}"


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    content_hash: Mapped[str] = mapped_column(String(64))
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed response body
    http_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    extractor: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="versions")


class Change(Base):
    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), unique=True)
    changed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    change_class: Mapped[str] = mapped_column(String(32))
    diff: Mapped[str] = mapped_column(Text)  # readable text form
    diff_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # structured form (webhooks)
    reverted_to: Mapped[int | None] = mapped_column(Integer)  # version number a revert returns to
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class Anomaly(Base):
    """A fetch that was not accepted as a version (empty, shrunk, error page...): re-checked next visit."""

    __tablename__ = "anomalies"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    body_chars: Mapped[int] = mapped_column(Integer, default=0)
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary)
    http_status: Mapped[int | None] = mapped_column(Integer)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class Removal(Base):
    """An article taken down (``crawler.extract.removal``): the kind, the evidence, the last version held."""

    __tablename__ = "removals"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # gone | withdrawn | redirected | hidden
    http_status: Mapped[int | None] = mapped_column(Integer)
    notice: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(2048))  # where a redirect went
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    restored_at: Mapped[datetime | None]


class AlertEvent(Base):
    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    routed_at: Mapped[datetime | None] = mapped_column(index=True)  # None: the channels' rules not applied yet


class AlertOutbox(Base):
    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint("event_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(100))
    event_kind: Mapped[str] = mapped_column(String(32))  # new | changed | ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (UniqueConstraint("job_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="run")  # run | replay | record | scheduled
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | partial | failed
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(300), index=True)  # a worker's job: crawl:<site>@<enqueued ms>
    attempt: Mapped[int | None] = mapped_column(Integer)  # the job's try number (arq's job_try)


class CorpusDocument(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2048))
    page_links: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class TemplateLine(Base):
    """How many articles of a site have a line (by key; key ``*``: the site's article count), and the most
    that have had it at once since the line was last held by none (``peak``)."""

    __tablename__ = "template_lines"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    line_hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    peak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ArticleLine(Base):
    """A line key one article contributed to its site's :class:`TemplateLine` counts."""

    __tablename__ = "article_lines"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    line_hash: Mapped[str] = mapped_column(String(16), primary_key=True)


class SiteTemplate(Base):
    """The template lines (keys) found in a version's body, named by digest in the version's meta."""

    __tablename__ = "site_templates"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    digest: Mapped[str] = mapped_column(String(16), primary_key=True)
    line_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceValidator(Base):
    """The validators a feed or leaf sitemap answered with when a run last read it completely (every link
    it listed fetched): sent as a conditional GET next run. Absent: the next run reads it in full."""

    __tablename__ = "source_validators"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # feed | sitemap
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
