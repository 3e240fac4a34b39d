"""A news site whose articles are taken down (删稿), built from real pages (tests/fixtures/zh_news) and
real notice pages (tests/crawler/notice_pages.py), at three moments:

    moment 1   six articles a..f (the pages of tests/monitor/moments_site.py), all answering
    moment 2   a: China Daily's "该文章已删除" notice in its own page template (withdrawn)
               b: 410 Gone (gone at once)
               c: 404 (a flaky answer: not confirmed)
               d: 404 (confirmed on the next run)
               e: WeChat's notice page "该内容已被发布者删除" (withdrawn)
               f: 301 to the home page (redirected)
    moment 3   a: the article again, unchanged (restored); c: answers again (never removed);
               d: 404 again (gone); b, e, f as moment 2

The home page keeps listing all six. ``python -m tests.monitor.removal_site`` records moments 1 and 2 of
the pages a, b, e, f on 127.0.0.1:38529 into ``tests/cassettes/removal_<n>.yaml`` (for the pytest
plugin's replay of a withdrawal).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import ROOT
from tests.crawler.notice_pages import cms_notice_page, wechat_notice_page
from tests.crawler.site_server import Route, SiteServer
from tests.crawler.test_run import newswatch, setup_workspace
from tests.monitor.moments_site import PAGES, page_bytes, path

HTML = {"Content-Type": "text/html; charset=utf-8"}
CMS_NOTICE = "该文章已删除"
WECHAT_NOTICE = "该内容已被发布者删除"
REMOVED = {2: {"a": "withdrawn", "b": "gone", "e": "withdrawn", "f": "redirected"}, 3: {"d": "gone"}}
RESTORED = {3: {"a"}}
NOT_FOUND = b"<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"


def _page(page: str, moment: int) -> Route | bytes:
    if moment == 1 or (page == "c" and moment == 3) or (page == "a" and moment == 3):
        return page_bytes(page, 1)
    if page == "a":
        return cms_notice_page(CMS_NOTICE)
    if page == "e":
        return wechat_notice_page(WECHAT_NOTICE)
    if page == "b":
        return Route(410, tuple(HTML.items()), NOT_FOUND)
    if page == "f":
        return Route(301, (("Location", "/"),), b"")
    return Route(404, tuple(HTML.items()), NOT_FOUND)  # c (moment 2), d


def build_moment(server: SiteServer, moment: int, pages: str = "".join(PAGES)) -> None:
    links = "".join(f'<li><a href="{path(p)}">{p}</a></li>' for p in pages)
    home = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>要闻</title></head>' \
           f"<body><ul>{links}</ul></body></html>"
    server.add("/", home.encode("utf-8"), headers=HTML)
    server.add_robots("User-agent: *\nAllow: /\n")
    for page in pages:
        answer = _page(page, moment)
        if isinstance(answer, Route):
            server.route(path(page), answer)
        else:
            server.add(path(page), answer, headers=HTML, gzip=True)


CASSETTE_PORT = 38529
CASSETTE_PAGES = "abef"


def removal_cassette(moment: int) -> Path:
    return ROOT / "tests" / "cassettes" / f"removal_{moment}.yaml"


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        config = setup_workspace(Path(scratch), f"http://127.0.0.1:{CASSETTE_PORT}")
        for moment in (1, 2):
            with SiteServer(port=CASSETTE_PORT) as server:
                build_moment(server, moment, CASSETTE_PAGES)
                result = newswatch(config, "run", "--record", str(removal_cassette(moment)))
            print(f"moment {moment}:", result.stdout, result.stderr[-2000:], sep="\n")
            if result.returncode:
                return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
