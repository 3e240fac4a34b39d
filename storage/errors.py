"""The one exception tree of newswatch.

It lives in ``storage`` because every other package may import ``storage`` and ``storage``
imports nothing of ours (dependencies point ``monitor -> crawler -> storage``).
Foreign errors (yaml, sqlalchemy, Scrapy, feedparser, smtplib, ...) are caught at the boundary
where they occur and re-raised as one of these with ``raise ... from exc``::

    NewswatchError
    ├── ConfigError            invalid newswatch.toml or environment; names the key
    ├── CorpusError            a corpus document cannot be read or written
    │   ├── DocumentFormatError    broken front matter, no body, unknown encoding (names the file)
    │   └── CorpusWriteError       the atomic write failed (disk full, permissions)
    ├── StorageError           the database refused or failed an operation
    │   └── MigrationError         schema upgrade failed or the schema is not current
    ├── CrawlError             a fetch or a crawl run failed
    │   ├── FetchRefused           SSRF guard, robots.txt, size cap: refused before or while fetching
    │   │   └── BodyTooLarge           a compressed body expands beyond its cap
    │   ├── TruncatedBody          a compressed body cut short (or failing its checksum)
    │   ├── ParseError             a feed, sitemap or page could not be parsed
    │   ├── RenderTimeout          a page rendered in the browser never settled within its time
    │   └── CassetteError          record/replay: request missing from a cassette, bad cassette
    ├── ExtractionRejected     a page yields no article (list, error, consent page, too little text)
    ├── AlertError             rendering or delivering an alert failed
    │   └── DeliveryError          transport failure (SMTP, webhook), retried from the outbox
    └── ReplayError            a test replay (monitor.testing) could not run or gave no summary
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Root of every error newswatch raises on purpose."""


class ConfigError(NewswatchError):
    """The configuration is invalid; ``key`` names the offending setting (dotted path)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class CorpusError(NewswatchError):
    """A corpus document cannot be read or written."""


class DocumentFormatError(CorpusError):
    """A corpus file is unreadable: ``name`` is the file, ``reason`` why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class CorpusWriteError(CorpusError):
    """Writing a corpus file failed; the previous file (if any) is left intact."""


class StorageError(NewswatchError):
    """The database refused or failed an operation."""


class MigrationError(StorageError):
    """Applying or checking the schema migrations failed."""


class CrawlError(NewswatchError):
    """A fetch or a crawl run failed."""


class FetchRefused(CrawlError):
    """A URL was refused before or while fetching (SSRF guard, robots.txt, size cap)."""


class BodyTooLarge(FetchRefused):
    """A compressed body expands beyond ``cap`` bytes; ``produced`` is how far decompression got."""

    def __init__(self, produced: int, cap: int) -> None:
        super().__init__(f"{produced} bytes decompressed so far exceed the {cap}-byte cap")
        self.produced = produced
        self.cap = cap


class TruncatedBody(CrawlError):
    """A compressed body ends before its stream does, or fails its checksum."""


class ParseError(CrawlError):
    """A feed, sitemap or page could not be parsed."""


class RenderTimeout(CrawlError):
    """A page rendered in the browser (``render = "browser"``) did not settle within its time."""


class CassetteError(CrawlError):
    """Record/replay failed: a request missing from a cassette, or an unreadable cassette."""


class ExtractionRejected(NewswatchError):
    """A page yields no article; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class AlertError(NewswatchError):
    """Rendering or delivering an alert failed."""


class DeliveryError(AlertError):
    """A transport failure while delivering an alert; the outbox retries it."""


class ReplayError(NewswatchError):
    """A replay or recording in a test workspace (``monitor.testing``) could not run: no cassette, nothing
    to crawl, or ``newswatch`` ended without a run summary (its exit status and error output are in the
    message)."""
