"""The scheduler's side of the queue: due work grouped per site, at most one job per site anywhere.

Every plan the scheduler makes (re-checks, a source's pages and feeds, its sitemaps, new seeds) is
split per site (:func:`monitor.queue.jobs.jobs_of`) and merged into that site's pending work; a flush
enqueues each site's work as one job with ``_job_id = "crawl:<site>"``. arq refuses an id that is
queued or running (``enqueue_job`` returns None): the work stays pending, merged with whatever comes
next, and goes out once the site's running job has ended, so one site is never crawled by two workers at
once and Scrapy's per-site delay holds across them. ``keep_result = 0`` (the workers' setting) lets the id
be used again as soon as a job ends. Redis unreachable: the work stays pending (PostgreSQL still says
what is due, so even a scheduler restart loses nothing) and the next flush tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from newswatch.monitor.queue.connection import reason
from newswatch.monitor.queue.jobs import ALERTS_FUNCTION, CRAWL_FUNCTION, CrawlJob

log = logging.getLogger("newswatch.queue")
ALERTS_JOB_ID = "alerts:deliver"


class Dispatcher:
    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool
        self.pending: dict[str, CrawlJob] = {}
        self.enqueued = 0
        self.deferred = 0  # flushes that found the site's job still queued or running
        self.redis_ok = True

    def add(self, jobs: Iterable[CrawlJob]) -> None:
        for job in jobs:
            held = self.pending.get(job.site)
            self.pending[job.site] = job if held is None else held.merged(job)

    async def flush(self) -> int:
        """Enqueue every site's pending work whose site has no job queued or running; how many went out."""
        sent = 0
        for site, job in list(self.pending.items()):
            try:
                enqueued = await self.pool.enqueue_job(CRAWL_FUNCTION, job.to_json(), _job_id=job.job_id)
            except (RedisError, OSError) as exc:
                self._lost(exc)
                return sent
            self._back()
            if enqueued is None:
                self.deferred += 1
                continue
            del self.pending[site]
            sent += 1
        self.enqueued += sent
        return sent

    async def alerts(self) -> bool:
        """Ask for one outbox pass by a worker (one at a time across the cluster); False if not now."""
        try:
            job = await self.pool.enqueue_job(ALERTS_FUNCTION, _job_id=ALERTS_JOB_ID)
        except (RedisError, OSError) as exc:
            self._lost(exc)
            return False
        self._back()
        return job is not None

    def _lost(self, exc: BaseException) -> None:
        if self.redis_ok:
            log.error("queue: Redis unreachable (%s); %d site(s) kept pending, retrying", reason(exc),
                      len(self.pending))
        self.redis_ok = False

    def _back(self) -> None:
        if not self.redis_ok:
            log.warning("queue: Redis reachable again; sending %d pending site(s)", len(self.pending))
        self.redis_ok = True
