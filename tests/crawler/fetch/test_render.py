"""Pages that need a browser (``render = "browser"``): ``newswatch run`` against a loopback site whose
articles only exist once the page's script ran (``tests/crawler/render_site.py``), in headless Chromium.

One workspace for the module: the first run renders and stores, the second re-checks (a 304 starts no
render). The site is ``render.test``, a name only the crawl's own DNS server answers: Chromium (whose
resolver is switched off anyway) could not load a script, an XHR or the page itself; the crawl made them.
Each run is a child process (the reactor cannot restart inside pytest), warnings as errors.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, CrawlRun, Version
from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.crawler.dns_server import RebindingDNS
from tests.crawler.render_site import (
    ARTICLES,
    BLOCKED,
    DELAY,
    NEVER,
    PARTS,
    PRIVATE_TARGET,
    build_render_site,
    expected_sentences,
    paragraphs,
    url_of,
    write_render_workspace,
)
from tests.crawler.site_server import SeenRequest, SiteServer
from tests.crawler.test_run import figures, newswatch

NAME = "render.test"  # the site's name in the run fixture, answered by the crawl's own DNS server


@dataclass(frozen=True)
class Runs:
    folder: Path
    base: str
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    hits_first: dict[str, int]  # path -> requests during the first run
    hits_second: dict[str, int]
    server_requests: list[SeenRequest]  # the first run's


def _hits(server: SiteServer, since: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in server.requests[since:]:
        counts[request.path] = counts.get(request.path, 0) + 1
    return counts


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    folder = tmp_path_factory.mktemp("render")
    with RebindingDNS(["127.0.0.1"]) as dns, SiteServer() as server:
        build_render_site(server)
        base = f"http://{NAME}:{server.port}"  # only the crawl's DNS server knows the name: not Chromium
        config = write_render_workspace(folder, base, dns.address)
        assert newswatch(config, "db", "upgrade").returncode == 0
        first = newswatch(config, "run")
        middle = len(server.requests)
        second = newswatch(config, "run")
        yield Runs(folder, base, first, second, _first_hits(server, middle), _hits(server, middle),
                   list(server.requests[:middle]))


def _first_hits(server: SiteServer, until: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in server.requests[:until]:
        counts[request.path] = counts.get(request.path, 0) + 1
    return counts


def _stored(folder: Path) -> tuple[dict[str, Version], list[dict[str, Any]]]:
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        urls = {a.id: a.canonical_url for a in session.execute(select(Article)).scalars()}
        versions = {urls[v.article_id]: v for v in session.execute(select(Version)).scalars()}
        stats = [dict(r.stats or {}) for r in session.execute(select(CrawlRun).order_by(CrawlRun.id)).scalars()]
        session.expunge_all()
    engine.dispose()
    return versions, stats


def test_script_and_xhr_articles_are_rendered_and_stored(runs: Runs) -> None:
    assert runs.first.returncode == 1, runs.first.stderr[-3000:]  # partial: the page that never settles
    versions, _stats = _stored(runs.folder)
    stored = {url.rsplit("/", 1)[-1].removesuffix(".html") for url in versions}
    assert stored == set(ARTICLES), runs.first.stdout + runs.first.stderr[-3000:]
    for version in versions.values():
        assert all(sentence in version.body for sentence in expected_sentences()), version.body[:300]
        assert version.meta.get("rendered") == "browser"
    assert figures(runs.first.stdout)["new"] == len(ARTICLES)
    corpus = sorted((runs.folder / "data" / "corpus").glob("*.txt"))
    assert len(corpus) == len(ARTICLES)
    assert paragraphs()[0] in corpus[0].read_text(encoding="utf-8")


def test_the_xhr_was_made_by_the_browser_and_images_were_not(runs: Runs) -> None:
    assert runs.hits_first.get("/api/121210.json") == 1
    assert runs.hits_first.get(url_of("script")) == 1, "one GET: the browser is served the plain 200 held"
    assert runs.hits_first.get(url_of("xhr")) == 1
    _versions, stats = _stored(runs.folder)
    assert stats[0]["newswatch/render/documents_reused"] == stats[0]["newswatch/render/requested"]
    assert "/img/121210.jpg" not in runs.hits_first
    assert stats[0].get("newswatch/render/skipped_resources", 0) >= 4


def test_a_script_reaching_a_private_address_is_refused_and_counted(runs: Runs) -> None:
    _versions, stats = _stored(runs.folder)
    assert stats[0].get("newswatch/render/refused/private_address") == 1
    assert stats[0].get("newswatch/refused/private_address") == 1
    assert PRIVATE_TARGET not in runs.first.stdout


def test_the_browser_requests_are_fetched_by_the_crawl_under_robots(runs: Runs) -> None:
    """Chromium opens no connection: the XHR and the poller's requests were fetched by the crawl's
    downloader (counted), and the one robots.txt disallows was never made."""
    _versions, stats = _stored(runs.folder)
    fetched = stats[0].get("newswatch/render/subrequests/fetched", 0)
    parts = sum(runs.hits_first.get(part, 0) for part in PARTS)
    assert fetched == runs.hits_first["/api/121210.json"] + parts + runs.hits_first.get("/api/poll", 0)
    assert stats[0].get("newswatch/render/refused/robots") == 1
    assert BLOCKED not in runs.hits_first


def test_the_browser_requests_keep_the_site_politeness(runs: Runs) -> None:
    """The xhr page asks for four JSON files at once; the site (``concurrency_per_domain = 1``,
    ``download_delay`` DELAY, jittered ±50 %) is asked for them one after another, spaced by its delay (the
    mean gap is asserted: arrival times on a loaded machine bunch). The
    page that never settles polls every 100 ms: its polls are spaced alike, and none is made once its page
    has closed (dropped, counted)."""
    for paths in (("/api/121210.json", *PARTS), ("/api/poll",)):
        times = sorted(r.at for r in runs.server_requests if r.path in paths)
        assert len(times) >= len(paths) and len(times) >= 3, times
        gaps = [later - earlier for earlier, later in pairwise(times)]
        # on average (a loaded machine may record two arrivals closer than they were sent); before: all at once
        assert sum(gaps) / len(gaps) >= DELAY * 0.5 * 0.9, gaps
    _versions, stats = _stored(runs.folder)
    assert stats[0].get("newswatch/render/subrequests/dropped", 0) >= 1


def test_a_page_that_never_settles_is_one_render_timeout_error(runs: Runs) -> None:
    errors = [line.strip() for line in runs.first.stdout.splitlines() if line.strip().startswith("error ")]
    assert errors == [f"error render_timeout: {runs.base}{url_of(NEVER)} ({runs.base}{url_of(NEVER)}: the page did "
                      "not settle within 3 s)"]
    assert "Traceback" not in runs.first.stderr, runs.first.stderr[-6000:]
    assert "Task was destroyed" not in runs.first.stderr, "every browser request answered or ended at close"


def test_a_page_rendering_holds_none_of_the_site_slot() -> None:
    """The plain 200 of a render site's page came through the site's download slot; the request that renders
    it waits in a slot of its own (the browser asks the site nothing for it: the document is held), so a page
    that never settles does not hold the site's slot, and its seconds are not the site's latency."""
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from newswatch.crawler.fetch.render import DOCUMENT, PAGE_SLOT, RenderMiddleware

    stats = get_crawler().stats
    assert stats is not None
    middleware = RenderMiddleware(["a.example"], 3.0, stats)
    plain = Request("https://a.example/p.html", meta={"nw_kind": "article", "download_slot": "a.example"},
                    headers={"If-None-Match": '"x"'})
    rendered = middleware.process_response(plain, HtmlResponse(plain.url, body=b"<html></html>", request=plain))
    assert isinstance(rendered, Request) and rendered.meta["playwright"] and DOCUMENT in rendered.meta
    assert rendered.meta["download_slot"] == PAGE_SLOT and rendered.meta["autothrottle_dont_adjust_delay"]
    assert b"If-None-Match" not in rendered.headers
    assert rendered.meta["playwright_page_goto_kwargs"]["timeout"] == 3000


def test_a_304_is_answered_without_the_browser(runs: Runs) -> None:
    assert runs.hits_second.get(url_of("script")) == 1, "the conditional GET only"
    assert figures(runs.second.stdout)["unchanged"] >= 1
    _versions, stats = _stored(runs.folder)
    assert stats[1].get("newswatch/fetched/not_modified") == 1
    assert stats[1]["newswatch/render/requested"] == stats[0]["newswatch/render/requested"] - 1


def test_one_browser_for_the_crawl(runs: Runs) -> None:
    _versions, stats = _stored(runs.folder)
    assert [s.get("playwright/browser_count") for s in stats] == [1, 1]
    assert all(s.get("playwright/page_count/max_concurrent", 0) <= 4 for s in stats)


def test_the_driver_starts_with_the_first_rendered_page_only(runs: Runs, tmp_path: Path) -> None:
    """A crawl with a render source starts playwright's driver (~150 MiB) only when a page is rendered:
    here the source's one page answers 404, nothing is rendered, no driver, no browser."""
    _versions, stats = _stored(runs.folder)
    assert [s.get("newswatch/render/driver_started") for s in stats] == [1, 1]
    with SiteServer() as server:
        write_render_workspace(tmp_path, server.base_url)
        config = tmp_path / "newswatch.toml"
        assert newswatch(config, "db", "upgrade").returncode == 0
        run = newswatch(config, "run")
    assert run.returncode == 1 and "error " in run.stdout, run.stdout + run.stderr[-3000:]
    _versions, quiet = _stored(tmp_path)
    assert "newswatch/render/driver_started" not in quiet[0] and "playwright/browser_count" not in quiet[0]


