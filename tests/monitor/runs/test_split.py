"""A re-check split across processes (monitor.runs.split): the plan dealt out with nothing lost or fetched
twice, each shard's share of a site's politeness, and a real split run (``newswatch run`` in a child
process, SPLIT_MIN lowered) that records every article's check, asks robots.txt and keeps the SSRF
guard in each shard."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newswatch.crawler.items import ArticleTarget, CrawlPlan, SiteTarget
from newswatch.crawler.options import OPTIONS
from newswatch.monitor.runs.split import shard_count, shard_settings, split_plan
from tests.conftest import NEWSWATCH_CLI, ROOT
from tests.crawler.fixture_site import fixture_bytes, write_workspace
from tests.crawler.site_server import SiteServer


def _plan(stored: int, seeds: int = 1) -> CrawlPlan:
    articles = tuple(ArticleTarget(f"https://a{i % 3}.example/{i}", etag=f'"{i}"', stored=True) for i in range(stored))
    new = tuple(ArticleTarget(f"https://seed.example/{i}") for i in range(seeds))
    return CrawlPlan(new + articles, (SiteTarget("https://a0.example/", ("https://a0.example/",)),),
                     frozenset({"https://a0.example/old"}))


@pytest.mark.parametrize(("stored", "processes", "per_domain", "expected"),
                         [(1000, 2, 16, 2), (1000, 1, 16, 1), (199, 2, 16, 1), (1000, 4, 2, 2), (1000, 2, 1, 1)],
                         ids=["split", "one-process", "too-few", "capped-by-per-site", "one-per-site"])
def test_shard_count(stored: int, processes: int, per_domain: int, expected: int) -> None:
    assert shard_count(_plan(stored), processes, per_domain) == expected


@pytest.mark.parametrize("shards", [2, 3], ids=["two", "three"])
def test_split_plan_deals_every_recheck_once_and_keeps_discovery_in_shard_zero(shards: int) -> None:
    plan = _plan(10)
    plans = split_plan(plan, shards)
    assert len(plans) == shards
    dealt = [t.url for p in plans for t in p.articles]
    assert sorted(dealt) == sorted(t.url for t in plan.articles)  # nothing lost, nothing twice
    assert plans[0].sites == plan.sites and all(not p.sites for p in plans[1:])
    assert "https://seed.example/0" in {t.url for t in plans[0].articles}
    for index, part in enumerate(plans):
        others = {t.url for j, p in enumerate(plans) if j != index for t in p.articles}
        assert others <= part.known and plan.known <= part.known  # a feed listing them fetches nothing twice
        assert not {t.url for t in part.articles} & part.known
        assert any(t.stored for t in part.articles)


@pytest.mark.parametrize(("per_domain", "total", "delay", "shards"),
                         [(16, 16, 0.0, 2), (2, 16, 1.0, 2), (8, 32, 0.5, 4)], ids=["bench", "defaults", "four"])
def test_shards_keep_a_sites_politeness_in_aggregate(per_domain: int, total: int, delay: float, shards: int) -> None:
    settings = {"CONCURRENT_REQUESTS": total, "CONCURRENT_REQUESTS_PER_DOMAIN": per_domain, "DOWNLOAD_DELAY": delay,
                "AUTOTHROTTLE_START_DELAY": max(delay, 0.01), "AUTOTHROTTLE_MAX_DELAY": 60.0,
                OPTIONS: {"crawl": {"concurrency": total, "concurrency_per_domain": per_domain,
                                    "download_delay": delay}}}
    shard = shard_settings(settings, shards, child=True)
    assert shard["CONCURRENT_REQUESTS_PER_DOMAIN"] * shards <= per_domain  # never more in flight at a site
    assert shard["CONCURRENT_REQUESTS"] * shards <= total
    assert shard["DOWNLOAD_DELAY"] == delay * shards  # nor closer together, all shards together
    assert shard["AUTOTHROTTLE_START_DELAY"] == max(delay, 0.01) * shards
    assert shard[OPTIONS]["crawl"]["concurrency_per_domain"] == shard["CONCURRENT_REQUESTS_PER_DOMAIN"]
    assert shard[OPTIONS]["crawl"]["download_delay"] == delay * shards
    assert shard["NEWSWATCH_PROGRESS"] == "off"
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == per_domain  # the run's own settings untouched


ARTICLES = 6
SPLIT_RUN = """import sys
import newswatch.monitor.runs.split as split
split.SPLIT_MIN = 2
from newswatch.monitor.cli.main import main
sys.argv[0] = "newswatch"
main()
"""


def _run(config: Path, split: bool = False) -> dict[str, object]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSWATCH_CRAWL__EXTRACT_WORKERS": "1"}
    environ.pop("NEWSWATCH_DATABASE_URL", None)
    code = SPLIT_RUN if split else NEWSWATCH_CLI
    done = subprocess.run([sys.executable, "-W", "error", "-c", code, "--config", str(config), "run", "--json"],
                          capture_output=True, text=True, timeout=240, cwd=config.parent, env=environ, check=False)
    assert done.stdout.strip(), done.stderr[-3000:]
    summary: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return summary


def _site(server: SiteServer) -> list[str]:
    page = fixture_bytes("n4k-chinese_article_002")
    paths = [f"/2025/04/01/story-{i}.html" for i in range(ARTICLES)]
    for i, path in enumerate(paths):
        body = page.replace(b"</body>", f"<p>第{i}篇</p></body>".encode())
        server.add(path, body, headers={"Content-Type": "text/html; charset=utf-8", "ETag": f'"v{i}"'})
    links = "".join(f'<a href="{path}">{i}</a>' for i, path in enumerate(paths))
    server.add("/", f"<html><body>{links}</body></html>".encode(), headers={"Content-Type": "text/html"})
    return paths


def stored_workspace(folder: Path, server: SiteServer, split: bool) -> Path:
    """A workspace on ``server`` (``split``: two re-check processes allowed) after a first run stored every
    article of :func:`_site`."""
    config = write_workspace(folder, server.base_url)
    if split:
        config.write_text(config.read_text(encoding="utf-8").replace(
            "[crawl]\n", "[crawl]\nconcurrency_per_domain = 4\nrecheck_processes = 2\n"), encoding="utf-8")
    assert subprocess.run([sys.executable, "-c", NEWSWATCH_CLI, "--config", str(config), "db", "upgrade"],
                          cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False).returncode == 0
    first = _run(config)
    assert first["figures"]["new"] == ARTICLES, first  # type: ignore[index]
    return config


def _checked(folder: Path) -> dict[str, str]:
    with sqlite3.connect(folder / "data" / "newswatch.db") as db:
        rows = db.execute("SELECT canonical_url, last_checked_at FROM articles WHERE canonical_url LIKE '%story-%'")
        return dict(rows.fetchall())


@pytest.mark.parametrize("case", ["recorded", "ssrf"])
def test_a_split_recheck_records_each_check_and_guards_each_shard(tmp_path: Path, case: str) -> None:
    with SiteServer() as server:
        paths = _site(server)
        server.add_robots("User-agent: *\nDisallow: /private/\n")
        config = stored_workspace(tmp_path, server, split=True)
        before, seen = _checked(tmp_path), len(server.requests)
        if case == "ssrf":  # no private network allowed any more: every shard refuses every request
            config.write_text(config.read_text(encoding="utf-8").replace('allow_networks = ["127.0.0.0/8"]\n', ""),
                              encoding="utf-8")
        again = _run(config, split=True)
        asked = list(server.requests[seen:])
    figures = again["figures"]
    if case == "ssrf":
        assert not asked and figures["refused"] >= ARTICLES, again  # type: ignore[index, operator]
        return
    stories = [r.path for r in asked if "/story-" in r.path]
    assert sorted(stories) == sorted(paths)  # each article asked once, by one shard
    assert all({k.lower() for k, _ in r.headers} & {"if-none-match"} for r in asked if "/story-" in r.path)
    # robots.txt read by each shard's middleware (two), and once more by shard 0's spider for its Sitemap lines
    assert sum(1 for r in asked if r.path == "/robots.txt") == 3
    assert figures["unchanged"] == ARTICLES and figures["errors"] == 0, again  # type: ignore[index]
    after = _checked(tmp_path)
    assert len(after) == ARTICLES and all(after[url] > before[url] for url in before)  # every check recorded


def test_every_shard_keeps_the_guards() -> None:
    """Each shard is a whole crawl: the same downloader middlewares (the SSRF guard, robots.txt) and the same
    obedience to robots.txt as the run's settings."""
    from newswatch.crawler.options import CrawlOptions
    from newswatch.crawler.settings import crawl_settings

    settings = crawl_settings(CrawlOptions(database_url="sqlite://", corpus_dir="corpus"))
    for child in (False, True):
        shard = shard_settings(settings, 2, child)
        assert shard["ROBOTSTXT_OBEY"] is True
        assert shard["DOWNLOADER_MIDDLEWARES"] == settings["DOWNLOADER_MIDDLEWARES"]
        assert shard["DOWNLOADER_MIDDLEWARES_BASE"] == settings["DOWNLOADER_MIDDLEWARES_BASE"]
        assert shard["TWISTED_DNS_RESOLVER"] == settings["TWISTED_DNS_RESOLVER"]
        assert shard[OPTIONS]["crawl"]["allow_networks"] == settings[OPTIONS]["crawl"]["allow_networks"]
