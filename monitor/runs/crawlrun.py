"""One crawl run, the path ``newswatch run``, ``check``, the daemon and the queue worker share.

    run_id = open_run(storage, kind, plan)                 # the run row, 'running'
    crawler, error = crawl_in_process(plan, settings, recorder, storage.writer())  # one-shot: once a process
    crawler, error = await crawl_on(runner, plan, recorder, engine=storage.writer())  # daemon, worker: shared loop
    summary = close_run(storage, config, channels, run_id, plan, crawler, error, deliver=..., health=...)

The recorder is handed to the crawl as an object (a fresh one a crawl: :func:`monitor.runs.run.recorders`), and
so is the engine it records with (one for every crawl on this storage: :meth:`Storage.writer`).
The settings are built once (:func:`monitor.runs.run.crawl_run_settings`): a process's runner keeps them.
The daemon and the worker run on the asyncio reactor of :mod:`monitor.daemon.reactor`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newswatch.crawler.items import CrawlPlan, FetchError
from newswatch.monitor.alerts.health import update_sources
from newswatch.monitor.alerts.outbox import DeliveryReport, RetryPolicy, deliver_pending
from newswatch.monitor.alerts.registry import Channel
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import Storage
from newswatch.monitor.runs.heap import crawl_starts
from newswatch.storage.engine import transaction
from newswatch.storage.errors import StorageError
from newswatch.storage.models import CrawlRun
from newswatch.storage.queries.runs import run_by_id
from newswatch.storage.queries.validators import save_validators

if TYPE_CHECKING:
    from scrapy.crawler import AsyncCrawlerRunner, Crawler
    from sqlalchemy import Engine

    from newswatch.crawler.pipeline.recorder import Recorder
    from newswatch.crawler.spiders.news import NewsSpider

log = logging.getLogger("newswatch.run")


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    outcome: str
    stats: dict[str, Any]
    errors: tuple[FetchError, ...]
    rejected: tuple[tuple[str, str], ...] = ()  # (reason, url) of pages that gave no article
    dropped: tuple[FetchError, ...] = ()  # failures of discovered links, guessed feeds: counted, not errors

    def count(self, prefix: str) -> int:
        return sum(int(v) for k, v in self.stats.items() if k.startswith(prefix) and isinstance(v, int))

    @property
    def figures(self) -> dict[str, int]:
        return {
            "fetched": self.count("newswatch/fetched/"),
            "new": self.count("newswatch/articles/new"),
            "changed": self.count("newswatch/articles/changed") + self.count("newswatch/articles/revert"),
            "baseline": self.count("newswatch/articles/baseline"),
            "anomalies": self.count("newswatch/articles/anomaly"),
            "removed": self.count("newswatch/articles/removed"),
            "restored": self.count("newswatch/articles/restored"),
            "unchanged": self.count("newswatch/articles/unchanged") + self.count("newswatch/articles/not_modified"),
            "rejected": self.count("newswatch/rejected/"),
            "refused": self.count("newswatch/errors/refused_"),
            "errors": sum(1 for e in self.errors if not e.kind.startswith("refused_")),
            "dropped": len(self.dropped),
            "corpus_written": self.count("newswatch/corpus/written"),
            "alerts_sent": self.count("newswatch/alerts/sent"),
            "alerts_failed": self.count("newswatch/alerts/failed") + self.count("newswatch/alerts/dead"),
        }


def retry_policy(config: Config) -> RetryPolicy:
    alerts = config.alerts
    return RetryPolicy(alerts.max_attempts, alerts.backoff_seconds, alerts.backoff_max_seconds, alerts.lease_seconds)


# -- the run row --------------------------------------------------------------------------------

def open_run(storage: Storage, kind: str, plan: CrawlPlan) -> int:
    """A crawl run row, 'running', for ``plan``; its id."""
    with transaction(storage.sessions) as session:
        run = CrawlRun(kind=kind, stats={"planned_articles": len(plan.articles)})
        session.add(run)
        session.flush()
        return run.id


def close_run(storage: Storage, config: Config, channels: tuple[Channel, ...], run_id: int, plan: CrawlPlan,
              crawler: Crawler | None, error: str | None, *, deliver: bool = True, health: bool = True,
              rebaselined: int = 0) -> RunSummary:
    """After the crawl: the sources' health and the validators (``health``), one outbox pass (``deliver``;
    the daemon and the worker deliver on their own schedule), the run row finished."""
    if health:
        record_health(storage, plan, crawler, config)
    delivered = deliver_pending(storage.sessions, channels, retry_policy(config)) if deliver else DeliveryReport()
    return finish_run(storage, run_id, crawler, error, delivered, rebaselined)


# -- the crawl ----------------------------------------------------------------------------------

def crawl_in_process(plan: CrawlPlan, settings: dict[str, Any], recorder: Recorder,
                     engine: Engine | None = None) -> tuple[Crawler, str | None]:
    """Crawl ``plan`` once in this process (``AsyncCrawlerProcess``: it starts the reactor, once per process),
    recorded by ``recorder`` (with ``engine``: ``Storage.writer``; else the pipeline makes its own)."""
    from scrapy.crawler import AsyncCrawlerProcess

    from newswatch.crawler.spiders.news import NewsSpider

    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    task = process.crawl(crawler, plan=plan, recorder=recorder, storage_engine=engine)
    crawl_starts()  # start-up's objects out of the collector's walks (monitor.runs.heap)
    process.start(install_signal_handlers=True)
    exc = task.exception() if task.done() and not task.cancelled() else None
    return crawler, f"{type(exc).__name__}: {exc}" if exc else None


async def crawl_on(runner: AsyncCrawlerRunner, plan: CrawlPlan, recorder: Recorder,
                   stopping: asyncio.Event | None = None, engine: Engine | None = None) -> tuple[Crawler, str | None]:
    """Crawl ``plan`` with ``runner`` on the running loop; the crawl's error, or None. With ``stopping``
    (the daemon) the crawl is shielded from the scheduler's shutdown, which cancels running jobs: a stopping
    daemon ends its crawls through ``runner.stop()`` (pipelines closed, the run recorded)."""
    from newswatch.crawler.spiders.news import NewsSpider

    crawler = runner.create_crawler(NewsSpider)
    task = asyncio.ensure_future(runner.crawl(crawler, plan=plan, recorder=recorder, storage_engine=engine))
    try:
        if stopping is None:
            await task
            return crawler, None
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not stopping.is_set():
                task.cancel()
                raise
            await task  # shutdown's runner.stop() ends it
    except Exception as exc:
        return crawler, f"{type(exc).__name__}: {exc}"
    return crawler, None


# -- after the crawl ----------------------------------------------------------------------------

def record_health(storage: Storage, plan: CrawlPlan, crawler: Crawler | None, config: Config) -> None:
    spider = _news_spider(crawler)
    if spider is None or crawler is None:
        return
    with transaction(storage.sessions) as session:
        update_sources(session, plan, spider.fetched, spider.errors, config.alerts, datetime.now(UTC))
    record_validators(storage, crawler, spider)


def record_validators(storage: Storage, crawler: Crawler, spider: NewsSpider) -> None:
    """Store the validators of the feeds and leaf sitemaps this crawl read completely, clear those of the
    ones it did not (``crawler.discover.sourceledger``); one transaction. A failure here loses only validators:
    the next run reads those sources in full."""
    stats = crawler.stats
    finished = stats is not None and stats.get_value("finish_reason") == "finished"
    report = spider.validator_report(finished)
    now = datetime.now(UTC)
    try:
        with transaction(storage.sessions) as session:
            save_validators(session, report.clear,
                            [(found.url, found.kind, found.etag, found.last_modified) for found in report.keep], now)
    except StorageError as exc:
        log.warning("feed and sitemap validators not stored (the next run reads them in full): %s", exc)
        return
    if stats is not None:
        stats.set_value("newswatch/validators/kept", len(report.keep))
        stats.set_value("newswatch/validators/cleared", len(report.clear))


def _news_spider(crawler: Crawler | None) -> NewsSpider | None:
    """The crawl's :class:`~crawler.spiders.news.NewsSpider`, or None (no crawl, or another spider)."""
    if crawler is None:
        return None
    from newswatch.crawler.spiders.news import NewsSpider  # loaded already: the crawl ran it

    return crawler.spider if isinstance(crawler.spider, NewsSpider) else None


