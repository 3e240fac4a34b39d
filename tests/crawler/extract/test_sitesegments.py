"""crawler.extract.sitesegments: the parts of a title that name the site (issue 21, item 3).

The real cases are 2005-era pages of tests/fixtures/zh_news (``cwced-*``): ``<title>`` names the site
before the headline (``多维博客 » …``), after it (``…<世纪在线中国艺术网``), after a space and again after a
separator (``… 河南日报网-河南日报官方网站``, where ``<h1>`` shows the headline alone), or is a blog host and a
blog's name (``China-Pub blog--洞庭一叶``).  The constructed cases guard the headlines that look like site
names but stand first or alone, and the completions of truncated headlines that must still happen.
"""

from __future__ import annotations

import pytest

from newswatch.crawler.extract.article import Article
from newswatch.crawler.extract.sitesegments import site_extension, site_like, unsited
from newswatch.crawler.extract.titles import TitleCandidates, choose_title
from tests.crawler.extract.test_extract import extracted as zh_extracted

UNSITED = [
    ("site-prefix-guillemet", "多维博客 » 播客热潮迅速蔓延 挑逗传统传媒业", "播客热潮迅速蔓延 挑逗传统传媒业"),
    ("site-suffix-angle", "艺术史研究<世纪在线中国艺术网", "艺术史研究"),
    ("blog-host-prefix", "China-Pub blog--洞庭一叶", "洞庭一叶"),
    ("site-twice-spaced-and-dashed", "图说洛阳| 洛阳职业技术学院：剪“廉洁窗花” 过廉洁之年 河南日报网-河南日报官方网站",
     "图说洛阳| 洛阳职业技术学院：剪“廉洁窗花” 过廉洁之年"),
    ("column-and-site-suffix", "标题_科技_腾讯网", "标题_科技"),
    ("domain-suffix", "Budget vote delayed | example.com", "Budget vote delayed"),
    ("declared-name", "Budget vote delayed - The Daily Planet", "Budget vote delayed"),
    ("forum-suffix", "求助：路由器掉线 - 某某论坛", "求助：路由器掉线"),
    # every segment reads as a site's name: left alone (the headline ends in 网)
    ("headline-ending-in-wang", "全国首个5G工业互联网 - 新华网", "全国首个5G工业互联网 - 新华网"),
    ("no-separator", "加快建设工业互联网", "加快建设工业互联网"),
    ("no-site-segment", "马克龙会面 - 法国报纸摘要", "马克龙会面 - 法国报纸摘要"),
    ("spaced-tail-without-a-site-segment", "北京发布 新华网", "北京发布 新华网"),
    ("hyphenated-word-kept", "China-Pub 发布新书目录", "China-Pub 发布新书目录"),
]

# Blog and writing platforms: the title shapes they write (the PIXNET one is the real page
# readability-pixnet of tests/fixtures/zh_news; the others follow the platforms' published title formats
# with invented headlines and names).  The platform goes; a blog's name after " @ " goes with it; a
# separator inside the headline ("新竹尖石_美樹營地賞楓") stays.
PLATFORMS = [
    ("pixnet", "新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::", "新竹尖石_美樹營地賞楓 (2)"),
    ("pixnet-short", "台南一日遊 @ 小明的旅行日記 :: 痞客邦 ::", "台南一日遊"),
    ("csdn", "Python装饰器详解_weixin_44123456的博客-CSDN博客", "Python装饰器详解"),
    ("csdn-name", "Redis持久化机制_张三的博客-CSDN博客", "Redis持久化机制"),
    ("cnblogs", "Java线程池原理 - 张三 - 博客园", "Java线程池原理 - 张三"),  # the author: by the page (test_sitetitle)
    ("zhihu", "如何评价这部电影？ - 知乎", "如何评价这部电影？"),
    ("zhihu-column", "深度学习入门笔记 - 知乎专栏", "深度学习入门笔记"),
    ("jianshu", "我的读书笔记 - 简书", "我的读书笔记"),
    ("sina-blog", "春天的小城_张三_新浪博客", "春天的小城_张三"),  # the author: by the page (test_sitetitle)
    ("netease-blog", "夜读随笔 - 李四的日志 - 网易博客", "夜读随笔 - 李四的日志"),
    ("wordpress", "Notes from the garden | Jane's blog", "Notes from the garden"),
    ("wordpress-com", "A walk in the hills – Hillwalker – WordPress.com", "A walk in the hills – Hillwalker"),
    # a spaced "@" in a headline, not followed by a platform: kept
    ("at-in-headline", "KI @ China (Teil 2): Wie Facebook das Gesundheitswesen revolutioniert - Sopra Steria Blog",
     "KI @ China (Teil 2): Wie Facebook das Gesundheitswesen revolutioniert"),
    ("at-alone", "Live @ Wembley", "Live @ Wembley"),
]


