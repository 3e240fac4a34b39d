"""One news site at three moments, built from real fixture pages (tests/fixtures/zh_news).

    moment 1   five articles: A (chinadaily), B (china.com.cn), C (163.com), D (gmw.cn), E (ifeng.com)
    moment 2   F added; A gets a correction appended; B only its related-list timestamps changed;
               C only its hot-news list changed; D briefly replaced by WeChat's expired-link page;
               E's headline rewritten
    moment 3   A's correction withdrawn (back to moment 1: a revert); D restored; the rest as moment 2

Pages are served gzip-compressed (as real sites do) with their original bytes otherwise.
``EXPECTED`` lists what each run must record.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.site_server import SiteServer

FIXED_PORT = 38527
PAGES = {
    "a": "n4k-chinese_article_001",
    "b": "gerapy-china_news1",
    "c": "gerapy-netease_news1",
    "d": "readability-gmw",
    "e": "gerapy-ifeng_news1",
    "f": "n4k-chinese_article_002",
}
CORRECTION = "<p>更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。特此说明。</p>"
OLD_HEADLINE = "故宫，你低调点！故宫：不，实力已不允许我继续低调"
NEW_HEADLINE = "故宫首开元宵夜场：紫禁城上元之夜灯火璀璨"
HOT_OLD = "德媒曝出这句话 乱港头目黄之锋急眼：不是我说的"
HOT_NEW = "暴雨来袭多地发布预警 气象部门提醒注意防范"


@dataclass(frozen=True)
class Expected:
    outcome: dict[str, str]  # page -> outcome of this run
    change_class: dict[str, str]  # page -> change class, for changed/revert pages


EXPECTED = {
    1: Expected({k: "new" for k in "abcde"}, {}),
    2: Expected({"a": "changed", "b": "unchanged", "c": "unchanged", "d": "anomaly", "e": "changed", "f": "new"},
                {"a": "addition", "e": "title"}),
    3: Expected({"a": "revert", "b": "unchanged", "c": "unchanged", "d": "unchanged", "e": "unchanged",
                 "f": "unchanged"}, {"a": "deletion"}),
}


def path(page: str) -> str:
    return f"/2025/05/0{1 if page != 'f' else 2}/{page}.html"


def page_bytes(page: str, moment: int) -> bytes:
    html = fixture_bytes(PAGES[page]).decode("utf-8")
    if page == "a" and moment == 2:
        anchor = "并采取更多令人安心的行动。</p>"
        html = html.replace(anchor, anchor + CORRECTION, 1)
    if page == "b" and moment >= 2:
        html = html.replace("2020年07月08日 13:36:14", "2020年07月09日 08:02:51")
        html = html.replace("2020年07月07日 15:39:10", "2020年07月09日 07:45:03")
    if page == "c" and moment >= 2:
        html = html.replace(HOT_OLD, HOT_NEW)
    if page == "e" and moment >= 2:
        html = html.replace(OLD_HEADLINE, NEW_HEADLINE)
    if page == "d" and moment == 2:
        return fixture_bytes("wechatsogou-expired")
    return html.encode("utf-8")


def build_moment(server: SiteServer, moment: int) -> None:
    pages = "abcde" + ("f" if moment >= 2 else "")
    links = "".join(f'<li><a href="{path(p)}">{p}</a></li>' for p in pages)
    home = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>要闻</title></head>' \
           f"<body><ul>{links}</ul></body></html>"
    html = {"Content-Type": "text/html; charset=utf-8"}
    server.add("/", home.encode("utf-8"), headers=html)
    server.add_robots("User-agent: *\nAllow: /\n")
    for page in pages:
        server.add(path(page), page_bytes(page, moment), headers=html, gzip=True)
