"""IPv6 end to end: ``newswatch run`` with a seed linking to an article on a real IPv6 loopback server
([::1], port 0). Refused (and counted) unless ``crawl.allow_networks`` opens ``::1/128``, fetched and
stored under its bracketed canonical URL when it does; either way the run goes on with the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawler.fixture_site import ARTICLES, build_site, fixture_bytes, write_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import migrate, newswatch, stored

V6_PATH = "/2025/06/01/v6-article.html"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _v6_site(server: SiteServer) -> None:
    server.add("/", b'<html><body><a href="/2025/06/01/v6-article.html">v6</a></body></html>', headers=HTML)
    server.add_robots("User-agent: *\nAllow: /\n")
    server.add(V6_PATH, fixture_bytes("n4k-chinese_article_002"), headers=HTML)


def _seed(folder: Path, v6_base: str) -> None:
    (folder / "seeds" / "001_0000000000000001.txt").write_text(
        f"---\ntitle: 一篇链接到 IPv6 的种子\nsource: 测试新闻\n---\n\n# 一篇链接到 IPv6 的种子\n\n"
        f"正文链接到一个 IPv6 地址上的文章：[原文]({v6_base}{V6_PATH})。\n", encoding="utf-8")


@pytest.mark.parametrize(("networks", "fetched"), [
    (["127.0.0.0/8"], False),
    (["127.0.0.0/8", "::1/128"], True),
], ids=["ipv6-loopback-refused", "ipv6-loopback-allowed"])
def test_a_seed_linking_to_an_ipv6_literal_never_kills_the_run(tmp_path: Path, networks: list[str],
                                                               fetched: bool) -> None:
    with SiteServer() as site, SiteServer(host="::1") as v6:
        build_site(site)
        _v6_site(v6)
        assert v6.base_url.startswith("http://[::1]:")
        config = write_workspace(tmp_path, site.base_url)
        _seed(tmp_path, v6.base_url)
        config.write_text(config.read_text(encoding="utf-8").replace(
            'allow_networks = ["127.0.0.0/8"]', f"allow_networks = {json.dumps(networks)}"), encoding="utf-8")
        migrate(config)
        result = newswatch(config, "run", "--json")
        v6_hits = v6.hits(V6_PATH)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    urls = stored(tmp_path)
    assert all(any(u.endswith(page.path) for u in urls) for page in ARTICLES), "the IPv4 site is crawled"
    v6_url = f"{v6.base_url}{V6_PATH}"
    refused = [e for e in summary["errors"] if e["url"] == v6_url]
    if fetched:
        assert v6_hits == 1 and v6_url in urls and not refused
    else:
        assert v6_hits == 0 and v6_url not in urls
        assert [e["kind"] for e in refused] == ["refused_private"], summary["errors"]
