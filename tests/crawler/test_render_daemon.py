"""A ``render = "browser"`` source through ``newswatch daemon``: the daemon's source job renders the
loopback site's script-built articles (``tests/crawler/render_site.py``) and stores them; SIGTERM (the crawl may
still be rendering: the page that never settles) exits 0, with no traceback (a job still waiting for the
crawl slot is dropped quietly; a crawl in flight is stopped and recorded, not cancelled by the scheduler),
and leaves no browser process behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import select

from storage.engine import make_engine, session_factory
from storage.models import Article, CrawlRun, Version
from tests.crawler.render_site import ARTICLES, build_render_site, expected_sentences, url_of, write_render_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_render import _tagged
from tests.crawler.test_run import newswatch
from tests.monitor.daemon_process import running_daemon, stop_daemon

DAEMON = """jitter_seconds = 0.0
restart_spread_minutes = 0.0
[daemon]
metrics_port = 0
shutdown_seconds = 15.0
"""


def _bodies(url: str) -> dict[str, tuple[str, object]]:
    """Stored article name -> (body, the version's ``rendered``)."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = session.execute(select(Article.canonical_url, Version.body, Version.meta)
                               .join(Version, Version.article_id == Article.id)).all()
    engine.dispose()
    return {u.rsplit("/", 1)[-1].removesuffix(".html"): (body, (meta or {}).get("rendered")) for u, body, meta in rows}


def _open_runs(url: str) -> list[str]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        kinds = list(session.execute(select(CrawlRun.kind).where(CrawlRun.finished_at.is_(None))).scalars())
    engine.dispose()
    return kinds


def test_the_daemon_renders_stores_and_stops_leaving_no_browser(tmp_path: Path) -> None:
    tag = f"NEWSWATCH_RENDER_TEST_TAG={os.getpid()}-{time.monotonic_ns()}"
    with SiteServer() as server:
        build_render_site(server)
        config = write_render_workspace(tmp_path, server.base_url)
        config.write_text(config.read_text(encoding="utf-8") + DAEMON, encoding="utf-8")
        assert newswatch(config, "db", "upgrade").returncode == 0
        url = f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}"
        name, value = tag.split("=", 1)
        with running_daemon(config, [], tmp_path, env={name: value}) as daemon:
            deadline = time.monotonic() + 90
            stored = _bodies(url)
            while set(stored) != set(ARTICLES) and time.monotonic() < deadline and daemon.poll() is None:
                time.sleep(0.3)
                stored = _bodies(url)
            assert len(_tagged(tag)) > 2, "the daemon, playwright's driver and the browser"
            err = stop_daemon(daemon)
        assert daemon.returncode == 0, err[-3000:]
        assert server.hits(url_of("script")) == 1, "one GET: the browser is served the plain 200 held"
    assert "Traceback" not in err, err[-3000:]
    assert set(stored) == set(ARTICLES), err[-3000:]
    assert _open_runs(url) == [], "a crawl in flight at SIGTERM is closed and recorded, not cancelled"
    body, rendered = stored["script"]
    assert rendered == "browser"
    assert all(sentence in body for sentence in expected_sentences())
    deadline = time.monotonic() + 3
    while _tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged(tag) == [], "no browser process outlives the daemon"
