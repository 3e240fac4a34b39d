"""A real Google-News sitemap changing over time (xfeed.ca, tests/fixtures/sitemaps/news_sitemap_series),
served version after version by a loopback site: every article is recorded NEW exactly once, when it first
appears; articles that drop out of the sitemap stay stored (re-checked later by the age ladder), not lost
or re-announced.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newswatch.crawler.discover.sitemaps import parse_sitemap
from tests.conftest import ROOT
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, newswatch, setup_workspace, stored

SERIES = sorted((ROOT / "tests" / "fixtures" / "sitemaps" / "news_sitemap_series" / "xfeed.ca").glob("*.xml"))
PICKED = (0, 1, 6, 7, 13, 14)  # first, growth, an empty snapshot, new items, empty again, a burst
ORIGIN = "https://www.xfeed.ca"


def _versions() -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for index in PICKED:
        body = SERIES[index].read_bytes()
        entries = parse_sitemap(body, ORIGIN + "/news-sitemap.xml").entries
        out.append((body, {urlsplit(e.loc).path: e.news_title or "" for e in entries}))
    return out


def _article(title: str, path: str) -> bytes:
    template = fixture_bytes("n4k-chinese_article_002").decode("utf-8")
    lead = f"<p>{html.escape(title)}：本条目来自站点地图 {html.escape(path)}，正文沿用一篇真实报道作为测试素材。</p>"
    page = template.replace("<title>", f"<title>{html.escape(title)} - ", 1)
    return page.replace("新华社北京11月17日电", lead + "新华社北京11月17日电", 1).encode("utf-8")


@pytest.mark.parametrize("picked", [PICKED], ids=["6-versions"])
def test_series_records_each_article_once(tmp_path: Path, picked: tuple[int, ...]) -> None:
    seen: set[str] = set()
    with SiteServer() as server:
        config = setup_workspace(tmp_path, server.base_url)
        server.add("/", b"<html><body>home</body></html>", headers={"Content-Type": "text/html"})
        server.add_robots(f"User-agent: *\nSitemap: {server.base_url}/news-sitemap.xml\n")
        for body, titles in _versions():
            local = body.replace(ORIGIN.encode(), server.base_url.encode())
            server.add("/news-sitemap.xml", local, headers={"Content-Type": "application/xml"})
            for path, title in titles.items():
                server.add(path, _article(title, path), headers={"Content-Type": "text/html; charset=utf-8"})
            result = newswatch(config, "run")
            assert result.returncode == 0, result.stderr
            numbers = figures(result.stdout)
            fresh = set(titles) - seen
            assert numbers["new"] == len(fresh), (titles, result.stdout)
            assert numbers["changed"] == 0 and numbers["anomalies"] == 0
            assert numbers["unchanged"] == len(seen), "every stored article is due (ladder 3650d=0s)"
            seen |= fresh
            assert {urlsplit(u).path for u in stored(tmp_path)} == seen
    assert len(list((tmp_path / "data" / "corpus").glob("*.txt"))) == len(seen)
