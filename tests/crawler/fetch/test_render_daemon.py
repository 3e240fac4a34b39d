"""A ``render = "browser"`` source through ``newswatch daemon``: the daemon's source job renders the
loopback site's script-built articles (``tests/crawler/render_site.py``) and stores them; SIGTERM, while the crawl
is still rendering the page that never settles, exits 0, with no traceback (a job still waiting for the
crawl slot is dropped quietly; a crawl in flight is stopped and recorded, not cancelled by the scheduler),
and leaves no browser process behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, CrawlRun, Version
from tests.crawler.fetch.test_render import _tagged
from tests.crawler.render_site import ARTICLES, build_render_site, expected_sentences, url_of, write_render_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import newswatch
from tests.monitor.daemon_process import running_daemon, stop_daemon

DAEMON = """jitter_seconds = 0.0
restart_spread_minutes = 0.0
[daemon]
metrics_port = 0
shutdown_seconds = 15.0
"""


def _two_sources(path: Path, base_url: str) -> None:
    """The articles' source first (its crawl ends, they are stored), then one whose only page never
    settles (its crawl is in flight at SIGTERM); the daemon's crawls take turns in registry order."""
    never = path.read_text(encoding="utf-8").split("pages = ")[1].split("\n")[0]
    path.write_text(f'[[source]]\nname = "渲染新闻"\nsite = "{base_url}/"\nrender = "browser"\n\n'
                    f'[[source]]\nname = "渲染慢页"\npages = {never}\nrender = "browser"\n', encoding="utf-8")


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
        text = config.read_text(encoding="utf-8").replace("render_timeout = 3.0", "render_timeout = 60.0")
        config.write_text(text + DAEMON, encoding="utf-8")  # the page that never settles is open at SIGTERM
        _two_sources(tmp_path / "seeds" / "sources.toml", server.base_url)
        assert newswatch(config, "db", "upgrade").returncode == 0
        url = f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}"
        name, value = tag.split("=", 1)
        with running_daemon(config, [], tmp_path, env={name: value}) as daemon:
            deadline = time.monotonic() + 90
            stored, polls = _bodies(url), 0
            while (set(stored) != set(ARTICLES) or server.hits("/api/poll") <= polls) \
                    and time.monotonic() < deadline and daemon.poll() is None:
                polls = server.hits("/api/poll") if set(stored) == set(ARTICLES) else 0
                time.sleep(0.3)
                stored = _bodies(url)
            assert server.hits("/api/poll") > polls, "the page that never settles is open in the browser"
            assert len(_tagged(tag)) > 2, "the daemon, playwright's driver and the browser"
            err = stop_daemon(daemon)
        assert daemon.returncode == 0, err[-3000:]
        assert server.hits(url_of("script")) == 1, "one GET: the browser is served the plain 200 held"
    assert "Traceback" not in err, err[-3000:]
    assert set(stored) == set(ARTICLES), err[-3000:]
    assert _open_runs(url) == [], err[-3000:]
    body, rendered = stored["script"]
    assert rendered == "browser"
    assert all(sentence in body for sentence in expected_sentences())
    deadline = time.monotonic() + 3
    while _tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged(tag) == [], "no browser process outlives the daemon"
