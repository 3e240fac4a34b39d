"""crawler.extract.sidebar: a table-layout blog's sidebar boxes before the article (issue 21).

The real case is cwced-c38e2b2d of tests/fixtures/zh_news (a 2005 China-Pub blog post): its body opened with
the blog's name, its notice (prose), a calendar, its categories, latest posts and comments, guest book, links
and statistics, before the post's header row.  The constructed cases follow that layout (and a WordPress-style
English sidebar) with invented text, and guard what must stay: a notice that is the article, a body without a
sidebar, a sidebar with nothing after it.
"""

from __future__ import annotations

import re

import pytest

from newswatch.crawler.extract.article import Article
from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.sidebar import is_box_label, strip_sidebar
from tests.crawler.extract.test_extract import extracted as zh_extracted

POST = ("| **雨中的西湖** 张三 发表于 2005-9-15 11:46:00 | \n|  | \n\n"
        "| 早上下了一场雨，湖边的柳树显得格外绿，游人也少了许多。 |")
NOTICE = "| **公告** | \n| 本站文章均系站长从网上收集，如有版权争议，请联系站长。 | \n\n"
CALENDAR = "| « | **December 2006** |  |  |  |  | » | \n| 日 | 一 | 二 | 三 | 四 | 五 | 六 | \n| 1 | 2 | 3 | \n\n"
BOXES = "| **我的分类（专题）** | \n\n| **最新评论** | \n\n| **链接** | \n| 某某论坛 某某书库 | \n\n"

CASES = [
    ("blog-sidebar", f"|      **湖边小筑** | \n\n{NOTICE}{CALENDAR}{BOXES}{POST}", POST, ("湖边小筑",)),
    ("english-sidebar", "| **Recent Posts** | \n| A day out | \n\n| **Archives** | \n| May 2005 | \n\n"
     "| **A walk by the lake** posted on 2005-05-03 | \n\n| It rained in the morning, and the lake was quiet. |",
     "| **A walk by the lake** posted on 2005-05-03 | \n\n| It rained in the morning, and the lake was quiet. |", ()),
    # kept
    ("one-notice-is-the-article", f"{NOTICE}{POST}", None, ()),
    ("no-sidebar", POST, None, ()),
    ("nothing-after-the-sidebar", f"{NOTICE}{CALENDAR}{BOXES}", None, ()),
]


@pytest.mark.parametrize(("markdown", "want", "banner"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_strip_sidebar(markdown: str, want: str | None, banner: tuple[str, ...]) -> None:
    assert strip_sidebar(markdown) == ((markdown, ()) if want is None else (want, banner))


@pytest.mark.parametrize(("text", "label"), [
    ("公告", True), ("我的分类（专题）", True), ("Blog信息", True), ("Recent Posts", True), ("■ 友情链接：", True),
    ("雨中的西湖", False), ("公告栏里的故事", False),
], ids=["notice", "categories", "blog-info", "recent-posts", "decorated", "headline", "longer"])
def test_is_box_label(text: str, label: bool) -> None:
    assert is_box_label(text) is label


def test_real_blog_post_opens_with_the_post() -> None:
    """cwced-c38e2b2d: the body opens with the post's header row, then the post; the headline is the header's."""
    found = zh_extracted("cwced-c38e2b2d")
    assert isinstance(found, Article), found
    text = re.sub(r"\s+", "", markdown_to_text(found.body_markdown))
    assert text.startswith("[湖湘文化]陈天华《警世钟》ggjjzhzz发表于2005-9-1511:46:00陈天华《警世钟》长梦千年何日醒")
    assert "公告" not in text[:200] and "Blog信息" not in text
    assert found.title == "[湖湘文化]陈天华《警世钟》"
