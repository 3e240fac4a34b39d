"""The validators of a crawl's feeds and leaf sitemaps: what to send (conditional GET), and what to keep.

Pure bookkeeping (no Scrapy). A feed or a ``<urlset>`` sitemap is requested with the validators (ETag,
Last-Modified) the plan carries for it; a 304 offers nothing. So a 304 may never hide an article: the
validators of a source are kept only when it was read completely this run, that is every link it offered
was fetched and answered (or is a stored article), none left behind by the page budget, none lost to a
transient failure or rejected for a passing reason (a bot wall), nothing lost on the way to storage, and
the crawl finished. Otherwise they are cleared and the next run reads it in full. A sitemap index (its
children may change while it does not) and robots.txt never carry validators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from newswatch.crawler.items import SourceValidators

# a page answered with one of these may be an article next time (a bot wall, a blank answer, a worker fault)
TRANSIENT_REJECTIONS = frozenset({"consent_page", "empty", "extractor_crashed", "extractor_timeout"})
RECORD_FAILURES = frozenset({"storage_failed", "corpus_write_failed", "recorder_failed"})  # crawler.pipeline.recording
PERMANENT_FAILURES = frozenset({"http_400", "http_401", "http_403", "http_404", "http_410", "http_451",
                                "bad_url", "too_large", "too_many_redirects", "redirect_loop"})


@dataclass(frozen=True)
class ValidatorReport:
    """At a crawl's end: the validators to store (replacing any), and the sources whose stored ones go."""

    keep: tuple[SourceValidators, ...] = ()
    clear: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Read:
    validators: SourceValidators | None  # None: nothing to keep (an index, unreadable, no validators sent)
    listed: tuple[str, ...] = ()  # the canonical URLs it offered to the frontier


def permanent_failure(kind: str) -> bool:
    """A failure the next fetch would repeat (gone, refused, malformed): no article lost by skipping it."""
    return kind in PERMANENT_FAILURES or kind.startswith("refused_")


class SourceLedger:
    """The plan's validators, and what each feed or sitemap of this crawl turned out to be."""

    def __init__(self, validators: Iterable[SourceValidators]) -> None:
        self.planned = {v.url: v for v in validators}
        self.reads: dict[str, _Read] = {}

    def headers(self, url: str) -> dict[str, str]:
        """The conditional-GET headers for ``url`` (none when nothing is stored for it)."""
        known = self.planned.get(url)
        headers: dict[str, str] = {}
        if known is not None and known.etag:
            headers["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return headers

    def read(self, url: str, kind: str, etag: str | None, last_modified: str | None, listed: Iterable[str]) -> None:
        """``url`` answered 200 and was parsed as a feed or leaf sitemap listing ``listed``."""
        found = SourceValidators(url, kind, etag, last_modified) if etag or last_modified else None
        self.reads[url] = _Read(found, tuple(listed))

    def not_modified(self, url: str, kind: str, etag: str | None, last_modified: str | None) -> None:
        """``url`` answered 304: the stored validators stand (updated by any the answer brought)."""
        known = self.planned.get(url) or SourceValidators(url, kind)
        etag, last_modified = etag or known.etag, last_modified or known.last_modified
        self.reads[url] = _Read(SourceValidators(url, kind, etag, last_modified) if etag or last_modified else None)

    def unusable(self, url: str) -> None:
        """``url`` is an index, or did not parse: no validators for it."""
        self.reads[url] = _Read(None)

    def report(self, settled: Callable[[str], bool], finished: bool) -> ValidatorReport:
        """What to store: the sources read completely (``settled`` says whether a listed URL was dealt
        with); a crawl that did not finish keeps nothing and clears what it read."""
        keep: list[SourceValidators] = []
        clear: list[str] = []
        for url, read in self.reads.items():
            if finished and read.validators is not None and all(settled(link) for link in read.listed):
                keep.append(read.validators)
            else:
                clear.append(url)
        return ValidatorReport(tuple(keep), tuple(clear))