def finish_run(storage: Storage, run_id: int, crawler: Crawler | None, error: str | None,
               delivered: DeliveryReport, rebaselined: int = 0) -> RunSummary:
    """Record the run's figures; ``crawler`` None: nothing was planned, so nothing was crawled;
    ``rebaselined``: stored pages re-baselined under changed rules before the crawl (counted as baselines)."""
    scrapy_stats = crawler.stats.get_stats() if crawler is not None and crawler.stats else {}
    stats: dict[str, Any] = {k: _jsonable(v) for k, v in scrapy_stats.items()}
    if rebaselined:
        stats["newswatch/articles/baseline"] = int(stats.get("newswatch/articles/baseline", 0)) + rebaselined
    if crawler is None:
        stats["finish_reason"] = "finished"  # an empty plan: finished without a crawl
    stats.update({"newswatch/alerts/sent": delivered.sent, "newswatch/alerts/failed": delivered.failed,
                  "newswatch/alerts/dead": delivered.dead})
    spider = _news_spider(crawler)
    errors = tuple(spider.errors) if spider is not None else ()
    stats["newswatch/error_kinds"] = dict(Counter(e.kind for e in errors))
    dropped = tuple(spider.dropped) if spider is not None else ()
    stats["newswatch/dropped_kinds"] = dict(Counter(e.kind for e in dropped))
    outcome = _outcome(error, stats, errors)
    with transaction(storage.sessions) as session:
        run = run_by_id(session, run_id)
        if run is not None:
            run.finished_at = datetime.now(UTC)
            run.stats = stats
            run.outcome = outcome
            run.error = error
    rejected = tuple((p.reason, p.url) for p in spider.rejections) if spider is not None else ()
    return RunSummary(run_id, outcome, stats, errors, rejected, dropped)


def _outcome(error: str | None, stats: dict[str, Any], errors: tuple[FetchError, ...]) -> str:
    """failed: the crawl broke off with nothing scraped; partial: some fetch failed; else ok."""
    reason = stats.get("finish_reason")
    if error or (reason != "finished" and not stats.get("item_scraped_count")):
        return "failed"
    failures = [e for e in errors if not e.kind.startswith("refused_")]
    return "partial" if failures or reason != "finished" else "ok"


def _jsonable(value: Any) -> Any:
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
