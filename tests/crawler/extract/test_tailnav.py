"""crawler.extract.tailnav: related-news and navigation rows at the end of a body (issue 21, item 3).

Real pages of tests/fixtures/zh_news: a 163.com article whose body ended with ``## 热点新闻`` and a
ranked list of other headlines, and a 2005 sohu.com table layout whose body ended with ``■ 相关链接``,
the author's other articles, ringtone ads and the shop's links.  The constructed cases guard what must
stay: an article going on after such a heading, a heading at the very end, an editor's line alone, a
heading that would take most of the body; and the rows above a heading that go with it (the 163.com page's
channel tabs and "load more" button, the sohu.com page's toolbar) or stay (a byline, a short item); a
disclaimer of the readers' words closing a body (the 163.com page's; the trafilatura eval's nowgrenada.com page).
"""

from __future__ import annotations

import pytest

from newswatch.crawler.extract.article import Article
from newswatch.crawler.extract.tailnav import is_related_heading, strip_trailing_navigation
from tests.crawler.extract.test_extract import extracted as zh_extracted

PROSE = "记者17日从国家卫生健康委获悉，近阶段相关部门持续依托短缺药品供应保障工作会商联动机制，深入优化监测预警。"
LINKS = frozenset({"长江水旱灾害防御应急响应提升至3级", "女子路上突然被拖进玉米地", "加拿大中止与香港引渡条约", "更多",
                   "娱乐", "体育", "财经"})
LINK_LINES = "- 长江水旱灾害防御应急响应提升至3级\n- 女子路上突然被拖进玉米地\n- 加拿大中止与香港引渡条约"

CASES = [
    ("related-heading-and-links", f"{PROSE}\n\n{PROSE}\n\n## 相关新闻\n\n{LINK_LINES}", f"{PROSE}\n\n{PROSE}"),
    ("bold-heading-with-colon", f"{PROSE}\n\n**延伸阅读：**\n{LINK_LINES}", PROSE),
    ("table-rows", f"{PROSE}\n\n| ■ **相关链接** | \n|  | \n| 长江水旱灾害防御应急响应提升至3级 | \n"
     "| 加拿大中止与香港引渡条约 |  | \n|  |", PROSE),
    ("editor-and-links", f"{PROSE}\n\n【责任编辑：张樵苏】\n{LINK_LINES}", PROSE),
    ("english-heading", f"{PROSE}\n{PROSE}\n\n### Related articles\n{LINK_LINES}", f"{PROSE}\n{PROSE}"),
    ("short-furniture-after-links", f"{PROSE}\n\n## 热点新闻\n查看全部\n{LINK_LINES}\n返回页首", PROSE),
    # link rows, a toolbar, a menu list and a "more" button just above the heading go with it
    ("links-above-the-heading", f"{PROSE}\n{PROSE}\n\n{LINK_LINES}\n\n## 相关新闻\n{LINK_LINES}", f"{PROSE}\n{PROSE}"),
    ("toolbar-above-the-heading", f"{PROSE}{PROSE}\n| 页面功能 【推荐】【字体：大 中 小】【打印】 【关闭】 |\n"
     f"| ■ **相关链接** |\n{LINK_LINES}", PROSE + PROSE),
    ("menu-list-above-the-heading", f"{PROSE}{PROSE}\n\n- 推荐\n- 娱乐\n- 体育\n- 财经\n\n加载更多\n\n"
     f"## 热点新闻\n{LINK_LINES}", PROSE + PROSE),
    # ... but not the article's own short last lines
    ("byline-above-the-heading", f"{PROSE}\n\n作者：上官云 宋宇晟\n\n## 相关新闻\n{LINK_LINES}",
     f"{PROSE}\n\n作者：上官云 宋宇晟"),
    ("short-item-above-the-heading", f"{PROSE}\n\n- 第一条\n\n## 相关新闻\n{LINK_LINES}", f"{PROSE}\n\n- 第一条"),
    # a disclaimer of the readers' or contributors' words closing the body goes
    ("comments-disclaimer", f"{PROSE}\n\n网友评论仅供其表达个人看法，并不表明网易立场。", PROSE),
    ("contributors-disclaimer", f"{PROSE * 3}\n\n**NOW Grenada** is not responsible for the opinions, statements or "
     "media content presented by contributors. In case of abuse, click here to report.", PROSE * 3),
    ("disclaimer-above-related", f"{PROSE}{PROSE}\n\n本文观点不代表本站立场。\n\n## 相关新闻\n{LINK_LINES}",
     PROSE + PROSE),
    # kept
    ("disclaimer-not-last", f"{PROSE}\n\n网友评论仅供其表达个人看法，并不表明网易立场。\n\n{PROSE}", None),
    ("prose-after-the-heading", f"{PROSE}\n\n## 相关新闻\n{LINK_LINES}\n{PROSE}", None),
    ("heading-at-the-end", f"{PROSE}\n\n相关新闻", None),
    ("editor-alone", f"{PROSE}\n\n责任编辑：张樵苏", None),
    ("one-link-only", f"{PROSE}\n\n## 相关阅读\n- 长江水旱灾害防御应急响应提升至3级", None),
    ("not-link-text", f"{PROSE}\n\n## 相关新闻\n- 一个没有链接的条目甲乙\n- 另一个没有链接的条目丙丁", None),
    ("most-of-the-body", f"短文一句。\n\n## 相关新闻\n{LINK_LINES}\n{LINK_LINES}", None),
]


@pytest.mark.parametrize(("markdown", "want"), [(m, w) for _, m, w in CASES], ids=[c[0] for c in CASES])
def test_strip_trailing_navigation(markdown: str, want: str | None) -> None:
    assert strip_trailing_navigation(markdown, LINKS) == (markdown if want is None else want)


@pytest.mark.parametrize(("line", "heading"), [
    ("相关新闻", True), ("## 相关阅读：", True), ("| ■ **相关链接** |", True), ("【责任编辑:张樵苏", True),
    ("Related stories", True), ("相关新闻报道称，市场回暖。", False), ("编辑部的故事讲述了一个很长的故事", False),
], ids=["plain", "markdown-colon", "table-cell", "editor", "english", "sentence", "long-editor-word"])
def test_is_related_heading(line: str, heading: bool) -> None:
    assert is_related_heading(line) is heading


# real pages: page id -> (the heading that ended the body, the body's last words now)
# (the menu rows above the heading go with it: the channel tabs and "load more" button of the first, the
# page toolbar 【打印】【关闭】 of the second)
REAL = {
    # (and the 163.com page's comments disclaimer)
    "gerapy-netease_news1": ("热点新闻", "帮助地方政府制定相应的经济活动开放或限制措施。"),
    "cwced-7c6d2080": ("相关链接", "然后退出转到别的方向。"),
}


@pytest.mark.parametrize("page_id", list(REAL), ids=list(REAL))
def test_real_related_rows_are_cut(page_id: str) -> None:
    found = zh_extracted(page_id)
    assert isinstance(found, Article), found
    heading, end = REAL[page_id]
    assert heading not in found.body_markdown
    assert found.body_markdown.rstrip(" |\n").endswith(end)
