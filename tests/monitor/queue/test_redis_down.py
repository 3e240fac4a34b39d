"""Redis down at start: the roles say so in one line and exit 2. Redis lost mid-run (a private
``redis-server`` killed): the worker and scheduler say so, keep running, write nothing half-done, and
pick the work up again when it is back (PostgreSQL still says what is due)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertEvent, AlertOutbox, Article, Change, CrawlRun, Version
from tests.crawler.test_run import migrate
from tests.monitor.queue.cluster import Proc, Sites, newswatch, stop_all, wait_for, write_config
from tests.monitor.receiver import Receiver, free_port

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def sites() -> Iterator[Sites]:
    found = Sites.start(2, 2)
    yield found
    found.stop()


@pytest.mark.parametrize("role", [("worker",), ("daemon", "--role", "scheduler")], ids=["worker", "scheduler"])
def test_redis_down_at_start_is_one_line_and_exit_2(tmp_path: Path, sites: Sites, postgres_url: str,
                                                     role: tuple[str, ...]) -> None:
    config = write_config(tmp_path, sites, postgres_url, f"redis://127.0.0.1:{free_port()}/0", hook_port=9)
    migrate(config)
    result = newswatch(config, *role, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newswatch: error: queue.redis_url: Redis unreachable at"), \
        result.stderr
    assert sum(s.hits() for s in sites.servers) == 0


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_for("redis-server up", lambda: _pings(client), 20)
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.fail("redis-server is not on PATH (CI installs it beside the Redis service)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def figures(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        found = tuple(int(session.execute(select(func.count()).select_from(m)).scalar_one()) for m in (Article, Change))
    engine.dispose()
    return found  # type: ignore[return-value]


def test_redis_lost_mid_run_then_back(tmp_path: Path, sites: Sites, postgres_url: str,
                                      private_redis: PrivateRedis) -> None:
    hook = Receiver(["200"]).start(free_port())
    assert hook.server is not None
    config = write_config(tmp_path, sites, postgres_url, f"redis://127.0.0.1:{private_redis.port}/0",
                          hook.server.server_address[1])
    migrate(config)
    procs = (Proc.start(config, "worker", "--name", "w1"), Proc.start(config, "daemon", "--role", "scheduler"))
    try:
        wait_for("every article stored", lambda: figures(postgres_url)[0] == 4, 90, procs)
        private_redis.kill()
        edited = sites.edit(0, 1, edition=2)
        time.sleep(4)
        assert figures(postgres_url)[1] == 0, "no crawl without the queue"
        wait_for("both said Redis is gone", lambda: all(("Redis" in p.log() and "unreachable" in p.log().lower())
                                                       or "Redis lost" in p.log() for p in procs), 30, procs)
        private_redis.start()
        wait_for("the edit found after Redis came back", lambda: figures(postgres_url)[1] == 1, 90, procs)
    finally:
        codes = stop_all(procs)
        hook.stop()
    assert codes == [0, 0], "\n".join(p.log()[-3000:] for p in procs)
    assert "Redis lost" in procs[0].log() and "Redis reachable again" in procs[0].log()
    engine = make_engine(postgres_url)
    with session_factory(engine)() as session:
        versions = Counter(v.article_id for v in session.execute(select(Version)).scalars())
        url_of = {a.id: a.canonical_url for a in session.execute(select(Article)).scalars()}
        events = Counter(e.event_id for e in session.execute(select(AlertEvent)).scalars())
        outbox = Counter(o.event_id for o in session.execute(select(AlertOutbox)).scalars())
        running = session.execute(select(CrawlRun).where(CrawlRun.outcome == "running")).scalars().all()
    engine.dispose()
    assert {url_of[a]: n for a, n in versions.items()} == {u: 2 if u == edited else 1 for u in url_of.values()}
    assert len(events) == 5, "every event recorded once"  # the last may wait for the next delivery pass
    assert set(outbox.values()) == {1} and set(outbox) <= set(events), "none routed twice"
    assert running == [], "every run finished"