def test_a_page_whose_script_never_yields_is_one_render_timeout_error(tmp_path: Path) -> None:
    """The network settles but the page's script then loops for ever: the DOM can never be read. The whole
    render is bounded (``crawl.render_timeout`` + 5 s): one ``error render_timeout`` line, the crawl ends."""
    from tests.crawler.render_site import shell

    with SiteServer() as server:
        busy = "/2012/12/10/busy.html"
        html = {"Content-Type": "text/html; charset=utf-8"}
        server.add(busy, body=shell("window.addEventListener('load', function () { for (;;) {} });"), headers=html)
        server.add("/", body=b"<!doctype html><html><body><p>\xe9\xa6\x96\xe9\xa1\xb5</p></body></html>", headers=html)
        config = write_render_workspace(tmp_path, server.base_url)
        sources = tmp_path / "seeds" / "sources.toml"
        sources.write_text(sources.read_text(encoding="utf-8").replace(url_of(NEVER), busy), encoding="utf-8")
        config.write_text(config.read_text(encoding="utf-8").replace("render_timeout = 3.0", "render_timeout = 2.0"),
                          encoding="utf-8")
        assert newswatch(config, "db", "upgrade").returncode == 0
        run = newswatch(config, "run")
    errors = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("error ")]
    assert errors == [f"error render_timeout: {server.base_url}{busy} ({server.base_url}{busy}: the page did not "
                      "settle within 2 s)"], run.stdout + run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    _versions, stats = _stored(tmp_path)
    assert stats[0].get("newswatch/render/timeouts/render") == 1, "the whole render's bound, not the navigation's"


