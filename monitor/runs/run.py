"""One run: plan what to crawl, crawl it once (Scrapy in this process), record the run, summarize.

``AsyncCrawlerProcess`` starts the reactor, so :func:`run_once` can be called once per process
(the one-shot job for cron). The daemon runs crawls with ``AsyncCrawlerRunner`` instead; all of them go
through :mod:`monitor.runs.crawlrun`, with the settings of :func:`crawl_run_settings`.
Scrapy and the spider (with trafilatura behind it) are imported when there is something to crawl: a run
with an empty plan records itself without them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch.crawler.extract.topic import Topic, load_topic
from newswatch.crawler.items import CrawlPlan
from newswatch.crawler.options import CrawlOptions
from newswatch.crawler.settings import crawl_settings, quiet_start, require_plain
from newswatch.monitor.alerts.registry import Channel
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import Storage, open_storage
from newswatch.monitor.runs.crawlrun import (
    RunSummary,
    close_run,
    crawl_in_process,
    finish_run,
    open_run,
    record_health,
    retry_policy,
)
from newswatch.monitor.runs.plan import build_plan, due_articles, known_urls, source_validators, with_validators
from newswatch.monitor.runs.preflight import preflight
from newswatch.monitor.runs.split import crawl_split, shard_count, split_plan
from newswatch.monitor.schedule.intervals import parse_ladder
from newswatch.monitor.sources.registry import load_registry, render_sites, source_names, source_rules
from newswatch.monitor.sources.seeds import import_seeds, read_seeds
from newswatch.storage.engine import transaction
from newswatch.storage.lock import run_lock
from newswatch.storage.queries.runs import running_runs

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newswatch.monitor.changes.record import ChangeRecorder

# the crawl run's parts, long imported from here (monitor.runs.crawlrun has them now)
__all__ = ["RunSummary", "crawl_run_settings", "finish_run", "record_health", "retry_policy", "run_once"]

log = logging.getLogger("newswatch.run")
TOPICS_FILE = "topics.toml"


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


def recorders(config: Config, kind: type[ChangeRecorder] | None = None,
              options: CrawlOptions | None = None) -> Callable[[], ChangeRecorder]:
    """Makes the recorder each crawl is handed (one a crawl: a batch stages its corpus files on it), from the
    crawl's ``options`` (the topic, the corpus folder and the sources' rules the crawl's settings hold; read
    from the config when not given); ``kind``: a ChangeRecorder subclass."""
    from newswatch.monitor.changes.detect import DetectOptions
    from newswatch.monitor.changes.record import ChangeRecorder  # with the crawl stack: imported when there is a crawl
    from newswatch.storage.corpus.folder import Corpus

    recorder, held = kind or ChangeRecorder, options or crawl_options(config)
    topic, corpus_dir, rules = Topic(held.keywords), Path(held.corpus_dir), held.source_rules
    detect = DetectOptions(max_shrink=config.monitor.max_shrink)
    return lambda: recorder(topic, Corpus(corpus_dir), detect, rules)


def _recorder(config: Config, options: CrawlOptions) -> ChangeRecorder:
    return recorders(config, options=options)()


def plan_run(config: Config, storage: Storage) -> CrawlPlan:
    seeds_dir = config.path(config.storage.seeds_dir)
    entries, _problems = read_seeds(seeds_dir)
    ladder = parse_ladder(config.schedule.articles)
    with storage.sessions() as session:
        due = due_articles(session, ladder, removed_ladder=parse_ladder(config.schedule.removed))
        known = known_urls(session)
        validators = source_validators(session)
    return with_validators(build_plan(entries, load_registry(seeds_dir), due, known), validators)


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
            options = crawl_options(config, cassette, mode)  # the registry and the topic, read once a run
            rebaselined = reapply_rules(config, storage, options.source_rules)
            settings = partial(run_settings, config, options, log_level, progress, log_file)
            recorder = partial(_recorder, config, options)  # the crawl stack imported only for a crawl
            return _cycle(config, storage, channels, settings, recorder, mode, rebaselined)
    finally:
        storage.close()


def reapply_rules(config: Config, storage: Storage,
                  source_rules_now: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None) -> int:
    """Changed ``include``/``exclude`` rules and a new extraction revision (:mod:`crawler.extract.revision`) applied
    to stored pages before the crawl (a page answering 304 is never fetched in full: without this it kept
    the old text, and its next change would be reported with the difference of the extractors mixed in);
    the articles re-baselined. ``source_rules_now``: the sources' rules, when the caller has read them."""
    from newswatch.monitor.changes.ruleset import selectors_digest, stale_articles

    if source_rules_now is None:
        source_rules_now = source_rules(load_registry(config.path(config.storage.seeds_dir)))
    rules = source_rules_now
    with storage.sessions() as session:  # the cheap question first: a run with nothing to crawl stays light
        stale = stale_articles(session, {site: selectors_digest(raw) for site, raw in rules.items()})
    if not stale:
        return 0
    from newswatch.monitor.changes.reextract import reapply_rules as reapply
    from newswatch.storage.corpus.folder import Corpus

    report = reapply(storage.sessions, Corpus(config.path(config.storage.corpus_dir)), rules, stale)
    if report.checked:
        log.info("rules or extraction changed: %d stored pages re-extracted, %d re-baselined, %d rejected",
                 report.checked, report.rebaselined, report.rejected)
    return report.rebaselined


