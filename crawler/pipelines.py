"""The item pipeline: hands each spider record to a recorder, one transaction per item, and counts it.

The recorder decides what a fetch means for storage. ``NEWSWATCH_RECORDER`` names its class (loaded by
path, as Scrapy loads components, so the crawler never imports the monitor); the default,
``crawler.store.Recorder``, keeps versions by content hash. The monitor plugs in its change detector.
A recorder has ``from_settings(settings)`` and ``fetched``/``not_modified``/``rejected`` methods that
take a session, the record and the time, and return a ``crawler.store.Recorded``.

A ``NotModified`` (a 304, or a 200 with the stored bytes) goes to no recorder and has no transaction of
its own: its check time waits in a :class:`crawler.fastpath.CheckBatch`, written in one statement every
``NEWSWATCH_CHECK_BATCH_ITEMS`` checks or ``NEWSWATCH_CHECK_BATCH_SECONDS``, and when the spider closes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from sqlalchemy.orm import Session, sessionmaker

from crawler.fastpath import CheckBatch, mark_checked
from crawler.items import FetchedArticle, FetchError, NotModified, RejectedPage
from crawler.store import Recorded
from storage.engine import make_engine, session_factory, transaction
from storage.errors import CorpusError, StorageError

DEFAULT_RECORDER = "crawler.store.Recorder"


class StoragePipeline:
    """Stores what the spider yields through the configured recorder."""

    def __init__(self, stats: StatsCollector, database_url: str, recorder: Any,
                 crawler: Crawler | None = None) -> None:
        self.stats = stats
        self.crawler = crawler
        self.engine = make_engine(database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.recorder = recorder
        self.checks = CheckBatch()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        url = settings.get("NEWSWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("NEWSWATCH_DATABASE_URL is not set")
        assert crawler.stats is not None
        recorder = load_object(settings.get("NEWSWATCH_RECORDER") or DEFAULT_RECORDER).from_settings(settings)
        pipeline = cls(crawler.stats, url, recorder, crawler)
        pipeline.checks = CheckBatch(settings.getint("NEWSWATCH_CHECK_BATCH_ITEMS", 500),
                                     settings.getfloat("NEWSWATCH_CHECK_BATCH_SECONDS", 5.0))
        return pipeline

    def close_spider(self) -> None:
        try:
            self._flush_checks()
        finally:
            self.engine.dispose()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, NotModified):
            self._check(item)
            return item
        try:
            recorded = self._record(item, datetime.now(UTC))
        except Exception as exc:
            # the transaction was rolled back: nothing is claimed that was not written; the next run retries
            kind, detail = _failure(exc)
            self._report(FetchError(getattr(item, "url", "?"), kind, detail[:500]))
            raise DropItem(f"{kind}: {exc}") from exc
        if recorded is not None:
            self._count(recorded)
        return item

    def _check(self, item: NotModified) -> None:
        self.checks.add(item, datetime.now(UTC))
        outcome = "unchanged" if item.reason == "same_bytes" else "not_modified"
        self.stats.inc_value(f"newswatch/articles/{outcome}")
        if self.checks.due():
            self._flush_checks()

    def _flush_checks(self) -> None:
        """One transaction for the waiting check times; a failure loses only them (re-checked next run)."""
        checks = self.checks.take()
        if not checks:
            return
        try:
            with transaction(self.sessions) as session:
                mark_checked(session, checks)
        except StorageError as exc:
            self._report(FetchError(checks[0].url, "storage_failed",
                                    f"{len(checks)} check times not written: {exc}"[:500]))
            return
        self.stats.inc_value("newswatch/fastpath/check_batches")
        self.stats.inc_value("newswatch/fastpath/checks_written", len(checks))

    def _report(self, error: FetchError) -> None:
        self.stats.inc_value(f"newswatch/errors/{error.kind}")
        errors = getattr(self.crawler.spider if self.crawler is not None else None, "errors", None)
        if isinstance(errors, list):  # the run's report (NewsSpider.errors)
            errors.append(error)

    def _record(self, item: Any, now: datetime) -> Recorded | None:
        with transaction(self.sessions) as session:
            if isinstance(item, FetchedArticle):
                return self.recorder.fetched(session, item, now)  # type: ignore[no-any-return]
            if isinstance(item, RejectedPage):
                return self.recorder.rejected(session, item, now)  # type: ignore[no-any-return]
        return None

    def _count(self, recorded: Recorded) -> None:
        self.stats.inc_value(f"newswatch/articles/{recorded.outcome}")
        if recorded.relevant is not None:
            self.stats.inc_value(f"newswatch/articles/{'relevant' if recorded.relevant else 'off_topic'}")
        if recorded.corpus_files:
            self.stats.inc_value("newswatch/corpus/written", recorded.corpus_files)


def _failure(exc: Exception) -> tuple[str, str]:
    """The error kind and detail of a failed record: storage or corpus, or a fault of the recorder itself
    (which must fail the run too, not only be logged)."""
    if isinstance(exc, CorpusError):
        return "corpus_write_failed", str(exc)
    if isinstance(exc, StorageError):
        return "storage_failed", str(exc)
    return "recorder_failed", f"{type(exc).__name__}: {exc}"