def _tagged(tag: str) -> list[int]:
    """Processes whose environment carries ``tag`` (the run's children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_killed_run_leaves_no_browser(tmp_path: Path) -> None:
    tag = f"NEWSWATCH_RENDER_TEST_TAG={os.getpid()}-{time.monotonic_ns()}"
    with SiteServer() as server:
        build_render_site(server)
        config = write_render_workspace(tmp_path, server.base_url)
        assert newswatch(config, "db", "upgrade").returncode == 0
        code = NEWSWATCH_CLI
        env = {**os.environ, "PYTHONPATH": str(ROOT), tag.split("=")[0]: tag.split("=")[1]}
        env.pop("NEWSWATCH_DATABASE_URL", None)
        run = subprocess.Popen([sys.executable, "-c", code, "--config", str(config), "run"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not server.hits("/api/poll") and time.monotonic() < deadline:  # the browser is rendering
                time.sleep(0.1)
            assert server.hits("/api/poll"), "the browser never rendered"
            assert len(_tagged(tag)) > 2, "the run, the driver and the browser"
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=10)
            deadline = time.monotonic() + 10
            while _tagged(tag) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            if run.poll() is None:
                run.kill()
    assert _tagged(tag) == []


def test_settings_name_nothing_of_the_browser_without_a_render_site() -> None:
    from newswatch.crawler.options import OPTIONS, CrawlOptions
    from newswatch.crawler.settings import crawl_settings

    # the options name their (empty) render_sites: the components are what must not load the browser
    plain = json.dumps({k: v for k, v in crawl_settings(CrawlOptions("sqlite://", "/tmp")).items() if k != OPTIONS})
    rendered = json.dumps(crawl_settings(CrawlOptions("sqlite://", "/tmp", render_sites=("example.com",))))
    assert "playwright" not in plain.lower() and "render" not in plain.lower()
    assert "newswatch.crawler.fetch.renderhandler.RenderHandler" in rendered
    replay = crawl_settings(CrawlOptions("sqlite://", "/tmp", render_sites=("example.com",), cassette="c.yaml",
                                         cassette_mode="replay"))
    assert "playwright" not in json.dumps(replay).lower(), "a cassette holds plain HTTP: no browser"


def test_extract_preview_renders_with_the_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from newswatch.monitor.cli.main import cli

    monkeypatch.chdir(tmp_path)
    for name in ("NEWSWATCH_DATABASE_URL", "NEWSWATCH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    with SiteServer() as server:
        build_render_site(server)
        write_render_workspace(tmp_path, server.base_url)

        def extract(name: str, *more: str) -> dict[str, object]:
            result = CliRunner().invoke(cli, ["extract", server.url(url_of(name)), *more, "--json"],
                                        catch_exceptions=False, standalone_mode=False)
            return dict(json.loads(result.output.strip().splitlines()[-1]))

        plain = extract("private")
        rendered = extract("private", "--render", "browser")
        assert server.hits("/img/121210.jpg") == 0
    assert plain["judgement"] != "article", "the shell holds no article"
    assert rendered["judgement"] == "article", rendered
    assert all(sentence in str(rendered["body"]) for sentence in expected_sentences())


def test_render_takes_one_value() -> None:
    from newswatch.monitor.sources.registry import parse_registry
    from newswatch.storage.errors import ConfigError

    with pytest.raises(ConfigError, match=r"source\[0\]\.render: expected 'browser', got 'chrome'"):
        parse_registry('[[source]]\nname = "甲"\nsite = "https://a.example.cn/"\nrender = "chrome"\n')


def test_a_listener_error_about_a_closed_page_is_no_error_line() -> None:
    """At a page's timeout or the crawl's stop, playwright's listeners may still read a response of a closed page:
    its TargetClosedError is logged at DEBUG (newswatch.render), any other listener error stays an ERROR."""
    from playwright._impl._errors import TargetClosedError

    from newswatch.crawler.fetch.renderhandler import ClosedTargets, closed_targets_quiet

    logger = logging.getLogger("playwright.test-closed-targets")
    closed_targets_quiet(logger)
    closed_targets_quiet(logger)
    assert sum(isinstance(f, ClosedTargets) for f in logger.filters) == 1

    def record(error: BaseException) -> logging.LogRecord:
        return logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "Error occurred in event listener", (),
                                 (type(error), error, None))

    assert not logger.filters[0].filter(record(TargetClosedError("Target page, context or browser has been closed")))
    assert logger.filters[0].filter(record(ValueError("something else")))
