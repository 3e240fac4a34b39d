"""``newswatch worker``: an arq Worker on Scrapy's asyncio reactor; one ``AsyncCrawlerRunner`` crawl per job.

Functions: ``crawl_site`` (one site's :class:`~monitor.queue.jobs.CrawlJob`: its due articles and
discovery targets, recorded by :class:`~monitor.queue.recorder.LockingRecorder` straight into
PostgreSQL, one transaction per article, with a crawl run keyed by job id and try number) and
``deliver_alerts`` (one outbox pass; the outbox's leases keep two passes apart). Up to
``queue.worker_concurrency`` jobs at once, each of another site. ``keep_result = 0``: the job id is free
again when a job ends. A job whose worker died is taken again by another after its lease
(``queue.job_timeout_seconds`` + 10 s), up to ``queue.max_tries``; its earlier run is closed as
``abandoned`` and the idempotent writes absorb what it had already stored.
Redis lost mid-run: crawls in flight go on writing to PostgreSQL, the worker says so in one line and
reconnects every few seconds. SIGTERM/SIGINT: no new job, in-flight crawls get
``daemon.shutdown_seconds``, then are stopped (their jobs re-run elsewhere; a rendering crawl's open pages
closed first, its browser closed with it), exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from arq.worker import Worker, func
from redis.exceptions import RedisError
from scrapy.crawler import AsyncCrawlerRunner

from newswatch.crawler import heap
from newswatch.crawler.fetch.render import abandon_pages
from newswatch.monitor.alerts.outbox import deliver_pending
from newswatch.monitor.alerts.registry import Channel
from newswatch.monitor.config.model import Config
from newswatch.monitor.config.runtime import open_storage
from newswatch.monitor.daemon import logs
from newswatch.monitor.daemon.reactor import Halt, run_reactor, start_reactor
from newswatch.monitor.queue import beats, codec
from newswatch.monitor.queue.connection import open_pool, reason
from newswatch.monitor.queue.errors import QueueUnavailable
from newswatch.monitor.queue.jobs import ALERTS_FUNCTION, CRAWL_FUNCTION, CrawlJob, read_crawl_job
from newswatch.monitor.queue.recorder import LockingRecorder
from newswatch.monitor.runs.crawllog import log_crawl
from newswatch.monitor.runs.crawlrun import close_run, crawl_on, retry_policy
from newswatch.monitor.runs.plan import known_urls, source_validators, with_validators
from newswatch.monitor.runs.run import crawl_options, crawl_run_settings, recorders
from newswatch.storage.engine import transaction
from newswatch.storage.models import CrawlRun
from newswatch.storage.queries.runs import abandon_earlier_attempts, attempt_run, run_by_id

log = logging.getLogger("newswatch.worker")
RECONNECT_SECONDS = 3.0


class CrawlWorker:
    def __init__(self, config: Config, channels: tuple[Channel, ...], name: str | None = None) -> None:
        self.config = config
        self.channels = channels
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.storage = open_storage(config)
        self.options = crawl_options(config)  # the registry and the topic read once, at start
        self.runner = AsyncCrawlerRunner(self._settings())
        self.recorders = recorders(config, LockingRecorder, self.options)  # the rules the settings hold
        self.stopping = asyncio.Event()
        self.arq: Worker | None = None
        self.pool: ArqRedis | None = None
        self.done = self.failed = 0
        self.running: set[str] = set()

    def _settings(self) -> dict[str, Any]:
        return crawl_run_settings(self.config, options=self.options)

    # -- the functions ----------------------------------------------------------------------------

    async def crawl_site(self, ctx: dict[str, Any], payload: Any) -> dict[str, Any]:
        job = read_crawl_job(payload)  # the codec checked it already: this only builds the dataclasses
        # arq reuses the id crawl:<site> once a job ends: its enqueue time tells one job from the next
        job_id = f"{ctx['job_id']}@{int(ctx['enqueue_time'].timestamp() * 1000)}"
        attempt = int(ctx["job_try"])
        self.running.add(job_id)
        try:
            return await self._crawl(job, job_id, attempt)
        finally:
            self.running.discard(job_id)

    async def _crawl(self, job: CrawlJob, job_id: str, attempt: int) -> dict[str, Any]:
        run_id = self._open_run(job, job_id, attempt)
        with self.storage.sessions() as session:  # with the validators of its feeds and sitemaps
            plan = with_validators(job.plan(known_urls(session)), source_validators(session))
        crawler, error = await crawl_on(self.runner, plan, self.recorders(), engine=self.storage.writer())
        summary = close_run(self.storage, self.config, self.channels, run_id, plan, crawler, error, deliver=False)
        self._label_run(run_id, job)
        self.done += 1
        self.failed += int(summary.outcome == "failed")
        log_crawl(log, f"{job_id} (try {attempt})", summary)
        del crawler
        heap.release()  # the crawl's garbage collected and its heap handed back: flat memory over many jobs
        return {"run": run_id, "outcome": summary.outcome, **summary.figures}

    def _open_run(self, job: CrawlJob, job_id: str, attempt: int) -> int:
        """This attempt's crawl run; the runs earlier attempts left running are closed as abandoned."""
        now = datetime.now(UTC)
        with transaction(self.storage.sessions) as session:
            abandon_earlier_attempts(session, job_id, attempt, now,
                                     "the worker ended before the job finished; taken again")
            existing = attempt_run(session, job_id, attempt)
            run = existing or CrawlRun(kind="job", job_id=job_id, attempt=attempt)
            run.stats = self._labels(job)
            session.add(run)
            session.flush()
            return run.id

    def _labels(self, job: CrawlJob) -> dict[str, Any]:
        return {"site": job.site, "planned_by": list(job.planned_by), "worker": self.name,
                "planned_articles": len(job.articles)}

    def _label_run(self, run_id: int, job: CrawlJob) -> None:
        """The finished run's stats (the crawl's) with the job's labels kept beside them."""
        with transaction(self.storage.sessions) as session:
            run = run_by_id(session, run_id)
            if run is not None:
                run.stats = {**(run.stats or {}), **self._labels(job)}

    async def deliver_alerts(self, ctx: dict[str, Any]) -> dict[str, int]:
        report = await asyncio.to_thread(deliver_pending, self.storage.sessions, self.channels,
                                         retry_policy(self.config))
        return {"sent": report.sent, "failed": report.failed, "dead": report.dead}

    # -- the arq worker ---------------------------------------------------------------------------

    def _worker(self, pool: ArqRedis) -> Worker:
        queue = self.config.queue
        functions = [func(self.crawl_site, name=CRAWL_FUNCTION, timeout=queue.job_timeout_seconds),
                     func(self.deliver_alerts, name=ALERTS_FUNCTION, timeout=queue.job_timeout_seconds, max_tries=1)]
        return Worker(functions, queue_name=queue.queue_name, redis_pool=pool, handle_signals=False,
                      max_jobs=queue.worker_concurrency, job_timeout=queue.job_timeout_seconds, keep_result=0,
                      max_tries=queue.max_tries, poll_delay=0.2, health_check_interval=queue.heartbeat_seconds,
                      job_serializer=codec.dumps, job_deserializer=codec.loads, log_results=False)

    async def serve(self) -> None:
        """Take jobs until stopped; reconnect whenever Redis goes away."""
        beating = asyncio.ensure_future(self._beat())
        lost = False
        while not self.stopping.is_set():
            try:
                self.pool = await open_pool(self.config.queue)
                if lost:
                    log.warning("worker %s: Redis reachable again, taking jobs", self.name)
                lost = False
                self.arq = self._worker(self.pool)
                await self.arq.async_run()
            except asyncio.CancelledError:
                if not self.stopping.is_set():
                    raise
            except (QueueUnavailable, RedisError, OSError) as exc:
                if not lost:
                    log.error("worker %s: Redis lost (%s); crawls in flight go on, reconnecting every %.0f s",
                              self.name, reason(exc), RECONNECT_SECONDS)
                lost = True
                await self._pause(RECONNECT_SECONDS)
        beating.cancel()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _beat(self) -> None:
        queue = self.config.queue
        while not self.stopping.is_set():
            pool = self.pool
            if pool is not None:
                state = beats.WorkerBeat(self.name, datetime.now(UTC).timestamp(), socket.gethostname(),
                                         os.getpid(), self.done, self.failed, tuple(sorted(self.running)))
                with contextlib.suppress(RedisError, OSError):  # serve() reports the loss
                    await beats.beat(pool, queue.queue_name, state)
            await self._pause(queue.heartbeat_seconds)

    async def shutdown(self) -> None:
        """No new jobs; in-flight crawls get ``daemon.shutdown_seconds``, then are stopped."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        log.info("worker %s: shutting down", self.name)
        worker = self.arq
        if worker is not None and worker.main_task is not None:
            worker.main_task.cancel()
        tasks = [t for t in (worker.tasks.values() if worker else ()) if not t.done()]
        limit = self.config.daemon.shutdown_seconds
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=limit)
            if late:
                log.warning("shutdown: %d crawl(s) stopped; their jobs run again after the lease", len(late))
                await self._stop_crawls(late, limit)
        await self._close(worker)

    async def _stop_crawls(self, late: set[asyncio.Task[Any]], limit: float) -> None:
        """The crawls still running stopped: their browsers' open pages closed first (a page that never
        settles does not hold the stop), then each crawl ends, closing its browser (no Chromium left)."""
        try:
            await asyncio.wait_for(abandon_pages(self.runner.crawlers), limit)
            await asyncio.wait_for(self.runner.stop(), limit)
            await asyncio.wait(late, timeout=limit)
        except TimeoutError:
            log.warning("shutdown: crawls not stopped after %.0f s", limit)

    async def _close(self, worker: Worker | None) -> None:
        """arq's ``Worker.close`` calls redis-py's deprecated ``close()``: its steps, with ``aclose()``."""
        if worker is not None:
            for task in worker.tasks.values():
                task.cancel()
            await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
        try:
            if self.pool is not None:
                await beats.forget(self.pool, self.config.queue.queue_name, self.name)
                if worker is not None:
                    await self.pool.delete(worker.health_check_key)
                await self.pool.aclose()
        except (RedisError, OSError) as exc:
            log.warning("shutdown: Redis unreachable (%s)", reason(exc))
        self.storage.close()


def run_worker(config: Config, channels: tuple[Channel, ...], log_format: str = "text",
               name: str | None = None) -> int:
    """Install the asyncio reactor, take jobs until SIGTERM/SIGINT, return the exit status."""
    logs.formatter(log_format)
    core = start_reactor(log_format)
    worker = CrawlWorker(config, channels, name)

    async def begin(halt: Halt) -> None:
        log.info("worker %s started: queue %s, %d at once", worker.name, config.queue.queue_name,
                 config.queue.worker_concurrency)
        await worker.serve()

    run_reactor(core, begin, worker.shutdown)
    return 0
