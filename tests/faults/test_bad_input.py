"""A site of bad input, crawled in one run: every file of feedparser's ill-formed corpus, a GBK feed, a
billion-laughs feed, a 50 MB page, binary data served as text/html, an endless redirect chain, a server
that trickles one byte a second, and feed links to 127.0.0.2, 169.254.169.254 and 10.0.0.1. Each is
handled with a reported reason, the run ends (the subprocess timeout is the bound), good articles are kept.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import migrate, newswatch, stored

FEEDS = ROOT / "tests" / "fixtures" / "feeds"
ILLFORMED = sorted((FEEDS / "feedparser" / "illformed").rglob("*.xml"))
GBK_FEED = FEEDS / "chardet_zh_gb2312" / "cnblog.org.xml"
HTML = {"Content-Type": "text/html; charset=utf-8"}
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("bcdefgh", "cdefghi", strict=True))
          + ']><rss version="2.0"><channel><title>&i;</title><item><title>&i;</title>'
          "<link>/2025/07/01/laughs.html</link></item></channel></rss>").encode()
EXPECTED = {  # links found on the home page: their failures are dropped (listed, not errors)
    "/2025/07/01/huge.html": "dropped too_large",
    "/2025/07/01/binary.html": "rejected binary",
    "/chain/": "dropped too_many_redirects",
    "/2025/07/01/trickle.html": "dropped timeout",
    "http://127.0.0.2": "refused refused_private",
    "http://169.254.169.254/latest/meta-data/": "refused refused_private",
    "http://10.0.0.1/a.html": "refused refused_private",
}


def _serve(server: SiteServer) -> list[str]:
    base = server.base_url
    good = "/2025/07/01/good.html"
    links = [good, "/2025/07/01/huge.html", "/2025/07/01/binary.html", "/chain/0", "/2025/07/01/trickle.html"]
    server.add("/", ("<html><body>" + "".join(f'<a href="{u}">{u}</a>' for u in links) + "</body></html>").encode(),
               headers=HTML)
    server.add_robots("User-agent: *\nAllow: /\n")
    server.add(good, fixture_bytes("n4k-chinese_article_001"), headers=HTML)
    server.add("/2025/07/01/huge.html", b"<html><body>" + b"<p>x</p>" * (50 * 1024 * 1024 // 8), headers=HTML)
    server.add("/2025/07/01/binary.html", random.Random(1).randbytes(300_000), headers=HTML)
    for n in range(40):
        server.add_redirect(f"/chain/{n}", f"/chain/{n + 1}", status=302)
    server.add_trickle("/2025/07/01/trickle.html", fixture_bytes("n4k-chinese_article_002"), headers=HTML)
    private = ("<?xml version='1.0'?><rss version='2.0'><channel><title>p</title>"
               f"<item><link>http://127.0.0.2:{server.port}/2025/07/01/x.html</link></item>"
               "<item><link>http://169.254.169.254/latest/meta-data/</link></item>"
               "<item><link>http://10.0.0.1/a.html</link></item></channel></rss>")
    feeds = {"/feeds/private.xml": private.encode(), "/feeds/laughs.xml": LAUGHS,
             "/feeds/gbk.xml": GBK_FEED.read_bytes()}
    for index, path in enumerate(ILLFORMED):
        feeds[f"/feeds/illformed/{index}.xml"] = path.read_bytes()
    for path, body in feeds.items():
        charset = "gb2312" if path.endswith("gbk.xml") else "utf-8"
        server.add(path, body, headers={"Content-Type": f"application/rss+xml; charset={charset}"})
    return [base + path for path in feeds]


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str], str]:
    folder = tmp_path_factory.mktemp("bad")
    with SiteServer() as server:
        feeds = _serve(server)
        (folder / "seeds").mkdir()
        (folder / "seeds" / "000_0000000000000000.txt").write_text("# 坏站\n\n来源：坏站\n", encoding="utf-8")
        (folder / "seeds" / "sources.toml").write_text(
            f'[[source]]\nname = "坏站"\nsite = "{server.base_url}/"\nfeeds = {json.dumps(feeds)}\n', encoding="utf-8")
        config = folder / "newswatch.toml"
        config.write_text('[crawl]\nallow_networks = ["127.0.0.1/32"]\ndownload_delay = 0.0\ndownload_timeout = 2.0\n'
                          "retries = 1\n", encoding="utf-8")
        migrate(config)
        result = newswatch(config, "run", timeout=180)
        return folder, result, server.base_url


def test_run_ends_and_keeps_the_good_article(bad_run: tuple[Path, subprocess.CompletedProcess[str], str]) -> None:
    folder, result, _base = bad_run
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert [u for u in stored(folder) if u.endswith("/good.html")]


@pytest.mark.parametrize("where", sorted(EXPECTED), ids=str)
def test_each_bad_input_has_a_reported_reason(bad_run: tuple[Path, subprocess.CompletedProcess[str], str],
                                              where: str) -> None:
    _folder, result, base = bad_run
    lines = [line.strip() for line in result.stdout.splitlines()]
    target = where if where.startswith("http") else base + where
    matching = [line for line in lines if target in line]
    assert any(line.startswith(EXPECTED[where]) for line in matching), (where, matching or result.stdout[-3000:])


def test_billion_laughs_is_not_expanded() -> None:
    from newswatch.crawler.discover.feeds import parse_feed
    from newswatch.storage.errors import ParseError

    try:
        feed = parse_feed(LAUGHS, "http://127.0.0.1/feeds/laughs.xml", {"content-type": "application/rss+xml"})
    except ParseError:
        return
    assert len(feed.title) < 1000 and all(len(e.title) < 1000 for e in feed.entries)


def test_feeds_parse_or_fail_cleanly(bad_run: tuple[Path, subprocess.CompletedProcess[str], str]) -> None:
    _folder, result, base = bad_run
    bad_feeds = [line for line in result.stdout.splitlines() if "error bad_feed" in line]
    assert all("/feeds/" in line for line in bad_feeds)
    assert f"{base}/feeds/gbk.xml" not in result.stdout, "the GBK feed parses (its links are off-site)"
