"""``newswatch daemon --role scheduler``: the one APScheduler of a cluster; it plans, workers crawl.

The daemon of :mod:`monitor.daemon.service` with its crawls replaced: every plan it makes (from
PostgreSQL, as the single-process daemon does) goes to the :class:`~monitor.queue.dispatch.Dispatcher`
as one job per site, and the alert pass is a ``deliver_alerts`` job. It writes no crawl runs (workers
do) and closes none at start (a live worker's run is not abandoned). A ``dispatch`` job flushes what
could not be enqueued yet and reads the queue's state for ``/metrics`` (depth, in progress, workers'
last beats). Source intervals do not adapt in this role (a worker's crawl ends after the plan).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.connections import ArqRedis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from newswatch.crawler.items import CrawlPlan
from newswatch.monitor.daemon.service import Daemon
from newswatch.monitor.queue.beats import QueueState, beat_age, queue_state
from newswatch.monitor.queue.connection import open_pool
from newswatch.monitor.queue.dispatch import Dispatcher
from newswatch.monitor.queue.jobs import jobs_of

log = logging.getLogger("newswatch.daemon")


class QueueCollector(Collector):
    """The queue's state as last read by the scheduler (collect() runs in the loop: no Redis call here)."""

    def __init__(self, scheduler: SchedulerDaemon) -> None:
        self.scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        state, dispatcher = self.scheduler.queue, self.scheduler.dispatcher
        yield GaugeMetricFamily("newswatch_queue_jobs_queued", "Crawl jobs waiting for a worker.",
                                value=state.queued if state else 0)
        yield GaugeMetricFamily("newswatch_queue_jobs_in_progress", "Crawl jobs a worker holds.",
                                value=state.in_progress if state else 0)
        yield GaugeMetricFamily("newswatch_queue_sites_pending", "Sites with work not enqueued yet.",
                                value=len(dispatcher.pending) if dispatcher else 0)
        yield GaugeMetricFamily("newswatch_queue_jobs_enqueued", "Crawl jobs enqueued since start.",
                                value=dispatcher.enqueued if dispatcher else 0)
        beats = GaugeMetricFamily("newswatch_worker_last_beat_seconds", "Seconds since a worker's last heartbeat.",
                                  labels=["worker"])
        done = GaugeMetricFamily("newswatch_worker_jobs_done", "Jobs a worker finished.", labels=["worker"])
        now = time.time()
        for worker in state.workers if state else ():
            beats.add_metric([worker.name], beat_age(worker, now))
            done.add_metric([worker.name], worker.done)
        yield from (beats, done)


class SchedulerDaemon(Daemon):
    owns_runs = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool: ArqRedis | None = None
        self.dispatcher: Dispatcher | None = None
        self.queue: QueueState | None = None
        self.metrics.registry.register(QueueCollector(self))

    async def crawl(self, kind: str, plan: CrawlPlan) -> dict[str, Any]:
        """Enqueue ``plan`` as one job per site (nothing is crawled here); returns no stats."""
        if self.dispatcher is None or self.stopping.is_set():
            return {}
        jobs = jobs_of(plan, kind)
        self.dispatcher.add(jobs)
        sent = await self.dispatcher.flush()
        log.info("%s: %d site(s) planned, %d job(s) enqueued, %d site(s) pending", kind, len(jobs), sent,
                 len(self.dispatcher.pending))
        return {}

    async def alerts_job(self) -> None:
        if self.dispatcher is not None and not self.stopping.is_set():
            await self.dispatcher.alerts()

    async def dispatch_job(self) -> None:
        if self.dispatcher is None:
            return
        await self.dispatcher.flush()
        if self.pool is not None:
            try:
                self.queue = await queue_state(self.pool, self.config.queue.queue_name)
            except (RedisError, OSError):
                self.queue = None

    async def start(self) -> None:
        queue = self.config.queue
        self.pool = await open_pool(queue, retries=5)
        self.dispatcher = Dispatcher(self.pool)
        await super().start()
        self._add("dispatch", self.dispatch_job, queue.dispatch_seconds, datetime.now(UTC) + timedelta(seconds=1))
        log.info("scheduler role: jobs go to %s (queue %s)", queue.redis_url.split("@")[-1], queue.queue_name)

    async def shutdown(self) -> None:
        await super().shutdown()
        if self.pool is not None:
            await self.pool.aclose()
            self.pool = None