def close_abandoned_runs(storage: Storage) -> int:
    """Under the lock no other run is alive: a run row still 'running' belongs to a killed process."""
    with transaction(storage.sessions) as session:
        runs = running_runs(session)
        for run in runs:
            run.outcome, run.finished_at = "abandoned", datetime.now(UTC)
            run.error = "the process ended before the run finished (killed or crashed)"
        return len(runs)


def _cycle(config: Config, storage: Storage, channels: tuple[Channel, ...],
           settings: Callable[[], dict[str, Any]], recorder: Callable[[], ChangeRecorder], mode: str | None,
           rebaselined: int = 0) -> RunSummary:
    plan = plan_run(config, storage)
    run_id = open_run(storage, mode or "run", plan)
    crawled = plan.articles or plan.sites
    crawler, error = _crawl(config, storage, plan, settings, recorder) if crawled else (None, None)
    return close_run(storage, config, channels, run_id, plan, crawler, error, rebaselined=rebaselined)


def _crawl(config: Config, storage: Storage, plan: CrawlPlan, settings: Callable[[], dict[str, Any]],
           recorder: Callable[[], ChangeRecorder]) -> tuple[Crawler, str | None]:
    """One crawl in this process, or a big re-check split across ``crawl.recheck_processes``
    (:mod:`monitor.runs.split`)."""
    shards = shard_count(plan, config.crawl.recheck_processes, config.crawl.concurrency_per_domain)
    if shards < 2:
        return crawl_in_process(plan, settings(), recorder(), storage.writer())
    return crawl_split(split_plan(plan, shards), settings(), recorder, storage.writer, crawl_in_process)


def crawl_run_settings(config: Config, cassette: Path | None = None, mode: str | None = None, *,
                       log: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
                       options: CrawlOptions | None = None) -> dict[str, Any]:
    """The Scrapy settings of every crawl (``run``, ``check``, the daemon, the worker): the crawl's options
    (``options`` when the caller has them, else read from the config), where the log goes (default: WARNING
    to stderr) and ``extra``; plain data only (the recorder is handed to the crawl as an object,
    :func:`recorders`)."""
    settings = crawl_settings(options or crawl_options(config, cassette, mode))
    settings.update({**(log or {"LOG_LEVEL": "WARNING"}), **(extra or {})})
    settings.update(quiet_start(settings))
    return require_plain(settings)


def run_settings(config: Config, options: CrawlOptions, log_level: str, progress: str,
                 log_file: Path | None = None) -> dict[str, Any]:
    """The Scrapy settings of a one-shot crawl: its log and its progress display."""
    return crawl_run_settings(config, log=log_settings(log_level, log_file), extra={"NEWSWATCH_PROGRESS": progress},
                              options=options)


def log_settings(level: str, log_file: Path | None = None) -> dict[str, Any]:
    """Where a one-shot crawl's log goes: ``log_file`` (from DEBUG: failed fetches with their tracebacks,
    see :mod:`crawler.fetch.fetchlog`), else stderr from ``level``, or nowhere for ``OFF``."""
    if log_file is not None:
        return {"LOG_ENABLED": True, "LOG_FILE": str(log_file), "LOG_LEVEL": "DEBUG"}
    if level.upper() == "OFF":
        return {"LOG_ENABLED": False, "LOG_LEVEL": "CRITICAL"}
    return {"LOG_ENABLED": True, "LOG_LEVEL": level}