@pytest.mark.parametrize(("title", "want"), [(t, w) for _, t, w in PLATFORMS], ids=[c[0] for c in PLATFORMS])
def test_platform_titles(title: str, want: str) -> None:
    assert unsited(title) == want


def test_a_declared_name_holding_a_separator_is_cut_whole() -> None:
    """og:site_name ``史蒂文的家_藍天``: the title is cut where the name starts, not at its own underscore."""
    assert unsited("新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET ::", ("史蒂文的家_藍天",)) == (
        "新竹尖石_美樹營地賞楓 (2)")
    assert unsited("史蒂文的家_藍天 :: 新竹尖石_美樹營地賞楓", ("史蒂文的家_藍天",)) == "新竹尖石_美樹營地賞楓"


@pytest.mark.parametrize(("title", "site"), [
    ("Día de la Madre: Trome celebró con las mamitas de Chollywood", "Trome"),  # real eval pages (trome.pe ...)
    ("Privatkredit-Zinsen: So ermitteln Sie Ihre Kosten | SMAVA", "Privatkredit"),  # (... and smava.de)
], ids=["name-inside-the-headline", "name-hyphenated-into-a-word"])
def test_a_declared_name_inside_the_headline_cuts_nothing(title: str, site: str) -> None:
    assert unsited(title, (site,)).startswith(title.split(":")[0])


@pytest.mark.parametrize(("title", "want"), [(t, w) for _, t, w in UNSITED], ids=[c[0] for c in UNSITED])
def test_unsited(title: str, want: str) -> None:
    assert unsited(title, ("The Daily Planet",)) == want


@pytest.mark.parametrize(("segment", "site"), [
    ("河南日报网", True), ("多维博客", True), ("China-Pub blog", True), ("某某论坛", True), ("example.com.cn", True),
    ("洞庭一叶", False), ("艺术史研究", False), ("全国首个5G工业互联网建设进入快车道的第一年", False), ("网", False),
], ids=["wang", "boke", "blog", "luntan", "domain", "name", "section", "long-headline", "one-char"])
def test_site_like(segment: str, site: bool) -> None:
    assert site_like(segment) is site


@pytest.mark.parametrize(("extra", "site"), [
    (" 河南日报网", True), ("-河南日报官方网站", True), ("河南日报网", False), (' "死亡"129227例', False), ("", False),
], ids=["spaced-site", "dashed-site", "glued", "quote-completion", "empty"])
def test_site_extension(extra: str, site: bool) -> None:
    assert site_extension(extra) is site


COMPLETIONS = [
    ("h1-not-completed-by-a-spaced-site-name",
     TitleCandidates(h1=("图说洛阳| 剪窗花 过廉洁之年",),
                     title="图说洛阳| 剪窗花 过廉洁之年 河南日报网-河南日报官方网站"),
     None),  # no agreement, no truncation: the caller's reading decides (the real page: its <h1>)
    ("truncated-og-still-completed", TitleCandidates(og="标题前半", title='标题前半 "引号"后半_网易新闻'),
     '标题前半 "引号"后半'),
]


@pytest.mark.parametrize(("found", "want"), [(f, w) for _, f, w in COMPLETIONS], ids=[c[0] for c in COMPLETIONS])
def test_completion_is_not_a_site_name(found: TitleCandidates, want: str | None) -> None:
    assert choose_title(found) == want


# real pages: page id -> (the title before, the headline now)
REAL = {
    "cwced-91bdf33e": ("图说洛阳| 洛阳职业技术学院：剪“廉洁窗花” 过廉洁之年 河南日报网",
                       "图说洛阳| 洛阳职业技术学院：剪“廉洁窗花” 过廉洁之年"),
    "cwced-35687fb1": ("多维博客 » 播客热潮迅速蔓延 挑逗传统传媒业", "播客热潮迅速蔓延 挑逗传统传媒业"),
    "cwced-b70f455d": ("艺术史研究<世纪在线中国艺术网", "艺术史研究"),
    "readability-pixnet": ("新竹尖石_美樹營地賞楓 (2) @ 史蒂文的家_藍天 :: 痞客邦 PIXNET", "新竹尖石_美樹營地賞楓 (2)"),
}


@pytest.mark.parametrize("page_id", list(REAL), ids=list(REAL))
def test_real_titles_lose_the_site_name(page_id: str) -> None:
    found = zh_extracted(page_id)
    assert isinstance(found, Article), found
    assert found.title == REAL[page_id][1]
