"""Recording fetch results in storage, one transaction each: article, version, relevance, corpus file.

Outcomes: ``new`` (first version), ``changed`` (content differs from the latest version),
``unchanged`` (same content hash: only the check time moves), ``not_modified`` (HTTP 304).
Change classification and diffs are the monitor's job; this records versions faithfully.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.items import FetchedArticle
from crawler.topic import Topic
from crawler.urls import site_of, url_hash
from storage.corpus import Corpus
from storage.document import Document
from storage.models import Article, Version
from storage.repository import ensure_article

MAX_RAW_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Recorded:
    outcome: str  # new | changed | unchanged | not_modified | unknown
    article_id: int | None
    version: int | None
    relevant: bool | None
    corpus_file: str | None = None


def content_hash(title: str | None, body: str) -> str:
    """SHA-256 over the title and the whitespace-normalized body: what counts as 'the same content'."""
    normalized = "\n".join(" ".join(line.split()) for line in body.splitlines() if line.strip())
    return hashlib.sha256(f"{title or ''}\n\n{normalized}".encode()).hexdigest()


def latest_version(session: Session, article_id: int) -> Version | None:
    query = select(Version).where(Version.article_id == article_id).order_by(Version.number.desc())
    return session.execute(query.limit(1)).scalars().first()


def record_fetch(session: Session, item: FetchedArticle, topic: Topic, now: datetime | None = None) -> Recorded:
    """Store one fetched article; a repeat of the latest content adds no version."""
    now = now or datetime.now(UTC)
    relevant = topic.matches(item.title, item.body)
    article = ensure_article(session, item.url, title=item.title, relevant=relevant,
                             discovered_from=item.discovered_from, first_seen_at=now)
    article.last_checked_at = now
    article.relevant = relevant
    digest = content_hash(item.title, item.body)
    latest = latest_version(session, article.id)
    if latest is not None and latest.content_hash == digest:
        latest.etag, latest.last_modified = item.etag or latest.etag, item.last_modified or latest.last_modified
        return Recorded("unchanged", article.id, latest.number, relevant)
    number = 1 if latest is None else latest.number + 1
    session.add(_version(article.id, number, item, digest, now))
    article.title = item.title
    session.flush()
    return Recorded("new" if latest is None else "changed", article.id, number, relevant)


def record_not_modified(session: Session, url: str, now: datetime | None = None) -> Recorded:
    article = session.execute(select(Article).where(Article.canonical_url == url)).scalars().first()
    if article is None:
        return Recorded("unknown", None, None, None)
    article.last_checked_at = now or datetime.now(UTC)
    return Recorded("not_modified", article.id, None, article.relevant)


def _version(article_id: int, number: int, item: FetchedArticle, digest: str, now: datetime) -> Version:
    raw = item.raw_body[:MAX_RAW_BYTES]
    return Version(
        article_id=article_id, number=number, title=item.title, body=item.body, meta=dict(item.meta),
        fingerprint=item.fingerprint, content_hash=digest, raw_html=zlib.compress(raw, 6),
        http_status=item.http_status, etag=item.etag, last_modified=item.last_modified,
        extractor=item.extractor, extractor_version=item.extractor_version, fetched_at=now,
    )


def corpus_document(url: str, version: Version, discovered_from: str | None, fetched: datetime) -> Document:
    """The corpus form of a stored article version (canonical front matter keys)."""
    meta = version.meta or {}
    extra: list[tuple[str, object]] = [("content_hash", version.content_hash)]
    if discovered_from:
        extra.insert(0, ("discovered_from", discovered_from))
    return Document(
        title=version.title, url=url, source=meta.get("site_name") or site_of(url),
        date=meta.get("date"), fetch_date=fetched.astimezone(UTC).isoformat(timespec="seconds"),
        author=meta.get("author"), lang=meta.get("language"), body=version.body, extra=tuple(extra),
    )


def save_to_corpus(session: Session, corpus: Corpus, article: Article) -> str | None:
    """Write the article's latest version to the corpus (same file on every re-write) and remember it."""
    version = latest_version(session, article.id)
    if version is None:
        return None
    document = corpus_document(article.canonical_url, version, article.discovered_from, version.fetched_at)
    path = corpus.save(url_hash(article.canonical_url), document)
    article.corpus_file = path.name
    return path.name


def write_to_corpus(session: Session, corpus: Corpus, recorded: Recorded) -> str | None:
    """Write a new relevant article to the corpus (the topic filter decides who joins)."""
    if recorded.outcome != "new" or not recorded.relevant or recorded.article_id is None:
        return None
    article = session.get(Article, recorded.article_id)
    return save_to_corpus(session, corpus, article) if article is not None else None
