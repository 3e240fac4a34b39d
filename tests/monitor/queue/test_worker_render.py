"""A queue worker crawling a ``render = "browser"`` source is stopped (SIGTERM) while its browser renders a
page that never settles: it exits 0 within its shutdown time, its crawl's open page is closed and the crawl
stopped, and no browser process (playwright's driver, Chromium) outlives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.crawler.fetch.test_render import _tagged
from tests.crawler.render_site import NEVER, build_render_site, url_of
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import migrate
from tests.monitor.queue.cluster import CODE, Proc, environment, wait_for


def _workspace(folder: Path, base_url: str, database_url: str, redis_url: str) -> Path:
    """One render source whose only page never settles; a render timeout far past the worker's stop."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "sources.toml").write_text(
        f'[[source]]\nname = "渲染慢页"\npages = ["{base_url}{url_of(NEVER)}"]\nrender = "browser"\n', encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text(
        f'[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
        f'database_url = "{database_url}"\n'
        '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\nrender_timeout = 40.0\nretries = 0\n'
        'closespider_timeout = 50\n'
        '[schedule]\narticles = ["3650d=0s"]\njitter_seconds = 0.0\nrestart_spread_minutes = 0.0\n'
        '[daemon]\nmetrics_port = 0\nshutdown_seconds = 1.0\n[web]\nin_daemon = false\n'
        f'[queue]\nredis_url = "{redis_url}"\njob_timeout_seconds = 60.0\nheartbeat_seconds = 0.5\n'
        'dispatch_seconds = 0.5\nworker_concurrency = 1\n', encoding="utf-8")
    return config


def test_a_stopped_worker_closes_its_browser(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    tag = f"NEWSWATCH_RENDER_TEST_TAG={os.getpid()}-{time.monotonic_ns()}"
    name, value = tag.split("=", 1)
    with SiteServer() as server:
        build_render_site(server)
        config = _workspace(tmp_path, server.base_url, postgres_url, redis_url)
        migrate(config)
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-W", "error", "-c", CODE, "--config", str(config), "worker"],
                                  stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
                                  env={**environment(), name: value})
        log.close()
        scheduler = Proc.start(config, "daemon", "--role", "scheduler")
        try:
            wait_for("the page that never settles open in the browser", lambda: server.hits("/api/poll") > 0, 90,
                     (scheduler,))
            assert len(_tagged(tag)) > 2, "the worker, playwright's driver and the browser"
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
            assert scheduler.stop() == 0, scheduler.log()[-3000:]
    text = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    deadline = time.monotonic() + 3
    while _tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged(tag) == [], "no browser process outlives the worker"
