"""The job schema and the JSON codec, pure: a payload not valid for its schema is rejected, and a
worker given one (real Redis, a real worker process) logs it and never runs it."""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from newswatch.crawler.items import ArticleTarget, CrawlPlan, SiteTarget
from newswatch.monitor.queue import codec
from newswatch.monitor.queue.errors import JobRejected
from newswatch.monitor.queue.jobs import CrawlJob, jobs_of, read_crawl_job
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import CrawlRun
from tests.crawler.test_run import migrate
from tests.monitor.queue.cluster import Proc, Sites, wait_for, write_config

GOOD = CrawlJob("news.cn", (ArticleTarget("http://news.cn/a.htm", None, '"e"', None),),
                (SiteTarget("新华网", ("http://news.cn/",), ("http://news.cn/rss.xml",)),), ("recheck",))


def envelope(function: str = "crawl_site", args: Any = None) -> dict[str, Any]:
    return {"t": None, "f": function, "a": [GOOD.to_json()] if args is None else args, "k": {}, "et": 1}


def test_a_job_survives_the_codec_unchanged() -> None:
    data = codec.loads(codec.dumps(envelope()))
    assert read_crawl_job(data["a"][0]) == GOOD


def test_a_stored_article_keeps_its_flag_and_older_jobs_without_it_are_read() -> None:
    """``stored`` (a 404 of it is its removal, docs/removal.md) travels with the job; a job enqueued by
    an older scheduler has no such key and is read as not stored."""
    stored = CrawlJob("news.cn", (ArticleTarget("http://news.cn/a.htm", stored=True),), (), ("recheck",))
    assert read_crawl_job(codec.loads(codec.dumps(envelope(args=[stored.to_json()])))["a"][0]) == stored
    assert "stored" not in GOOD.to_json()["articles"][0]


def with_job(**changes: Any) -> dict[str, Any]:
    return envelope(args=[{**GOOD.to_json(), **changes}])


BAD: list[tuple[str, bytes]] = [
    ("not-json", b"\x80\x04 not json"),
    ("pickle", pickle.dumps({"t": 1, "f": "crawl_site", "a": [], "k": {}, "et": 1})),
    ("a-list", b"[1, 2]"),
    ("unknown-function", codec.dumps(envelope("os.system", ["true"]))),
    ("extra-envelope-key", codec.dumps({**envelope(), "x": 1})),
    ("two-arguments", codec.dumps(envelope(args=[GOOD.to_json(), 1]))),
    ("unknown-job-key", codec.dumps(with_job(command="rm -rf /"))),
    ("schema-2", codec.dumps(with_job(schema=2))),
    ("file-url", codec.dumps(with_job(articles=[{"url": "file:///etc/passwd", "discovered_from": None,
                                                  "etag": None, "last_modified": None}]))),
    ("robots-not-bool", codec.dumps(with_job(targets=[{**GOOD.to_json()["targets"][0], "robots": "yes"}]))),
    ("url-too-long", codec.dumps(with_job(articles=[{"url": "http://x/" + "a" * 3000, "discovered_from": None,
                                                      "etag": None, "last_modified": None}]))),
    ("nothing-to-crawl", codec.dumps(with_job(articles=[], targets=[]))),
    ("stored-not-bool", codec.dumps(with_job(articles=[{"url": "http://news.cn/a.htm", "discovered_from": None,
                                                         "etag": None, "last_modified": None, "stored": "yes"}]))),
    ("alerts-with-args", codec.dumps(envelope("deliver_alerts", [1]))),
]


@pytest.mark.parametrize("payload", [p for _, p in BAD], ids=[name for name, _ in BAD])
def test_a_payload_not_valid_for_its_schema_is_rejected(payload: bytes) -> None:
    with pytest.raises(JobRejected):
        codec.loads(payload)


def test_a_plan_becomes_one_job_per_site() -> None:
    plan = CrawlPlan(articles=(ArticleTarget("http://www.a.cn/1"), ArticleTarget("http://b.cn/2"),
                               ArticleTarget("http://a.cn/3")),
                     sites=(SiteTarget("A", ("http://a.cn/",)),))
    jobs = {job.site: job for job in jobs_of(plan, "recheck")}
    assert sorted(jobs) == ["a.cn", "b.cn"]
    assert [a.url for a in jobs["a.cn"].articles] == ["http://www.a.cn/1", "http://a.cn/3"]
    assert jobs["a.cn"].targets == (SiteTarget("A", ("http://a.cn/",)),) and jobs["a.cn"].job_id == "crawl:a.cn"


@pytest.fixture
def site() -> Iterator[Sites]:
    found = Sites.start(1, 1)
    yield found
    found.stop()


def test_a_worker_logs_bad_payloads_never_runs_them_and_runs_the_good_one(
        tmp_path: Path, site: Sites, postgres_url: str, redis_url: str) -> None:
    config = write_config(tmp_path, site, postgres_url, redis_url, hook_port=9)
    migrate(config)
    client = redis.Redis.from_url(redis_url)
    now = int(time.time() * 1000)
    for index, (_, payload) in enumerate(BAD):
        client.psetex(f"arq:job:bad-{index}", 60_000, payload)
        client.zadd("newswatch:queue", {f"bad-{index}": now + index})
    good = CrawlJob(site.servers[0].host, (), (SiteTarget("站点1", (site.servers[0].url("/"),)),), ("test",))
    client.psetex("arq:job:crawl:good", 60_000, codec.dumps(envelope(args=[good.to_json()])))
    client.zadd("newswatch:queue", {"crawl:good": now + len(BAD)})
    worker = Proc.start(config, "worker", "--name", "w")
    try:
        wait_for("the good job run", lambda: _runs(postgres_url) == 1 and client.zcard("newswatch:queue") == 0,
                 60, (worker,))
    finally:
        assert worker.stop() == 0, worker.log()[-3000:]
        client.close()
    log = worker.log()
    assert log.count("[newswatch.queue] ERROR: job rejected") == len(BAD), log[-3000:]
    assert {r.path for r in site.servers[0].requests} <= {"/", "/robots.txt", "/2025/03/10/news-0.html"}


def _runs(url: str) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        count = len(session.execute(select(CrawlRun).where(CrawlRun.outcome != "running")).scalars().all())
    engine.dispose()
    return count


def test_the_codec_writes_json() -> None:
    assert json.loads(codec.dumps(envelope()))["f"] == "crawl_site"
