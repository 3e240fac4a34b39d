"""The daemon as a user runs it: a process on a replayed site with fast schedules.

Checks: scheduled crawls ran, crawls of one source never overlap, the source interval backs off when
nothing is new, /healthz and /metrics answer, SIGTERM exits 0 with the outbox flushed.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from storage.engine import make_engine, session_factory
from storage.models import AlertOutbox, CrawlRun, Source
from tests.conftest import ROOT
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.crawler.test_run import newswatch
from tests.monitor.receiver import Receiver, free_port

FAST = """feeds_minutes = 0.02
feeds_min_minutes = 0.01
feeds_max_minutes = 0.1
recheck_minutes = 0.05
alerts_seconds = 0.5
jitter_seconds = 0.0
restart_spread_minutes = 0.0
[daemon]
metrics_port = {metrics}
shutdown_seconds = 15.0
[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:{hook}/in"
secret_env = "HOOK_SECRET"
"""


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_daemon_schedules_backs_off_serves_metrics_and_stops_cleanly(tmp_path: Path) -> None:
    metrics, hook = free_port(), free_port()
    config = write_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    config.write_text(config.read_text(encoding="utf-8") + FAST.format(metrics=metrics, hook=hook), encoding="utf-8")
    assert newswatch(config, "db", "upgrade").returncode == 0
    receiver = Receiver(["200"]).start(hook)
    code = "import sys; from monitor.cli.main import main; sys.argv[0] = 'newswatch'; main()"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOOK_SECRET": "k"}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    daemon = subprocess.Popen([sys.executable, "-W", "error", "-c", code, "--config", str(config), "daemon",
                               "--replay", str(CASSETTE)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                health = get(f"http://127.0.0.1:{metrics}/healthz")
            except OSError:
                continue
            if json.loads(health[1])["crawls"] >= 6:
                break
        assert health is not None and health[0] == 200, "no /healthz"
        status, text = get(f"http://127.0.0.1:{metrics}/metrics")
        assert status == 200 and "newswatch_crawls_total" in text and "newswatch_articles_new_total 5" in text
        assert "newswatch_outbox_pending" in text
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
        receiver.stop()
    assert daemon.returncode == 0, err[-3000:]
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        runs = session.execute(select(CrawlRun).where(CrawlRun.kind == "source:测试新闻")
                               .order_by(CrawlRun.started_at)).scalars().all()
        interval = session.execute(select(Source.interval_seconds)).scalar_one()
        states = set(session.execute(select(AlertOutbox.state)).scalars())
    engine.dispose()
    assert len(runs) >= 3, "the source job ran on its schedule"
    for before, after in itertools.pairwise(runs):
        assert before.finished_at is not None and after.started_at >= before.finished_at, "no overlap"
    assert interval > round(0.02 * 60), "the interval backed off after crawls with nothing new"
    assert states == {"sent"}, "SIGTERM flushed the outbox"
    assert len(receiver.unique) == 5 and len(receiver.delivered) == 5
