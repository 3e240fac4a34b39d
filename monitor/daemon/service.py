"""``newswatch daemon``: APScheduler 3 on the asyncio reactor, crawls awaited on the shared loop.

Jobs (rebuilt at every start from our own tables; ``replace_existing``, ``coalesce``, one instance each,
jittered): per registered source, its section pages and feeds (adaptive interval: slower when nothing is
new, faster when new items appear; the interval lives in ``sources.interval_seconds``) and its sitemaps
with robots.txt (daily); articles due by the age ladder; new seeds; the alert worker. After a restart,
overdue work is spread over ``schedule.restart_spread_minutes``; the retention of ``storage.retention``,
every ``schedule.prune_hours`` (daily). SIGTERM/SIGINT: no new work, in-flight
crawls are closed within ``daemon.shutdown_seconds``, the outbox is flushed, exit 0.

HTTP, on ``daemon.metrics_host:metrics_port``, by uvicorn on the same loop: ``/healthz``, ``/metrics``
(prometheus-client) and, when the caller hands one in (``app_factory``: the CLI gives the web view),
an ASGI app for every other path. The daemon's own log lines go through :mod:`monitor.daemon.logs`, so
they survive every crawl.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from scrapy.crawler import AsyncCrawlerRunner
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from newswatch.crawler import heap
from newswatch.crawler.fetch.render import abandon_pages
from newswatch.crawler.items import CrawlPlan, SiteTarget
from newswatch.monitor.alerts.outbox import deliver_pending
from newswatch.monitor.alerts.registry import Channel, build_channels
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import open_storage
from newswatch.monitor.daemon import logs
from newswatch.monitor.daemon.endpoints import daemon_app
from newswatch.monitor.daemon.healthcheck import HealthFacts, cause_of, gather, health_limits, judge
from newswatch.monitor.daemon.http import HttpServer, credential
from newswatch.monitor.daemon.metrics import Metrics, SourceState, State
from newswatch.monitor.daemon.reactor import Halt, run_reactor, start_reactor
from newswatch.monitor.housekeeping.retention import describe, policy_of, prune_storage
from newswatch.monitor.runs.crawllog import log_crawl
from newswatch.monitor.runs.crawlrun import close_run, crawl_on, open_run, retry_policy
from newswatch.monitor.runs.plan import (
    due_articles,
    known_urls,
    seed_targets,
    site_targets,
    source_validators,
    with_validators,
)
from newswatch.monitor.runs.preflight import preflight
from newswatch.monitor.runs.run import (
    close_abandoned_runs,
    crawl_options,
    crawl_run_settings,
    reapply_rules,
    recorders,
)
from newswatch.monitor.runs.status import outbox_counts
from newswatch.monitor.schedule.intervals import next_interval, parse_ladder
from newswatch.monitor.sources.registry import load_registry
from newswatch.monitor.sources.seeds import import_seeds, read_seeds
from newswatch.storage.engine import transaction
from newswatch.storage.errors import NewswatchError
from newswatch.storage.lock import run_lock
from newswatch.storage.models import utcnow
from newswatch.storage.queries.sources import next_check_of, source_health, source_named
from newswatch.storage.repository import ensure_source

log = logging.getLogger("newswatch.daemon")
AppFactory = Callable[[sessionmaker[Session]], ASGIApp]


class Daemon:
    owns_runs = True  # no one else writes crawl runs (the scheduler role: workers do, see monitor.queue)

    def __init__(self, config: Config, cassette: str | None = None, app_factory: AppFactory | None = None,
                 token: str | None = None, channels: tuple[Channel, ...] | None = None) -> None:
        self.config = config
        self.cassette = cassette
        self.app_factory = app_factory
        self.token = token
        self.channels = build_channels(config.alerts) if channels is None else channels
        self.storage = open_storage(config)
        self.metrics = Metrics()
        self.metrics.watch(self._state)
        self.server: HttpServer | None = None
        self.scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                        "misfire_grace_time": 3600})
        # the registry and the topic read once, at start: the settings and the recorders hold the same rules
        self.options = crawl_options(config, Path(cassette), "replay") if cassette else crawl_options(config)
        self.runner = AsyncCrawlerRunner(self._settings())
        self.recorders = recorders(config, options=self.options)
        self.stopping = asyncio.Event()
        self.slots = asyncio.Semaphore(1)
        self.ladder = parse_ladder(config.schedule.articles)
        self.removed_ladder = parse_ladder(config.schedule.removed)
        self.exit_code = 0
        self.started = utcnow()
        self.health_limits = health_limits(config)
        self.health_status = "ok"

    def _settings(self) -> dict[str, Any]:
        """Every crawl's settings; a cassette is replayed, every crawl from its start."""
        extra = {"NEWSWATCH_CASSETTE_REPEAT": True} if self.cassette else None
        return crawl_run_settings(self.config, extra=extra, options=self.options)

    # -- crawling -------------------------------------------------------------------------------

    async def crawl(self, kind: str, plan: CrawlPlan) -> dict[str, Any]:
        """One crawl on the shared loop, recorded as a crawl run; returns its stats (none when the daemon
        stops first: a job still waiting for the slot is cancelled by the scheduler's shutdown, quietly)."""
        try:
            await self.slots.acquire()
        except asyncio.CancelledError:
            if self.stopping.is_set():
                return {}
            raise
        try:
            return await self._crawl(kind, plan)
        finally:
            self.slots.release()

    async def _crawl(self, kind: str, plan: CrawlPlan) -> dict[str, Any]:
        if self.stopping.is_set():
            return {}
        with self.storage.sessions() as session:
            plan = with_validators(plan, source_validators(session))  # conditional GETs of feeds, sitemaps
        run_id = open_run(self.storage, kind, plan)
        started = time.monotonic()
        crawler, error = await crawl_on(self.runner, plan, self.recorders(), self.stopping, self.storage.writer())
        summary = close_run(self.storage, self.config, self.channels, run_id, plan, crawler, error, deliver=False)
        self.metrics.observe_crawl(summary.outcome, summary.stats, time.monotonic() - started)
        log_crawl(log, kind, summary)
        del crawler
        heap.release()  # the crawl's garbage collected and its heap handed back: flat memory over many crawls
        return summary.stats

    async def source_job(self, name: str) -> None:
        site = self._site(name)
        if site is None:
            return
        plan = CrawlPlan(sites=(SiteTarget(name, site.pages, site.feeds, (), robots=False),), known=self._known())
        stats = await self.crawl(f"source:{name}", plan)
        if stats:
            self._adapt(name, int(stats.get("newswatch/articles/new", 0)))

    async def sitemap_job(self, name: str) -> None:
        site = self._site(name)
        if site is not None:
            target = SiteTarget(name, (), (), site.sitemaps, roots=(*site.pages, *site.feeds))
            await self.crawl(f"sitemaps:{name}", CrawlPlan(sites=(target,), known=self._known()))

    async def recheck_job(self) -> None:
        with self.storage.sessions() as session:
            due = due_articles(session, self.ladder, removed_ladder=self.removed_ladder)
        if due:
            await self.crawl("recheck", CrawlPlan(articles=tuple(due), known=self._known()))

    async def seeds_job(self) -> None:
        folder = self.config.path(self.config.storage.seeds_dir)
        import_seeds(self.storage.sessions, folder)
        known = self._known()
        fresh = tuple(t for t in seed_targets(read_seeds(folder)[0]) if t.url not in known)
        if fresh:
            await self.crawl("seeds", CrawlPlan(articles=fresh, known=known))

    async def alerts_job(self) -> None:
        report = await asyncio.to_thread(deliver_pending, self.storage.sessions, self.channels,
                                         retry_policy(self.config))
        self.metrics.observe_alerts(report.sent, report.failed, report.dead)

    async def prune_job(self) -> None:
        retention = self.config.storage.retention
        report = await asyncio.to_thread(prune_storage, retention, self.storage)
        for line in describe(report, retention):
            log.info("prune: %s", line)

    def _known(self) -> frozenset[str]:
        with self.storage.sessions() as session:
            return known_urls(session)

    def _sites(self) -> list[SiteTarget]:
        folder = self.config.path(self.config.storage.seeds_dir)
        return site_targets(read_seeds(folder)[0], load_registry(folder))

    def _site(self, name: str) -> SiteTarget | None:
        return next((s for s in self._sites() if s.name == name), None)

    def _adapt(self, name: str, new_items: int) -> None:
        schedule = self.config.schedule
        low, high = schedule.feeds_min_minutes * 60, schedule.feeds_max_minutes * 60
        with transaction(self.storage.sessions) as session:
            source = source_named(session, name)
            if source is None:
                return
            source.interval_seconds = round(next_interval(float(source.interval_seconds), new_items, low, high))
            source.next_check_at = datetime.now(UTC) + timedelta(seconds=source.interval_seconds)
            seconds = source.interval_seconds
        job = self.scheduler.get_job(f"source:{name}")
        if job is not None:
            job.reschedule(IntervalTrigger(seconds=seconds, jitter=self._jitter(seconds)))

    # -- lifecycle ------------------------------------------------------------------------------

    def _jitter(self, seconds: float) -> float:
        return min(self.config.schedule.jitter_seconds, seconds / 4)

    def _first_run(self, due: datetime | None) -> datetime:
        now = datetime.now(UTC)
        if due is not None and due > now:
            return due
        return now + timedelta(seconds=random.uniform(0, self.config.schedule.restart_spread_minutes * 60))

    def _add(self, job_id: str, func: Any, seconds: float, first: datetime, *args: Any) -> None:
        self.scheduler.add_job(func, IntervalTrigger(seconds=seconds, jitter=self._jitter(seconds)), args=args,
                               id=job_id, name=job_id, next_run_time=first, replace_existing=True)

    def schedule_jobs(self) -> None:
        schedule = self.config.schedule
        for site in self._sites():
            seconds = self._source_interval(site)
            with self.storage.sessions() as session:
                due = next_check_of(session, site.name)
            if site.pages or site.feeds:
                self._add(f"source:{site.name}", self.source_job, seconds, self._first_run(due), site.name)
            if site.sitemaps or site.robots:
                self._add(f"sitemaps:{site.name}", self.sitemap_job, schedule.sitemaps_hours * 3600,
                          self._first_run(None), site.name)
        now = datetime.now(UTC)
        self._add("recheck", self.recheck_job, schedule.recheck_minutes * 60, now + timedelta(seconds=1))
        self._add("seeds", self.seeds_job, schedule.seeds_minutes * 60, now)
        self._add("alerts", self.alerts_job, schedule.alerts_seconds, now + timedelta(seconds=1))
        if policy_of(self.config.storage.retention).active:
            self._add("prune", self.prune_job, schedule.prune_hours * 3600, self._first_run(None))

    def _source_interval(self, site: SiteTarget) -> float:
        default = self.config.schedule.feeds_minutes * 60
        urls = (*site.pages, *site.feeds, *site.sitemaps)
        with transaction(self.storage.sessions) as session:
            source = ensure_source(session, site.name, "site", urls[0] if urls else None, None)
            if source.interval_seconds in (None, 3600) or source.interval_seconds < 1:
                source.interval_seconds = max(1, round(default))
            return float(source.interval_seconds)

    async def start(self) -> None:
        if self.owns_runs:
            close_abandoned_runs(self.storage)
        reapply_rules(self.config, self.storage, self.options.source_rules)  # the rules read at start apply now
        self.schedule_jobs()
        self.scheduler.start()
        port = self.config.daemon.metrics_port
        if port:
            rest = self.app_factory(self.storage.sessions) if self.app_factory else None
            app = daemon_app(self._health, self.metrics, rest)
            self.server = HttpServer(app, self.config.daemon.metrics_host, port, self.token)
            await self.server.start()
            log.info("serving %s (/healthz, /metrics%s)", self.server.url, ", the web view" if rest else "")
        log.info("daemon started: %d jobs", len(self.scheduler.get_jobs()))

    def _health(self) -> tuple[int, dict[str, Any]]:
        """``/healthz``: ok, degraded (reasons) or unhealthy (see monitor.daemon.healthcheck)."""
        running = self.scheduler.running and not self.stopping.is_set()
        try:
            with self.storage.sessions() as session:
                facts = gather(session, utcnow(), self.health_limits, running, self.started)
        except (SQLAlchemyError, NewswatchError) as exc:
            facts = HealthFacts(running, storage_error=cause_of(exc))
        verdict = judge(facts, self.health_limits)
        if verdict.status != self.health_status:
            level = logging.INFO if verdict.status == "ok" else logging.WARNING
            log.log(level, "health: %s%s", verdict.status, "".join(f"; {r}" for r in verdict.reasons))
            self.health_status = verdict.status
        return verdict.code, verdict.body(jobs=len(self.scheduler.get_jobs()), crawls=self.metrics.crawls)

    def _state(self) -> State:
        with self.storage.sessions() as session:
            counts = outbox_counts(session)
            rows = source_health(session)
        sources = tuple(SourceState(name, ok.timestamp() if ok else None, checked.timestamp() if checked else None,
                                    failures or 0) for name, ok, checked, failures in rows)
        return State(counts, sources, len(self.scheduler.get_jobs()))

    async def shutdown(self) -> None:
        """Stop taking work, close in-flight crawls, flush the outbox (bounded), then stop the loop."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        log.info("shutting down")
        self.scheduler.shutdown(wait=False)
        limit = self.config.daemon.shutdown_seconds
        try:
            await asyncio.wait_for(abandon_pages(self.runner.crawlers), limit)
            await asyncio.wait_for(self.runner.stop(), limit)
            await asyncio.wait_for(self.slots.acquire(), limit)  # the crawl stopped has recorded its run
            await asyncio.wait_for(self.alerts_job(), limit)
        except TimeoutError:
            log.warning("shutdown: in-flight work abandoned after %.0f s", limit)
        if self.server is not None:
            await self.server.stop()
        self.storage.close()


def run_daemon(config: Config, cassette: str | None = None, app_factory: AppFactory | None = None,
               log_format: str = "text", daemon_class: type[Daemon] = Daemon) -> int:
    """Install the asyncio reactor, run the daemon until SIGTERM/SIGINT, return its exit status."""
    ready = preflight(config)  # the checks of `newswatch run` and `newswatch config`: nothing starts on a bad config
    token = credential(config.daemon.metrics_host, "daemon.metrics_host", config.web.token_env, os.environ)
    logs.formatter(log_format)  # a bad format is refused before anything starts
    core = start_reactor(log_format)
    lock_storage = open_storage(config)
    with run_lock(lock_storage.engine):  # one daemon per storage, and no one-shot run beside it
        daemon = daemon_class(config, cassette, app_factory, token, ready.channels)

        async def begin(halt: Halt) -> None:
            try:
                await daemon.start()
            except Exception as exc:  # e.g. the port is taken: say so and stop, never run half-started
                log.error("daemon could not start: %s: %s", type(exc).__name__, exc)
                daemon.exit_code = 1
                await halt()

        run_reactor(core, begin, daemon.shutdown)
    lock_storage.close()
    return daemon.exit_code
