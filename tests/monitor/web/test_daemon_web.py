"""The daemon serves the web view on its port while it crawls: a daemon over the replayed three-moment
workspace (re-checking every article every few seconds from the moment-3 cassette) is scraped, pages,
feeds, API and /metrics, during its crawls; crawls go on while pages are served; with
``--log-format json`` every log line is one JSON object, and the daemon's own lines survive every crawl."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import CrawlRun
from tests.monitor.daemon_process import running_daemon, stop_daemon
from tests.monitor.moments_site import NEW_HEADLINE
from tests.monitor.receiver import free_port
from tests.monitor.record_moments import cassette
from tests.monitor.web.conftest import Moments
from tests.monitor.web.server import fetch

FAST = """[schedule]
articles = ["3650d=0s"]
feeds_minutes = 0.05
feeds_min_minutes = 0.02
recheck_minutes = 0.03
jitter_seconds = 0.0
restart_spread_minutes = 0.0
[daemon]
metrics_port = {port}
shutdown_seconds = 15.0
"""


def workspace(moments: Moments, folder: Path, port: int) -> Path:
    """A copy of the moments workspace (its database copied with SQLite's backup) with fast schedules."""
    (folder / "data").mkdir(parents=True)
    (folder / "seeds").mkdir()
    for seed in (moments.folder / "seeds").iterdir():
        (folder / "seeds" / seed.name).write_bytes(seed.read_bytes())
    source = sqlite3.connect(moments.folder / "data" / "newswatch.db")
    target = sqlite3.connect(folder / "data" / "newswatch.db")
    with target:
        source.backup(target)
    source.close()
    target.close()
    text = moments.config.read_text(encoding="utf-8").replace('[schedule]\narticles = ["3650d=0s"]\n', "")
    config = folder / "newswatch.toml"
    config.write_text(text + FAST.format(port=port), encoding="utf-8")
    return config


def crawls(base: str) -> int:
    status, _headers, body = fetch(base + "/healthz")
    assert status == 200
    return int(json.loads(body)["crawls"])


@pytest.mark.timeout(600)
def test_daemon_serves_the_view_while_crawling(moments: Moments, tmp_path: Path) -> None:
    port = free_port()
    config = workspace(moments, tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    a = moments.ids["a"]
    pages = {"/": NEW_HEADLINE, f"/articles/{a}": "Versions", f"/articles/{a}/changes/2": "Side by side",
             "/feeds/changes.atom": "urn:newswatch:event:", "/api/changes": '"total":3', "/sources": "测试新闻",
             "/metrics": "newswatch_crawls_total"}
    served, first, last, start, end = 0, 0.0, 0.0, 0, 0
    with running_daemon(config, ["--replay", str(cassette(3)), "--log-format", "json"], tmp_path) as daemon:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            time.sleep(0.3)
            try:
                start = crawls(base)
                break
            except OSError:
                continue
        first = time.time()
        # four crawls finished after the first read: at least three of them started after it too
        while time.monotonic() < deadline and (end - start < 4 or served < 30):
            for path, expected in pages.items():
                status, _headers, body = fetch(base + path)
                assert status == 200 and expected in body.decode("utf-8"), (path, status, body[:300])
                served += 1
            end = crawls(base)
        last = time.time()
        err = stop_daemon(daemon)
    assert daemon.returncode == 0, err[-3000:]
    assert end - start >= 3, f"crawls went on while {served} pages were served ({start} -> {end})"
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        runs = session.execute(select(CrawlRun).where(CrawlRun.started_at > moments_end(moments))).scalars().all()
    engine.dispose()
    # crawls that ran from start to end while pages were being served (SIGTERM may cut the last one short)
    during = [r for r in runs if r.finished_at and first <= r.started_at.timestamp() < r.finished_at.timestamp()
              <= last]
    assert len(during) >= 3 and {r.outcome for r in during} == {"ok"}, [(r.kind, r.outcome, r.error) for r in runs]
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # every line is one JSON object
    own = [e for e in lines if e["logger"] == "newswatch.daemon" and " crawl: " in e["message"]]
    assert len(own) == len(runs) >= 3, "the daemon's INFO line for every crawl, after the first crawl too"
    assert all(e["level"] == "INFO" and e["time"] for e in own)
    # the figures are fields of the line, not a dict's repr in the message
    assert all(e["outcome"] == "ok" and isinstance(e["fetched"], int) and e["failed_by_kind"] == {} for e in own)


def moments_end(moments: Moments) -> object:
    engine = make_engine(moments.database)
    with session_factory(engine)() as session:
        latest = max(r.started_at for r in session.execute(select(CrawlRun)).scalars())
    engine.dispose()
    return latest
