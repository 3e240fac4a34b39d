"""The item pipeline: hands spider records to a recorder in batched transactions, off the reactor, and counts them.

The recorder decides what a fetch means for storage: a :class:`crawler.pipeline.recorder.Recorder`, handed to the
crawl as an object (the spider's ``recorder`` argument: the monitor hands over its change detector, so
the crawler never imports the monitor and no setting names a class); a crawl handed none records with
``crawler.pipeline.store.Recorder``, which keeps versions by content hash. Its ``fetched``/``rejected``/``missing``
take a session, the record and the time, and return a ``crawler.pipeline.store.Recorded``; its
``recover(session)`` runs when the spider opens (``crawler.pipeline.store.recover_corpus``).

Articles and rejected pages wait in a batch: up to ``NEWSWATCH_RECORD_BATCH_ITEMS`` (50) items, or what
came in ``NEWSWATCH_RECORD_BATCH_SECONDS`` (0.5 s), are recorded in one transaction, each item in a
savepoint (``crawler.pipeline.batch``: one failing item is that item's error, the others commit). A batch runs on
the pipeline's one recording thread, which owns the database engine: the reactor keeps downloading and
extracting while SQL runs. One batch is in flight and one filling; each item's ``process_item`` returns
when its batch has committed (so Scrapy's own limits on items in progress hold the filling one back), and
is counted then. The last batch is recorded when the spider closes.

The engine: the one the crawl was handed (the spider's ``storage_engine`` argument: the monitor hands each crawl
its storage's writer, ``monitor.config.runtime.Storage.writer``, one for all the crawls of a run or a daemon),
when it suits batches (``storage.engine.batch_ready``); else the pipeline makes its own from the database URL
(``storage.engine.worker_engine``) and disposes it when the spider closes. A handed engine is its owner's to
dispose.

A ``NotModified`` (a 304, or a 200 with the stored bytes) goes to no recorder: its check time waits in a
:class:`crawler.pipeline.fastpath.CheckBatch`, written in one statement every ``NEWSWATCH_CHECK_BATCH_ITEMS``
checks or ``NEWSWATCH_CHECK_BATCH_SECONDS``, and when the spider closes (on the same thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from newswatch.crawler.items import FetchedArticle, FetchError, Missing, NotModified, RejectedPage
from newswatch.crawler.options import options_of
from newswatch.crawler.pipeline.batch import Outcome, record_batch
from newswatch.crawler.pipeline.fastpath import Check, CheckBatch, mark_checked
from newswatch.crawler.pipeline.recorder import Recorder, handed_recorder
from newswatch.crawler.pipeline.store import Recorded
from newswatch.crawler.pipeline.store import Recorder as ContentRecorder
from newswatch.storage.engine import batch_ready, session_factory, transaction, worker_engine
from newswatch.storage.errors import CorpusError, StorageError

BATCH_ITEMS = 50
BATCH_SECONDS = 0.5
THREAD_NAME = "newswatch-recorder"
T = TypeVar("T")
log = logging.getLogger(__name__)


class StoragePipeline:
    """Stores what the spider yields through the recorder the crawl was handed (module doc)."""

    def __init__(self, stats: StatsCollector, database_url: str, recorder: Recorder, crawler: Crawler | None = None,
                 batch_items: int = BATCH_ITEMS, batch_seconds: float = BATCH_SECONDS,
                 engine: Engine | None = None) -> None:
        self.stats = stats
        self.crawler = crawler
        self.owns_engine = engine is None  # a handed engine outlives the crawl
        self.engine = engine if engine is not None else worker_engine(database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.recorder: Recorder = recorder
        self.checks = CheckBatch()
        self.batch_items, self.batch_seconds = max(1, batch_items), batch_seconds
        self.filling: list[tuple[Any, datetime, Deferred[Outcome]]] = []
        self.busy = False
        self.waiters: list[Deferred[None]] = []
        self.timer: Any = None
        self.pool: ThreadPool | None = None
        self.trigger: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        url = options_of(settings).database_url
        if not url:
            raise NotConfigured("the crawl's options name no database (crawler.settings.crawl_settings)")
        assert crawler.stats is not None
        recorder = handed_recorder(crawler) or ContentRecorder.from_settings(settings)
        pipeline = cls(crawler.stats, url, recorder, crawler,
                       settings.getint("NEWSWATCH_RECORD_BATCH_ITEMS", BATCH_ITEMS),
                       settings.getfloat("NEWSWATCH_RECORD_BATCH_SECONDS", BATCH_SECONDS), handed_engine(crawler))
        pipeline.checks = CheckBatch(settings.getint("NEWSWATCH_CHECK_BATCH_ITEMS", 500),
                                     settings.getfloat("NEWSWATCH_CHECK_BATCH_SECONDS", 5.0))
        return pipeline

    # -- the recording thread

    def _thread(self, function: Callable[..., T], *args: Any) -> Deferred[T]:
        reactor = _reactor()
        if self.pool is None:
            self.pool = ThreadPool(1, 1, THREAD_NAME)
            self.pool.start()
            self.trigger = reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)
        return threads.deferToThreadPool(reactor, self.pool, function, *args)

    async def open_spider(self) -> None:
        await maybe_deferred_to_future(self._thread(self._recover))

    def _recover(self) -> None:
        try:
            with transaction(self.sessions) as session:
                rewritten = self.recorder.recover(session)
        except (StorageError, CorpusError) as exc:  # the temp files stay: the next start tries again
            log.warning("corpus documents of an interrupted crawl not recovered: %s", exc)
            return
        if rewritten:
            log.warning("rewrote %d corpus documents an interrupted crawl left unwritten", rewritten)
            self.stats.inc_value("newswatch/corpus/recovered", rewritten)

    async def close_spider(self) -> None:
        try:
            await self._drain()
            await maybe_deferred_to_future(self._thread(self._write_checks, self.checks.take()))
        finally:
            await self._stop()

    async def _stop(self) -> None:
        reactor = _reactor()
        if self.pool is None:
            if self.owns_engine:
                self.engine.dispose()
            return
        if self.owns_engine:
            await maybe_deferred_to_future(self._thread(self.engine.dispose))
        reactor.removeSystemEventTrigger(self.trigger)
        self.pool.stop()
        self.pool = None

    # -- items

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, NotModified):
            self._check(item)
            return item
        if not isinstance(item, (FetchedArticle, RejectedPage, Missing)):
            return item
        done: Deferred[Outcome] = Deferred()
        self.filling.append((item, datetime.now(UTC), done))
        self._schedule()
        outcome = await maybe_deferred_to_future(done)
        if outcome.late is not None:
            self._report(FetchError(item.url, "corpus_write_failed", str(outcome.late)[:500]))
        if outcome.error is not None:
            # the item's savepoint was rolled back: nothing is claimed that was not written; the next run retries
            kind, detail = _failure(outcome.error)
            self._report(FetchError(item.url, kind, detail[:500]))
            raise DropItem(f"{kind}: {outcome.error}") from outcome.error
        if outcome.recorded is not None:
            self._count(outcome.recorded)
        return item

    def _schedule(self) -> None:
        reactor = _reactor()
        if self.busy:
            return  # dispatched when the batch in flight is done
        if len(self.filling) >= self.batch_items or self.batch_seconds <= 0:
            self._dispatch()
        elif self.timer is None:
            self.timer = reactor.callLater(self.batch_seconds, self._dispatch)

    def _dispatch(self) -> None:
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None
        if self.busy or not self.filling:
            return
        taken, self.filling = self.filling[: self.batch_items], self.filling[self.batch_items:]
        self.busy = True
        entries = [(item, at) for item, at, _done in taken]
        running = self._thread(record_batch, self.sessions, self.recorder, self.recorder.corpus, entries)
        running.addBoth(self._finished, [done for _item, _at, done in taken])

    def _finished(self, result: list[Outcome] | Failure, waiting: list[Deferred[Outcome]]) -> None:
        self.busy = False
        if isinstance(result, Failure):  # a fault outside any item (the batch code itself)
            error = result.value if isinstance(result.value, Exception) else RuntimeError(str(result.value))
            result = [Outcome(error=error)] * len(waiting)
        for done, outcome in zip(waiting, result, strict=True):
            done.callback(outcome)
        if self.filling:
            self._dispatch()  # what filled while this batch ran waited at least that long
        else:
            waiters, self.waiters = self.waiters, []
            for waiter in waiters:
                waiter.callback(None)

    async def _drain(self) -> None:
        while self.filling or self.busy:
            waiter: Deferred[None] = Deferred()
            self.waiters.append(waiter)
            self._dispatch()
            await maybe_deferred_to_future(waiter)

    # -- check times

    def _check(self, item: NotModified) -> None:
        self.checks.add(item, datetime.now(UTC))
        outcome = "unchanged" if item.reason == "same_bytes" else "not_modified"
        self.stats.inc_value(f"newswatch/articles/{outcome}")
        if self.checks.due():
            self._thread(self._write_checks, self.checks.take())

    def _write_checks(self, checks: list[Check]) -> None:
        """One transaction for the waiting check times; a failure loses only them (re-checked next run)."""
        if not checks:
            return
        try:
            with transaction(self.sessions) as session:
                mark_checked(session, checks)
        except StorageError as exc:
            self._call(self._report, FetchError(checks[0].url, "storage_failed",
                                                f"{len(checks)} check times not written: {exc}"[:500]))
            return
        self._call(self.stats.inc_value, "newswatch/fastpath/check_batches")
        self._call(self.stats.inc_value, "newswatch/fastpath/checks_written", len(checks))

    @staticmethod
    def _call(function: Callable[..., Any], *args: Any) -> None:
        """Run ``function`` on the reactor thread (stats and the run's report are not thread-safe)."""
        reactor = _reactor()
        reactor.callFromThread(function, *args)

    def _report(self, error: FetchError) -> None:
        self.stats.inc_value(f"newswatch/errors/{error.kind}")
        errors = getattr(self.crawler.spider if self.crawler is not None else None, "errors", None)
        if isinstance(errors, list):  # the run's report (NewsSpider.errors)
            errors.append(error)

    def _count(self, recorded: Recorded) -> None:
        self.stats.inc_value(f"newswatch/articles/{recorded.outcome}")
        if recorded.relevant is not None:
            self.stats.inc_value(f"newswatch/articles/{'relevant' if recorded.relevant else 'off_topic'}")
        if recorded.corpus_files:
            self.stats.inc_value("newswatch/corpus/written", recorded.corpus_files)


def _reactor() -> Any:
    """The installed reactor (imported late: installing one is the crawl's business)."""
    from twisted.internet import reactor

    return reactor


def _failure(exc: Exception) -> tuple[str, str]:
    """The error kind and detail of a failed record: storage or corpus, or a fault of the recorder itself
    (which must fail the run too, not only be logged)."""
    if isinstance(exc, CorpusError):
        return "corpus_write_failed", str(exc)
    if isinstance(exc, (StorageError, SQLAlchemyError)):
        return "storage_failed", f"database error: {exc.__class__.__name__}: {exc}" if isinstance(
            exc, SQLAlchemyError) else str(exc)
    return "recorder_failed", f"{type(exc).__name__}: {exc}"


def handed_engine(crawler: Crawler) -> Engine | None:
    """The engine the crawl was started with (the spider's ``storage_engine`` argument), if it suits batches."""
    engine: object = getattr(crawler.spider, "storage_engine", None)
    return engine if isinstance(engine, Engine) and batch_ready(engine) else None
