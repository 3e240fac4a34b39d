"""Scheduler + two workers as real processes over three loopback sites (127.0.0.1/.2/.3), real Redis and
PostgreSQL: every article stored once, the one edit found once, the one article taken down (410) removed
once, every event delivered once by id, and
the requests of each site all inside one crawl at a time (from the sites' request logs and the runs)."""

from __future__ import annotations

import itertools
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertOutbox, Article, Change, CrawlRun, Removal, Version
from tests.crawler.test_run import migrate
from tests.monitor.queue.cluster import Proc, Sites, newswatch, stop_all, wait_for, write_config
from tests.monitor.receiver import Receiver, free_port

SITES, ARTICLES = 3, 3


@pytest.fixture
def sites() -> Iterator[Sites]:
    found = Sites.start(SITES, ARTICLES)
    yield found
    found.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver(["200"]).start(free_port())
    yield hook
    hook.stop()


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


def counts(url: str) -> tuple[int, int, int, int]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        found = tuple(int(session.execute(select(func.count()).select_from(model)).scalar_one())
                      for model in (Article, Version, Change, Removal))
    engine.dispose()
    return found  # type: ignore[return-value]


def outbox_settled(url: str) -> bool:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        pending = session.execute(select(func.count()).select_from(AlertOutbox)
                                  .where(AlertOutbox.state != "sent")).scalar_one()
        total = session.execute(select(func.count()).select_from(AlertOutbox)).scalar_one()
    engine.dispose()
    return total > 0 and pending == 0


def test_scheduler_and_two_workers_store_find_and_deliver_everything_once(
        tmp_path: Path, sites: Sites, receiver: Receiver, postgres_url: str, redis_url: str) -> None:
    assert receiver.server is not None
    metrics = free_port()
    config = write_config(tmp_path, sites, postgres_url, redis_url, receiver.server.server_address[1],
                          metrics_port=metrics)
    migrate(config)
    procs = (Proc.start(config, "worker", "--name", "w1"), Proc.start(config, "worker", "--name", "w2"),
             Proc.start(config, "daemon", "--role", "scheduler"))
    try:
        wait_for("every article stored", lambda: counts(postgres_url)[0] == SITES * ARTICLES, 120, procs)
        edited = sites.edit(1, 2, edition=2)
        wait_for("the edit found", lambda: counts(postgres_url)[2] == 1, 90, procs)
        gone = sites.take_down(2, 0)
        wait_for("the removal recorded", lambda: counts(postgres_url)[3] == 1, 90, procs)
        wait_for("every alert delivered", lambda: outbox_settled(postgres_url), 60, procs)
        status = newswatch(config, "status")
        wait_for("both workers in /metrics", lambda: all(f'worker="{w}"' in scrape(metrics) for w in ("w1", "w2")),
                 30, procs)
        exposed = scrape(metrics)
    finally:
        codes = stop_all(procs)
    logs = "\n".join(p.log() for p in procs)
    assert codes == [0, 0, 0], logs[-4000:]
    engine = make_engine(postgres_url)
    with session_factory(engine)() as session:
        articles = {a.canonical_url: a.id for a in session.execute(select(Article)).scalars()}
        versions = Counter(v.article_id for v in session.execute(select(Version)).scalars())
        changes = session.execute(select(Change)).scalars().all()
        removals = [(r.article_id, r.kind, r.http_status) for r in session.execute(select(Removal)).scalars()]
        outbox = session.execute(select(AlertOutbox)).scalars().all()
        runs = session.execute(select(CrawlRun).where(CrawlRun.job_id.is_not(None))).scalars().all()
    engine.dispose()
    expected = {s.url(p) for s in sites.servers for p in (f"/2025/03/{10 + n:02d}/news-{n}.html"
                                                          for n in range(ARTICLES))}
    assert set(articles) == expected
    assert versions == Counter({aid: 2 if url == edited else 1 for url, aid in articles.items()})
    assert [c.article_id for c in changes] == [articles[edited]]
    assert removals == [(articles[gone], "gone", 410)]
    events = Counter((row.event_id, row.channel) for row in outbox)
    assert all(n == 1 for n in events.values())
    assert Counter(row.payload["type"] for row in outbox) == {"article.new": SITES * ARTICLES, "article.changed": 1,
                                                         "article.removed": 1}
    assert sorted(receiver.delivered) == sorted(row.event_id for row in outbox), "each delivered once by id"
    assert {r.stats["worker"] for r in runs} == {"w1", "w2"}, procs[0].log()[-3000:]
    assert_one_crawl_per_site_at_a_time(sites, runs)
    for family in ("newswatch_queue_jobs_queued", "newswatch_queue_jobs_in_progress",
                   "newswatch_worker_last_beat_seconds"):
        assert f"# HELP {family} " in exposed
    assert "queue " in status.stdout and "worker w1" in status.stdout and "worker w2" in status.stdout


def assert_one_crawl_per_site_at_a_time(sites: Sites, runs: Sequence[CrawlRun]) -> None:
    """Per site: its runs never overlap, and every request the site saw falls inside one of them."""
    for server in sites.servers:
        site = server.host
        windows = sorted((r.started_at.timestamp(), r.finished_at.timestamp())
                         for r in runs if r.stats.get("site") == site and r.finished_at is not None)
        assert windows, f"{site}: crawled"
        assert all(end <= later for (_, end), (later, _) in itertools.pairwise(windows)), \
            f"{site}: two crawls at once {windows}"
        for request in server.requests:
            assert any(start - 0.5 <= request.at <= end + 0.5 for start, end in windows), \
                f"{site}: {request.target} at {request.at} outside every crawl"
