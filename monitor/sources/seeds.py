"""The seed corpus into storage: which seeds there are, what they point at, and the import."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.urls import site_of, try_canonical_url
from newswatch.monitor.changes.detect import SEED_EXTRACTOR, Snapshot
from newswatch.storage.corpus.document import Document, render_document
from newswatch.storage.corpus.folder import CorpusLoad, Problem, load_corpus
from newswatch.storage.engine import transaction
from newswatch.storage.models import Version
from newswatch.storage.queries.versions import seed_version
from newswatch.storage.repository import ensure_article, ensure_source, import_document


@dataclass(frozen=True)
class SeedEntry:
    """One seed file with what newswatch reads from it."""

    file_name: str
    document: Document
    canonical_url: str | None
    page_urls: tuple[str, ...]
    image_count: int

    @property
    def source_name(self) -> str | None:
        return self.document.source

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(render_document(self.document).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    problems: tuple[Problem, ...]


def seed_entries(load: CorpusLoad) -> tuple[SeedEntry, ...]:
    """Pure: the seeds with their canonical source URL and canonical page links (no images)."""
    entries = []
    for loaded in load.documents:
        doc = loaded.document
        source_url = next((c for c in map(try_canonical_url, doc.urls) if c), None)
        pages = (try_canonical_url(link.url) for link in doc.links if not link.is_image)
        page_urls = tuple(dict.fromkeys(p for p in pages if p and p != source_url))
        images = sum(1 for link in doc.links if link.is_image)
        entries.append(SeedEntry(loaded.path.name, doc, source_url, page_urls, images))
    return tuple(entries)


def read_seeds(folder: Path) -> tuple[tuple[SeedEntry, ...], tuple[Problem, ...]]:
    load = load_corpus(folder)
    return seed_entries(load), load.problems


def import_seeds(factory: sessionmaker[Session], folder: Path) -> ImportReport:
    """Load every seed into storage; a second import of the same files changes nothing."""
    entries, problems = read_seeds(folder)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for entry in entries:
        with transaction(factory) as session:
            result = _import_one(session, entry)
        key = "created" if result[0] else "updated" if result[1] else "unchanged"
        counts[key] += 1
    return ImportReport(problems=problems, **counts)


def _import_one(session: Session, entry: SeedEntry) -> tuple[bool, bool]:
    doc = entry.document
    site = site_of(entry.canonical_url) if entry.canonical_url else None
    name = doc.source or site or "unknown"
    source = ensure_source(session, name, "publication", None, site)
    article_id = None
    if entry.canonical_url is not None:
        article = ensure_article(
            session,
            entry.canonical_url,
            title=doc.title,
            source_id=source.id,
            discovered_from=f"seed:{entry.file_name}",
        )
        article_id = article.id
        _seed_version(session, article.id, entry)
    values = {
        "title": doc.title,
        "source_name": doc.source,
        "url": entry.canonical_url,
        "page_links": list(entry.page_urls),
        "content_hash": entry.content_hash,
        "article_id": article_id,
    }
    imported = import_document(session, entry.file_name, values)
    return imported.created, imported.updated


def _seed_version(session: Session, article_id: int, entry: SeedEntry) -> None:
    """The seed document as version 0 of its URL: the baseline the first real fetch is compared with."""
    doc = entry.document
    snapshot = Snapshot(doc.title, doc.body, doc.author, doc.date, None, doc.lang)
    version = seed_version(session, article_id)
    if version is not None and version.content_hash == snapshot.fingerprint:
        return
    fetched = doc.fetched or doc.published
    values = {
        "title": doc.title, "body": doc.body, "content_hash": snapshot.fingerprint,
        "meta": {"author": doc.author, "date": doc.date, "language": doc.lang, "seed_file": entry.file_name},
        "extractor": SEED_EXTRACTOR, "extractor_version": "1",
        "fetched_at": fetched.replace(tzinfo=fetched.tzinfo or UTC) if fetched else datetime.now(UTC),
    }
    if version is None:
        session.add(Version(article_id=article_id, number=0, **values))
    else:
        for key, value in values.items():
            setattr(version, key, value)
