"""Recording fetch results in storage: versions, validators, relevance, corpus files.

:class:`Recorder` is the crawler's own recorder (the pipeline's default, for a crawl handed none): a fetch
whose content hash equals the latest version's is ``unchanged``, any other is a new version (``new`` /
``changed``). The monitor hands its crawls its change detector instead (a :class:`crawler.pipeline.recorder.Recorder`,
``monitor.changes.record``), which reuses the helpers here. Corpus files are written inside the caller's
transaction, before it commits; under the storage pipeline they are staged there and renamed after the
commit (``crawler.pipeline.batch``), and a crawl's start rewrites from storage the documents a killed one left as
temp files (:func:`recover_corpus`).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings
from sqlalchemy.orm import Session

from newswatch.crawler.extract.publisher import publisher_name
from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle, Missing, RejectedPage
from newswatch.crawler.options import options_of
from newswatch.crawler.pipeline.fastpath import META_KEY
from newswatch.crawler.pipeline.identity import DISPLACED_KEY
from newswatch.crawler.urls import site_of, url_hash
from newswatch.storage.corpus.document import Document
from newswatch.storage.corpus.folder import Corpus, leftovers
from newswatch.storage.models import Article, Version, displaced_key
from newswatch.storage.queries import articles as article_queries
from newswatch.storage.queries.versions import latest_version as latest_version  # the monitor's recorders read it here
from newswatch.storage.queries.versions import versions_without_pages
from newswatch.storage.repository import ensure_article

MAX_RAW_BYTES = 8 * 1024 * 1024
# the stored raw page's zlib level: 1 costs 0.4x the CPU of 6 (1.0 against 2.4 ms for the 132 KB mean page of
# tests/fixtures/zh_news, in the recorder thread, every new version) for 14 % more bytes (36 against 32 KB)
RAW_COMPRESSION_LEVEL = 1


@dataclass(frozen=True)
class Recorded:
    outcome: str  # new | changed | unchanged | not_modified | rejected | unknown (+ the monitor's own)
    article_id: int | None = None
    version: int | None = None
    relevant: bool | None = None
    corpus_files: int = 0


def content_hash(title: str | None, body: str) -> str:
    """SHA-256 over the title and the whitespace-normalized body: what counts as 'the same content'."""
    normalized = "\n".join(" ".join(line.split()) for line in body.splitlines() if line.strip())
    return hashlib.sha256(f"{title or ''}\n\n{normalized}".encode()).hexdigest()


def fetched_history(session: Session, item: FetchedArticle, relevant: bool, now: datetime
                    ) -> tuple[Article, list[Version] | None]:
    """The article row for a fetch, with its check time and relevance updated, and its versions in order
    (without their stored pages); None when this fetch created it. One statement for a known article
    (the article and its versions together), two for a new one (that lookup, and an ``INSERT ... ON
    CONFLICT DO NOTHING RETURNING`` that a concurrent insert of the same URL turns into a second lookup)."""
    found = article_queries.article_history(session, item.url)
    if found is not None:
        article, versions = found
        article.last_checked_at = now
        article.relevant = relevant
        return article, versions
    return _new_article(session, item, relevant, now)


def _new_article(session: Session, item: FetchedArticle, relevant: bool, now: datetime
                 ) -> tuple[Article, list[Version] | None]:
    values = {"canonical_url": item.url, "title": item.title, "relevant": relevant,
              "discovered_from": item.discovered_from, "first_seen_at": now, "last_checked_at": now}
    if isinstance(moved := item.meta.get(DISPLACED_KEY), str):  # the URL's last holder moved there: ids apart
        values["event_key"] = displaced_key(item.url, moved)
    created = article_queries.insert_article(session, values)
    if created is not None:
        return created, None
    article = ensure_article(session, item.url, **values)  # another writer created it meanwhile
    article.last_checked_at = now
    article.relevant = relevant
    return article, versions_without_pages(session, article.id)


def new_version(article: Article, number: int, item: FetchedArticle, digest: str, now: datetime,
                **meta: Any) -> Version:
    """A version row for ``item`` (raw body compressed, validators, extractor name and version)."""
    article.title = item.title
    raw = zlib.compress(item.raw_body[:MAX_RAW_BYTES], RAW_COMPRESSION_LEVEL)
    return Version(
        article_id=article.id, number=number, title=item.title, body=item.body, meta={**item.meta, **meta},
        fingerprint=item.fingerprint, content_hash=digest, raw_html=raw,
        http_status=item.http_status, etag=item.etag, last_modified=item.last_modified,
        extractor=item.extractor, extractor_version=item.extractor_version, fetched_at=now,
    )


def refresh_latest(latest: Version, item: FetchedArticle) -> None:
    """An unchanged fetch: the latest version takes the answer's validators and page key (so the next
    fetch of the same bytes skips extraction, ``crawler.pipeline.fastpath``)."""
    latest.etag, latest.last_modified = item.etag or latest.etag, item.last_modified or latest.last_modified
    key = item.meta.get(META_KEY)
    if key and (latest.meta or {}).get(META_KEY) != key:
        latest.meta = {**(latest.meta or {}), META_KEY: key}


def article_document(article: Article, version: Version) -> Document:
    """The corpus form of an article at a version: a pure function of stored rows (so export can redo it)."""
    meta = version.meta or {}
    extra: list[tuple[str, object]] = [("version", version.number)]
    if meta.get("updated"):
        extra.append(("updated", meta["updated"]))
    if article.discovered_from:
        extra.append(("discovered_from", article.discovered_from))
    extra.append(("content_hash", version.content_hash))
    if article.removed_at is not None:  # taken down: the document keeps its last text (crawler.extract.removal)
        extra.append(("removed", article.removed_at.astimezone(UTC).isoformat(timespec="seconds")))
    return Document(
        title=version.title, url=article.canonical_url, source=corpus_source(meta, article.canonical_url),
        date=meta.get("date"), fetch_date=version.fetched_at.astimezone(UTC).isoformat(timespec="seconds"),
        author=meta.get("author"), lang=meta.get("language"), body=version.body, extra=tuple(extra),
    )


def corpus_source(meta: dict[str, Any], url: str) -> str:
    """The corpus ``source`` of an article: the registered source's name (``meta["source"]``), else the
    publisher the page names (``site_name``: :mod:`crawler.extract.publisher`, or the WeChat account), else the
    site's host without port -- never a copyright notice (pure; older versions' meta are re-checked)."""
    registered, named = meta.get("source"), meta.get("site_name")
    if isinstance(registered, str) and registered.strip():
        return registered.strip()
    return (publisher_name(named) if isinstance(named, str) else None) or site_of(url)


def save_to_corpus(session: Session, corpus: Corpus, article: Article, latest: Version | None = None) -> Path | None:
    """(Re)write the article's document at its latest version (``latest`` when the caller holds it);
    the file keeps its name forever."""
    version = latest if latest is not None else latest_version(session, article.id)
    if version is None:
        return None
    document = article_document(article, version)
    path = corpus.save(url_hash(article.canonical_url), document, article.corpus_file)
    article.corpus_file = path.name
    return path


def moved_article(session: Session, corpus: Corpus, item: FetchedArticle) -> Article | None:
    """The article :func:`crawler.pipeline.identity.claimed_identity` moved away from ``item``'s URL (its
    ``meta["displaced"]``), its corpus documents retired under their old name for the caller to write anew
    under its new URL (so the page at home gets that URL's document)."""
    moved = item.meta.get(DISPLACED_KEY)
    article = article_queries.article_by_url(session, moved) if isinstance(moved, str) else None
    if article is None or article.corpus_file is None:
        return None
    corpus.retire(article.corpus_file)
    article.corpus_file = None
    return article


def recover_corpus(session: Session, corpus: Corpus, rewrite: Callable[[Session, Article], int]) -> int:
    """The temp files of corpus writes a killed crawl never renamed: each article storage holds in the
    corpus under one of their names is rewritten from storage (``rewrite``), the temp files removed (those
    of a transaction that never committed are simply dropped). How many files were rewritten."""
    found = leftovers(corpus.folder)
    if not found:
        return 0
    names = {_article_file(name) for _tmp, name in found}
    written = sum(rewrite(session, article) for article in article_queries.articles_with_files(session, names))
    for tmp, _name in found:
        tmp.unlink(missing_ok=True)
    return written


def _article_file(name: str) -> str:
    """The article document a corpus file belongs to (``changes/NNN_x.v002.txt`` -> ``NNN_x.txt``)."""
    base = Path(name).name
    return base.rsplit(".v", 1)[0] + ".txt" if name.startswith("changes/") else base


class Recorder:
    """The crawler's default recorder: versions by content hash, new relevant articles to the corpus."""

    def __init__(self, topic: Topic, corpus: Corpus) -> None:
        self.topic = topic
        self.corpus = corpus

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Recorder:
        options = options_of(settings)
        return cls(Topic(options.keywords), Corpus(Path(options.corpus_dir)))

    def fetched(self, session: Session, item: FetchedArticle, now: datetime) -> Recorded:
        if (moved := moved_article(session, self.corpus, item)) is not None:
            save_to_corpus(session, self.corpus, moved)
        relevant = self.topic.matches(item.title, item.body)
        article, versions = fetched_history(session, item, relevant, now)
        digest = content_hash(item.title, item.body)
        latest = versions[-1] if versions else None
        if latest is not None and latest.content_hash == digest:
            refresh_latest(latest, item)
            return Recorded("unchanged", article.id, latest.number, relevant)
        number = 1 if latest is None else latest.number + 1
        version = new_version(article, number, item, digest, now)
        session.add(version)
        session.flush()
        written = 0
        if latest is None and relevant:
            written = int(save_to_corpus(session, self.corpus, article, version) is not None)
        return Recorded("new" if latest is None else "changed", article.id, number, relevant, written)

    def not_modified(self, session: Session, url: str, now: datetime) -> Recorded:
        article = article_queries.article_by_url(session, url)
        if article is None:
            return Recorded("unknown")
        article.last_checked_at = now
        return Recorded("not_modified", article.id, None, article.relevant)

    def rejected(self, session: Session, page: RejectedPage, now: datetime) -> Recorded:
        return Recorded("rejected")

    def missing(self, session: Session, item: Missing, now: datetime) -> Recorded:
        """A stored article's URL no longer serves it: checked (the monitor's recorder records removals)."""
        return Recorded("missing")

    def recover(self, session: Session) -> int:
        """Corpus documents a killed crawl left unwritten, rewritten from storage."""
        return recover_corpus(session, self.corpus,
                              lambda s, article: int(save_to_corpus(s, self.corpus, article) is not None))
