"""One run: plan what to crawl, crawl it once (Scrapy in this process), record the run, summarize.

``AsyncCrawlerProcess`` starts the reactor, so :func:`run_once` can be called once per process
(the one-shot job for cron). The daemon runs crawls with ``AsyncCrawlerRunner`` instead.
Scrapy and the spider (with trafilatura behind it) are imported when there is something to crawl: a run
with an empty plan records itself without them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from crawler.items import CrawlPlan, FetchError
from crawler.settings import CrawlOptions, crawl_settings, require_plain
from crawler.topic import load_topic
from monitor.alerts.channels import Channel
from monitor.alerts.health import update_sources
from monitor.alerts.outbox import DeliveryReport, RetryPolicy, deliver_pending
from monitor.alerts.settings import channels_to_plain
from monitor.core.config import Config
from monitor.core.plan import build_plan, due_articles, known_urls, source_validators, with_validators
from monitor.core.preflight import preflight
from monitor.core.runtime import Storage, open_storage
from monitor.core.schedule import parse_ladder
from monitor.core.seeds import import_seeds, read_seeds
from monitor.core.sources import load_registry, render_sites, source_names, source_rules
from storage.engine import transaction
from storage.errors import StorageError
from storage.lock import run_lock
from storage.models import CrawlRun, SourceValidator

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.spiders.news import NewsSpider

log = logging.getLogger("newswatch.run")
TOPICS_FILE = "topics.toml"
RECORDER = "monitor.changes.record.ChangeRecorder"


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


def keywords(config: Config) -> tuple[str, ...]:
    """The topic keywords: from the config, else the file shipped in the seeds folder."""
    if config.topic.keywords:
        return config.topic.keywords
    path = config.path(config.storage.seeds_dir) / TOPICS_FILE
    return load_topic(path).keywords if path.exists() else ()


def crawl_options(config: Config, cassette: Path | None = None, mode: str | None = None) -> CrawlOptions:
    """The crawl's options: the ``[crawl]`` section as loaded, the storage paths, the registry's rules."""
    registry = load_registry(config.path(config.storage.seeds_dir))
    return CrawlOptions(
        database_url=config.database_url, corpus_dir=str(config.path(config.storage.corpus_dir)),
        keywords=keywords(config), crawl=config.crawl,
        cassette=str(cassette) if cassette else None, cassette_mode=mode,
        source_rules=source_rules(registry), source_names=source_names(registry),
        render_sites=render_sites(registry),
    )


def monitor_settings(config: Config) -> dict[str, Any]:
    """What the monitor adds to a crawl's Scrapy settings: its recorder and the plain settings it builds
    its channels from (never the channels themselves: Scrapy deep-copies the settings)."""
    return {"NEWSWATCH_RECORDER": RECORDER, "NEWSWATCH_ALERT_CHANNELS": channels_to_plain(config.alerts.channels),
            "NEWSWATCH_MAX_SHRINK": config.monitor.max_shrink}


def plan_run(config: Config, storage: Storage) -> CrawlPlan:
    seeds_dir = config.path(config.storage.seeds_dir)
    entries, _problems = read_seeds(seeds_dir)
    ladder = parse_ladder(config.schedule.articles)
    with storage.sessions() as session:
        due = due_articles(session, ladder, removed_ladder=parse_ladder(config.schedule.removed))
        known = known_urls(session)
        validators = source_validators(session)
    return with_validators(build_plan(entries, load_registry(seeds_dir), due, known), validators)


def retry_policy(config: Config) -> RetryPolicy:
    alerts = config.alerts
    return RetryPolicy(alerts.max_attempts, alerts.backoff_seconds, alerts.backoff_max_seconds, alerts.lease_seconds)


def run_once(config: Config, cassette: Path | None = None, mode: str | None = None,
             log_level: str = "WARNING", progress: str = "off", log_file: Path | None = None) -> RunSummary:
    """One cycle under the run lock: import new seeds, crawl, record source health and alerts, deliver the
    outbox; the run row is always finished. The checks of :func:`preflight` come first: a bad config
    crawls nothing. The log goes to stderr from ``log_level`` (``OFF``: nowhere), or to ``log_file``
    from DEBUG (see :func:`log_settings`)."""
    channels = preflight(config).channels
    storage = open_storage(config)
    try:
        with run_lock(storage.engine):
            close_abandoned_runs(storage)
            import_seeds(storage.sessions, config.path(config.storage.seeds_dir))
            rebaselined = reapply_rules(config, storage)
            settings = partial(run_settings, config, cassette, mode, log_level, progress, log_file)
            return _cycle(config, storage, channels, settings, mode, rebaselined)
    finally:
        storage.close()


def reapply_rules(config: Config, storage: Storage) -> int:
    """Changed ``include``/``exclude`` rules and a new extraction revision (:mod:`crawler.revision`) applied
    to stored pages before the crawl (a page answering 304 is never fetched in full: without this it kept
    the old text, and its next change would be reported with the difference of the extractors mixed in);
    the articles re-baselined."""
    from monitor.changes.ruleset import selectors_digest, stale_articles

    rules = source_rules(load_registry(config.path(config.storage.seeds_dir)))
    with storage.sessions() as session:  # the cheap question first: a run with nothing to crawl stays light
        stale = stale_articles(session, {site: selectors_digest(raw) for site, raw in rules.items()})
    if not stale:
        return 0
    from monitor.changes.reextract import reapply_rules as reapply
    from storage.corpus import Corpus

    report = reapply(storage.sessions, Corpus(config.path(config.storage.corpus_dir)), rules, stale)
    if report.checked:
        log.info("rules or extraction changed: %d stored pages re-extracted, %d re-baselined, %d rejected",
                 report.checked, report.rebaselined, report.rejected)
    return report.rebaselined


def close_abandoned_runs(storage: Storage) -> int:
    """Under the lock no other run is alive: a run row still 'running' belongs to a killed process."""
    with transaction(storage.sessions) as session:
        runs = session.execute(select(CrawlRun).where(CrawlRun.outcome == "running")).scalars().all()
        for run in runs:
            run.outcome, run.finished_at = "abandoned", datetime.now(UTC)
            run.error = "the process ended before the run finished (killed or crashed)"
        return len(runs)


def _cycle(config: Config, storage: Storage, channels: tuple[Channel, ...],
           settings: Callable[[], dict[str, Any]], mode: str | None, rebaselined: int = 0) -> RunSummary:
    plan = plan_run(config, storage)
    with transaction(storage.sessions) as session:
        run = CrawlRun(kind=mode or "run", stats={"planned_articles": len(plan.articles)})
        session.add(run)
        session.flush()
        run_id = run.id
    crawler, error = crawl(plan, settings()) if plan.articles or plan.sites else (None, None)
    record_health(storage, plan, crawler, config, channels)
    delivered = deliver_pending(storage.sessions, channels, retry_policy(config))
    return finish_run(storage, run_id, crawler, error, delivered, rebaselined)


def run_settings(config: Config, cassette: Path | None, mode: str | None, log_level: str,
                 progress: str, log_file: Path | None = None) -> dict[str, Any]:
    """The Scrapy settings of a one-shot crawl: the crawl's own and the monitor's, plain data only."""
    settings = crawl_settings(crawl_options(config, cassette, mode))
    settings.update({**monitor_settings(config), **log_settings(log_level, log_file), "NEWSWATCH_PROGRESS": progress})
    return require_plain(settings)


def log_settings(level: str, log_file: Path | None = None) -> dict[str, Any]:
    """Where a one-shot crawl's log goes: ``log_file`` (from DEBUG: failed fetches with their tracebacks,
    see :mod:`crawler.fetchlog`), else stderr from ``level``, or nowhere for ``OFF``."""
    if log_file is not None:
        return {"LOG_ENABLED": True, "LOG_FILE": str(log_file), "LOG_LEVEL": "DEBUG"}
    if level.upper() == "OFF":
        return {"LOG_ENABLED": False, "LOG_LEVEL": "CRITICAL"}
    return {"LOG_ENABLED": True, "LOG_LEVEL": level}


def record_health(storage: Storage, plan: CrawlPlan, crawler: Crawler | None, config: Config,
                  channels: tuple[Channel, ...]) -> None:
    spider = _news_spider(crawler)
    if spider is None or crawler is None:
        return
    with transaction(storage.sessions) as session:
        update_sources(session, plan, spider.fetched, spider.errors, config.alerts, channels, datetime.now(UTC))
    record_validators(storage, crawler, spider)


def record_validators(storage: Storage, crawler: Crawler, spider: NewsSpider) -> None:
    """Store the validators of the feeds and leaf sitemaps this crawl read completely, clear those of the
    ones it did not (``crawler.sourceledger``); one transaction. A failure here loses only validators:
    the next run reads those sources in full."""
    stats = crawler.stats
    finished = stats is not None and stats.get_value("finish_reason") == "finished"
    report = spider.validator_report(finished)
    now = datetime.now(UTC)
    try:
        with transaction(storage.sessions) as session:
            for url in report.clear:
                row = session.get(SourceValidator, url)
                if row is not None:
                    session.delete(row)
            for found in report.keep:
                row = session.get(SourceValidator, found.url) or SourceValidator(url=found.url)
                row.kind, row.etag, row.last_modified, row.checked_at = (found.kind, found.etag,
                                                                         found.last_modified, now)
                session.add(row)
    except StorageError as exc:
        log.warning("feed and sitemap validators not stored (the next run reads them in full): %s", exc)
        return
    if stats is not None:
        stats.set_value("newswatch/validators/kept", len(report.keep))
        stats.set_value("newswatch/validators/cleared", len(report.clear))


def crawl(plan: CrawlPlan, settings: dict[str, Any]) -> tuple[Crawler, str | None]:
    """Crawl ``plan`` once in this process (``AsyncCrawlerProcess``: once per process)."""
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.spiders.news import NewsSpider

    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    task = process.crawl(crawler, plan=plan)
    process.start(install_signal_handlers=True)
    exc = task.exception() if task.done() and not task.cancelled() else None
    return crawler, f"{type(exc).__name__}: {exc}" if exc else None


def _news_spider(crawler: Crawler | None) -> NewsSpider | None:
    """The crawl's :class:`~crawler.spiders.news.NewsSpider`, or None (no crawl, or another spider)."""
    if crawler is None:
        return None
    from crawler.spiders.news import NewsSpider  # loaded already: the crawl ran it

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
        run = session.get(CrawlRun, run_id)
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
