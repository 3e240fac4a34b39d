"""A worker SIGKILLed mid-crawl: after the job's lease the other worker crawls the site again; nothing
is lost or stored twice, every event is delivered once, and the killed attempt's run is ``abandoned``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertOutbox, Article, CrawlRun, Version
from tests.crawler.test_run import migrate
from tests.monitor.queue.cluster import Proc, Sites, stop_all, wait_for, write_config
from tests.monitor.receiver import Receiver, free_port

ARTICLES = 6


@pytest.fixture
def site() -> Iterator[Sites]:
    found = Sites.start(1, ARTICLES)
    yield found
    found.stop()


def stored(url: str) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        count = int(session.execute(select(func.count()).select_from(Article)).scalar_one())
    engine.dispose()
    return count


def test_killed_worker_site_is_crawled_again_by_the_other_after_the_lease(
        tmp_path: Path, site: Sites, postgres_url: str, redis_url: str) -> None:
    hook = Receiver(["200"]).start(free_port())
    assert hook.server is not None
    # 0.6 s between requests: the first crawl takes ~4 s, long enough to be killed in the middle
    config = write_config(tmp_path, site, postgres_url, redis_url, hook.server.server_address[1], delay=0.6,
                          job_timeout=10.0)
    migrate(config)
    server = site.servers[0]
    first = Proc.start(config, "worker", "--name", "doomed")
    scheduler = Proc.start(config, "daemon", "--role", "scheduler")
    procs: tuple[Proc, ...] = (scheduler,)
    try:
        wait_for("the first articles fetched", lambda: sum(r.path.startswith("/2025/") for r in server.requests) >= 2,
                 60, (first, scheduler))
        first.kill()
        killed_at = server.requests[-1].at
        assert stored(postgres_url) < ARTICLES, "killed mid-crawl"
        second = Proc.start(config, "worker", "--name", "survivor")
        procs = (scheduler, second)
        wait_for("every article stored", lambda: stored(postgres_url) == ARTICLES, 90, procs)
        wait_for("the killed run closed", lambda: _abandoned(postgres_url) == 1, 30, procs)
    finally:
        codes = stop_all(procs)
        hook.stop()
    assert codes == [0] * len(procs), "\n".join(p.log()[-3000:] for p in procs)
    engine = make_engine(postgres_url)
    with session_factory(engine)() as session:
        versions = Counter(v.article_id for v in session.execute(select(Version)).scalars())
        outbox = Counter((o.event_id, o.channel) for o in session.execute(select(AlertOutbox)).scalars())
        runs = session.execute(select(CrawlRun).where(CrawlRun.job_id.is_not(None))).scalars().all()
    engine.dispose()
    assert len(versions) == ARTICLES and set(versions.values()) == {1}, "each article once, one version"
    assert len(outbox) == ARTICLES and set(outbox.values()) == {1}
    assert len(hook.delivered) == len(set(hook.delivered))
    abandoned = [r for r in runs if r.outcome == "abandoned"]
    assert len(abandoned) == 1 and abandoned[0].stats["worker"] == "doomed"
    retried = [r for r in runs if r.job_id == abandoned[0].job_id and r.attempt == 2]
    assert retried and retried[0].stats["worker"] == "survivor"
    resumed = [r.at for r in server.requests if r.at > killed_at]
    assert resumed and min(resumed) - killed_at >= 10.0, "the site waited for the lease"


def _abandoned(url: str) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        count = int(session.execute(select(func.count()).select_from(CrawlRun)
                                    .where(CrawlRun.outcome == "abandoned")).scalar_one())
    engine.dispose()
    return count
