"""A one-shot re-check split across crawl processes: each one Scrapy crawl through the real downloader.

A ``newswatch run`` whose plan re-checks at least :data:`SPLIT_MIN` stored articles, with
``crawl.recheck_processes`` above 1 (default 1: off; measured on a loaded 2-core machine it was no faster
than one process, ``bench/RESULTS.md``), crawls them in that many processes (capped by the per-site
concurrency: each process gets at least one request in flight per site): the run's own process
(shard 0) and children forked after the crawl stack is imported, before any reactor is installed.
Scrapy spends ~1 ms of one thread per request in its client, middlewares and spider; a conditional
re-check that answers 304 is nothing else, so on two cores two crawls re-check nearly twice as fast.

What holds in every shard, and in aggregate:

- per-site politeness: each of ``k`` shards gets ``1/k`` of the per-site (and total) concurrency and
  ``k`` times the per-site delay, its AutoThrottle start and ceiling (:func:`shard_settings`): together
  they never have more requests in flight at a site, nor send them closer together, than one crawl;
  AutoThrottle's 304 rule (``latency / slot concurrency``) gives each shard ``k`` times the delay too;
- robots.txt and the SSRF guard: every shard is a whole crawl with the same downloader middlewares (each
  asks the site's robots.txt itself, and resolves and checks every host);
- the change recorder: each shard records with its own recorder and engine (the children make theirs from
  the database URL), 304s in batched check-time writes as ever (``crawler.pipeline.fastpath``);
- discovery stays in shard 0: the configured sites (pages, feeds, sitemaps) and every article that is
  not a stored re-check; the other shards' URLs are ``known`` to it (a feed listing them is not a second
  fetch), and each shard's are known to the others.

A child reports its crawl (stats, errors, dropped links, rejections, URLs answered) through a pipe; the
run's process merges the reports into its own crawler's before the run is recorded (:func:`merge`),
so the run's figures, errors and sources' health are those of the whole re-check. The daemon and the
queue worker crawl on a shared reactor and never split.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from newswatch.crawler.items import CrawlPlan, FetchError, RejectedPage
from newswatch.crawler.options import OPTIONS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

    from newswatch.crawler.pipeline.recorder import Recorder

SPLIT_MIN = 200  # stored re-checks below this: one process (a fork and a second crawl's start cost more)
SUMMED_AS_MAX = ("newswatch/throttle/", "memusage/")  # peaks and final values: the largest shard's


def shard_count(plan: CrawlPlan, processes: int, per_domain: int, minimum: int | None = None) -> int:
    """How many processes re-check ``plan``: 1 unless it holds ``minimum`` (:data:`SPLIT_MIN`) stored
    re-checks; never more than ``per_domain`` (each shard keeps at least one request in flight per site)."""
    minimum = SPLIT_MIN if minimum is None else minimum
    stored = sum(1 for target in plan.articles if target.stored)
    if processes < 2 or stored < max(minimum, 2):
        return 1
    return max(1, min(processes, per_domain, stored))


def split_plan(plan: CrawlPlan, shards: int) -> list[CrawlPlan]:
    """``plan`` as ``shards`` plans: the stored re-checks dealt out in turn (each site's among all shards);
    shard 0 keeps the sites and the other articles (seeds); each shard knows the others' URLs."""
    if shards < 2:
        return [plan]
    stored = [target for target in plan.articles if target.stored]
    others = tuple(target for target in plan.articles if not target.stored)
    dealt = [tuple(stored[index::shards]) for index in range(shards)]
    dealt[0] = others + dealt[0]
    urls = [frozenset(target.url for target in part) for part in dealt]
    everyone = frozenset().union(*urls)
    return [CrawlPlan(part, plan.sites if index == 0 else (), plan.known | (everyone - urls[index]),
                      plan.validators if index == 0 else ())
            for index, part in enumerate(dealt)]


def shard_settings(settings: dict[str, Any], shards: int, child: bool) -> dict[str, Any]:
    """One shard's Scrapy settings: its share of the concurrency (total and per site), ``shards`` times
    the per-site delay and AutoThrottle's start and ceiling; a child shows no progress display."""
    shard = dict(settings)
    for key in ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN"):
        shard[key] = max(1, int(settings[key]) // shards)
    for key in ("DOWNLOAD_DELAY", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY"):
        if key in settings:
            shard[key] = float(settings[key]) * shards
    plain = dict(settings.get(OPTIONS) or {})
    if plain.get("crawl"):
        crawl = dict(plain["crawl"])
        crawl["concurrency"] = shard["CONCURRENT_REQUESTS"]
        crawl["concurrency_per_domain"] = shard["CONCURRENT_REQUESTS_PER_DOMAIN"]
        crawl["download_delay"] = float(crawl.get("download_delay", 0.0)) * shards
        plain["crawl"] = crawl
        shard[OPTIONS] = plain
    if child:
        shard["NEWSWATCH_PROGRESS"] = "off"
    return shard


@dataclasses.dataclass(frozen=True)
class ShardReport:
    """What a child shard's crawl leaves for the run: its stats and the spider's lists."""

    stats: dict[str, Any]
    errors: tuple[FetchError, ...] = ()
    dropped: tuple[FetchError, ...] = ()
    rejections: tuple[RejectedPage, ...] = ()  # without their bodies (the run reports reason and URL)
    fetched: frozenset[str] = frozenset()
    error: str | None = None  # the crawl's own failure


def report_of(crawler: Crawler | None, error: str | None) -> ShardReport:
    spider = getattr(crawler, "spider", None)
    stats = crawler.stats.get_stats() if crawler is not None and crawler.stats is not None else {}
    if spider is None:
        return ShardReport(dict(stats), error=error)
    rejections = tuple(dataclasses.replace(page, raw_body=b"") for page in spider.rejections)
    return ShardReport(dict(stats), tuple(spider.errors), tuple(spider.dropped), rejections,
                       frozenset(spider.fetched), error)


def merge(crawler: Crawler, report: ShardReport) -> str | None:
    """A child's report added to the run's crawler (counters summed, peaks the largest, the spider's lists
    extended); the child's failure, if any, as the run's error."""
    stats, spider = crawler.stats, getattr(crawler, "spider", None)
    if stats is not None:
        for key, value in report.stats.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if key.startswith(SUMMED_AS_MAX) or "time" in key or isinstance(value, float):
                stats.max_value(key, value)
            else:
                stats.inc_value(key, value)
        reason = report.stats.get("finish_reason")
        if reason not in (None, "finished"):
            stats.set_value("finish_reason", reason)
    if spider is not None:
        spider.errors.extend(report.errors)
        spider.dropped.extend(report.dropped)
        spider.rejections.extend(report.rejections)
        spider.fetched |= report.fetched
    return f"re-check shard: {report.error}" if report.error else None


Crawl = Callable[[CrawlPlan, dict[str, Any], "Recorder", "Engine | None"], "tuple[Crawler, str | None]"]


def crawl_split(plans: list[CrawlPlan], settings: dict[str, Any], recorders: Callable[[], Recorder],
                writer: Callable[[], Engine | None], crawl: Crawl) -> tuple[Crawler, str | None]:
    """Crawl ``plans[1:]`` in forked children and ``plans[0]`` here (``crawl``: ``crawl_in_process``), then
    merge the children's reports; ``writer`` gives this process's engine (made after the forks)."""
    _preload(settings)
    shards = len(plans)
    children = [_fork(plan, shard_settings(settings, shards, child=True), recorders, crawl) for plan in plans[1:]]
    crawler, error = crawl(plans[0], shard_settings(settings, shards, child=False), recorders(), writer())
    for pid, pipe in children:
        report = _collect(pid, pipe)
        error = error or merge(crawler, report)
    return crawler, error


COMPONENTS = ("DOWNLOADER_MIDDLEWARES_BASE", "DOWNLOADER_MIDDLEWARES", "EXTENSIONS_BASE", "EXTENSIONS",
              "ITEM_PIPELINES")
HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"


def _preload(settings: dict[str, Any]) -> None:
    """Import the crawl stack once, before the forks (no reactor installed): the spider and every component
    the settings enable, the HTTP handler; each child finds them imported instead of importing them again."""
    import newswatch.crawler.spiders.news  # noqa: F401

    paths = [path for key in COMPONENTS for path, order in (settings.get(key) or {}).items() if order is not None]
    for path in (*paths, HANDLER, settings.get("SCHEDULER") or "scrapy.core.scheduler.Scheduler"):
        importlib.import_module(path.rpartition(".")[0])  # the module only: Scrapy loads the class itself


def _fork(plan: CrawlPlan, settings: dict[str, Any], recorders: Callable[[], Recorder],
          crawl: Crawl) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    os.close(read)
    status = 1
    try:  # the parent's engines are never touched here: this crawl makes its own from the database URL
        crawler, error = crawl(plan, settings, recorders(), None)
        report = report_of(crawler, error)
        status = 0
    except BaseException as exc:  # whatever it was, the run hears of it
        report = ShardReport({}, error=f"{type(exc).__name__}: {exc}")
    finally:
        try:
            with os.fdopen(write, "wb") as pipe:
                pickle.dump(report, pipe)
        finally:
            os._exit(status)  # no atexit, no finalizers of the parent's objects (its connections, its lock)


def _collect(pid: int, pipe: int) -> ShardReport:
    with os.fdopen(pipe, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    try:
        report: ShardReport = pickle.loads(data)  # our own child's, through our own pipe
    except (pickle.UnpicklingError, EOFError) as exc:
        return ShardReport({}, error=f"a re-check process ended without a report (status {status}): {exc}")
    return report
