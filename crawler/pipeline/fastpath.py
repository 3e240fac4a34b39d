"""The re-check fast path: what a fetch of an article we already hold can skip.

- A ``304 Not Modified`` costs no body, no extraction and no SQL round trip of its own: the pipeline
  keeps it in a :class:`CheckBatch` and writes the check times of a whole batch in one transaction
  (every ``max_items`` checks or ``max_seconds``, and when the spider closes). A crawl killed between
  two flushes loses at most one batch of check times: those articles are simply re-checked again,
  no version is ever lost (versions never wait in a batch).
- A 200 whose bytes are those of the stored version is unchanged without extraction: each version
  keeps a :func:`page_key` in its ``meta`` (the SHA-256 of the response body, salted with what else
  decides the extraction: the extractor's version, the source's include/exclude selectors and the topic
  keywords), the plan hands it to the spider with the validators, and an equal key becomes the same
  ``NotModified`` record as a 304, batched the same way. Any change of the bytes, the extractor or the
  rules takes the full path: extraction, fingerprint, and a diff only if the fingerprint changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from newswatch.crawler.extract.revision import REVISION
from newswatch.crawler.items import NotModified
from newswatch.crawler.urls import for_site
from newswatch.storage.models import Version
from newswatch.storage.queries.articles import mark_checked as mark_articles_checked
from newswatch.storage.queries.versions import latest_at

if TYPE_CHECKING:  # the plan reads page keys without loading Scrapy (a run with nothing to crawl)
    from scrapy.http import Response
    from scrapy.http.headers import Headers

META_KEY = "page_key"  # where a version keeps its page key (versions.meta)


def extraction_context(extractor_version: str, rules: Mapping[str, Sequence[str]] | None,
                       keywords: Sequence[str]) -> str:
    """What besides the bytes decides what a fetch records: a page key is only equal under the same."""
    chosen = {key: list((rules or {}).get(key, ())) for key in ("include", "exclude")}
    return json.dumps([extractor_version, chosen, sorted(keywords)], ensure_ascii=False, sort_keys=True)


def page_key(body: bytes, context: str) -> str:
    """The SHA-256 of a response body under an :func:`extraction_context`."""
    digest = hashlib.sha256(context.encode())
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def extractor_versions() -> str:
    """The versions whose change changes an extraction (read from the installed metadata: no import)."""
    return "+".join([*(f"{name}={importlib.metadata.version(name)}" for name in ("newswatch", "trafilatura")),
                     f"r{REVISION}"])


class PageKeys:
    """Page keys under one crawl's rules (``CrawlOptions.source_rules``) and keywords, by site."""

    def __init__(self, rules: Mapping[str, Mapping[str, Sequence[str]]], keywords: Sequence[str],
                 versions: str | None = None) -> None:
        self.rules = rules
        self.keywords = tuple(keywords)
        self.versions = versions or extractor_versions()
        self._contexts: dict[str, str] = {}

    def key(self, url: str, body: bytes) -> str:
        rules = for_site(self.rules, url)
        name = json.dumps(rules, sort_keys=True, default=list)
        context = self._contexts.get(name)
        if context is None:
            context = self._contexts[name] = extraction_context(self.versions, rules, self.keywords)
        return page_key(body, context)


def same_bytes(key: str, response: Response, url: str) -> NotModified | None:
    """The ``NotModified`` record of a 200 whose page key is the stored one's (the request's
    ``nw_page_key``), with the answer's validators where they differ from those sent; else None."""
    request = response.request
    if request is None or key != request.meta.get("nw_page_key"):
        return None
    sent = request.headers
    etag, modified = _header(response.headers, "ETag"), _header(response.headers, "Last-Modified")
    return NotModified(url, etag if etag != _header(sent, "If-None-Match") else None,
                       modified if modified != _header(sent, "If-Modified-Since") else None, reason="same_bytes")


def _header(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def stored_key(version: Version | None) -> str | None:
    """The page key of a stored version (None for versions stored before keys, and for seeds)."""
    return None if version is None else key_of_meta(version.meta)


def key_of_meta(meta: dict[str, Any] | None) -> str | None:
    """The page key kept in a version's ``meta`` (None when it has none)."""
    key = (meta or {}).get(META_KEY)
    return key if isinstance(key, str) else None


@dataclass(frozen=True)
class Check:
    url: str
    at: datetime
    etag: str | None = None  # validators to store on the latest version (None: keep them)
    last_modified: str | None = None


@dataclass
class CheckBatch:
    """Check times waiting to be written; ``due()`` says when to flush."""

    max_items: int = 500
    max_seconds: float = 5.0
    pending: list[Check] = field(default_factory=list)
    since: float = 0.0

    def add(self, item: NotModified, at: datetime) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append(Check(item.url, at, item.etag, item.last_modified))

    def due(self) -> bool:
        return bool(self.pending) and (len(self.pending) >= self.max_items
                                       or time.monotonic() - self.since >= self.max_seconds)

    def take(self) -> list[Check]:
        taken, self.pending = self.pending, []
        return taken


def mark_checked(session: Session, checks: Sequence[Check]) -> None:
    """One statement for the check times of ``checks`` (unchanged articles: not due again until the
    schedule says so, any anomaly flag cleared); new validators, when a check has them, on the latest
    version."""
    if not checks:
        return
    mark_articles_checked(session, [(c.url, c.at) for c in checks])  # an answer: a first 404 is not confirmed
    for check in checks:
        if check.etag or check.last_modified:
            _revalidate(session, check)


def _revalidate(session: Session, check: Check) -> None:
    latest = latest_at(session, check.url)
    if latest is not None:
        latest.etag = check.etag or latest.etag
        latest.last_modified = check.last_modified or latest.last_modified
