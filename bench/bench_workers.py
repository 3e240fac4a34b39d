"""Queue scale: ``python -m bench.bench_workers [--sites 6 --articles 20]`` prints a table (not a test).

Loopback sites (127.0.0.1, .2, ...: one site each) of real pages, PostgreSQL (a schema of its own) and
Redis (an empty database, flushed after), workers as real ``newswatch worker`` processes. After a first
crawl stores every article, the same re-check (one job per site with all its articles, full fetches) is
enqueued with 1 worker running and then with 2: articles re-checked per second and the ratio. The queue
overhead per job is the round trip of an empty job (``deliver_alerts`` with nothing pending) with one
idle worker: enqueue, pick-up, run, finish, measured end to end and divided by the count.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, func, select, text

from newswatch.crawler.items import ArticleTarget
from newswatch.monitor.config.model import QueueConfig
from newswatch.monitor.queue.connection import open_pool
from newswatch.monitor.queue.jobs import ALERTS_FUNCTION, CRAWL_FUNCTION, CrawlJob
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import CrawlRun
from tests.conftest import POSTGRES_URL
from tests.monitor.queue.cluster import Proc, Sites, article_path, newswatch, wait_for, write_config


def free_db() -> int:
    for db in range(1, 16):
        client = redis.Redis(db=db)
        if client.dbsize() == 0 and client.set("newswatch:bench-claim", "1", nx=True):
            client.close()
            return db
        client.close()
    raise SystemExit("no empty Redis database")


def finished_runs(url: str) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        count = int(session.execute(select(func.count()).select_from(CrawlRun)
                                    .where(CrawlRun.job_id.is_not(None), CrawlRun.outcome != "running")).scalar_one())
    engine.dispose()
    return count


async def enqueue(queue: QueueConfig, jobs: list[CrawlJob]) -> None:
    pool = await open_pool(queue)
    for job in jobs:
        await pool.enqueue_job(CRAWL_FUNCTION, job.to_json(), _job_id=job.job_id)
    await pool.aclose()


async def round_trips(queue: QueueConfig, count: int) -> float:
    pool = await open_pool(queue)
    started = time.perf_counter()
    for _ in range(count):
        job = await pool.enqueue_job(ALERTS_FUNCTION)
        assert job is not None
        while await pool.exists(f"arq:job:{job.job_id}"):
            await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    await pool.aclose()
    return elapsed / count


def recheck(sites: Sites, url: str, queue: QueueConfig, workers: list[Proc]) -> float:
    jobs = [CrawlJob(server.host, tuple(ArticleTarget(server.url(article_path(n))) for n in range(sites.articles)),
                     (), ("bench",)) for server in sites.servers]
    before = finished_runs(url)
    started = time.perf_counter()
    asyncio.run(enqueue(queue, jobs))
    wait_for("the re-check", lambda: finished_runs(url) >= before + len(jobs), 900, tuple(workers))
    return time.perf_counter() - started


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    schema = f"nw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    db = free_db()
    sites = Sites.start(args.sites, args.articles)
    workers: list[Proc] = []
    try:
        config = write_config(folder, sites, url, f"redis://127.0.0.1:6379/{db}", hook_port=9, delay=0.0,
                              job_timeout=600.0)
        assert newswatch(config, "db", "upgrade").returncode == 0
        queue = QueueConfig(redis_url=f"redis://127.0.0.1:6379/{db}")
        workers = [Proc.start(config, "worker", "--name", "w1"), Proc.start(config, "worker", "--name", "w2")]
        recheck(sites, url, queue, workers)  # the first crawl: stores every article
        workers.pop().stop()
        one = recheck(sites, url, queue, workers)
        overhead = asyncio.run(round_trips(queue, args.trips))
        workers.append(Proc.start(config, "worker", "--name", "w2"))
        time.sleep(args.warmup)
        two = recheck(sites, url, queue, workers)
    finally:
        for worker in workers:
            worker.stop()
        sites.stop()
        redis.Redis(db=db).flushdb()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    total = args.sites * args.articles
    return {"articles": total, "one": total / one, "two": total / two, "overhead_ms": overhead * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_workers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--articles", type=int, default=20, help="articles per site (at most 23)")
    parser.add_argument("--trips", type=int, default=50, help="empty jobs timed for the queue overhead")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds for the second worker to start")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        found = run(args, Path(folder))
    print(f"re-check of {found['articles']} articles on {args.sites} sites (one job per site, full fetches)")
    print(f"  1 worker   {found['one']:8.1f} articles/s")
    print(f"  2 workers  {found['two']:8.1f} articles/s   ratio {found['two'] / found['one']:.2f}")
    print(f"  queue overhead per job (empty job, enqueue to finish)  {found['overhead_ms']:.1f} ms")


if __name__ == "__main__":
    main()
