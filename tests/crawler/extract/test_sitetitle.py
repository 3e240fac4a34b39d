"""Titles that are the site's name, a generic word or text the page does not show (issue 21, item 3).

Real 2005-era pages of ``tests/fixtures/zh_news`` (``cwced-*``, see its README and ``index.json``) name a
title in their markup, just not the headline: the same ``<title>`` on every page of a site (``显示``,
``谢谢您访问〖关注中国中心〗``) or the site's logo in ``<h1>`` (``松花江网``, ``bjreader的博客``).  Each expected
headline below is the one the page shows above its text (its bold line, ``<h2>`` or heading), read from
the page by hand.  The pages whose real title must survive are from several sites whose ``<title>`` is
the only source naming the headline (no second source agrees), so the class rule could wrongly fire on
them.  The pages are extracted once (cached in tests/crawler/extract/test_extract.py).
"""

from __future__ import annotations

import pytest

from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.sitetitle import GENERIC_TITLES, names_the_site
from newswatch.crawler.extract.titles import TitleCandidates
from tests.crawler.extract.test_extract import extracted as zh_extracted

# page id -> (the title its markup names, the headline the page shows)
SITE_NAMED = {
    "cwced-5dc3fa2d": ("显示", "犬儒病(上)"),  # essays of one author, every page titled 显示
    "cwced-caee0a34": ("显示", "比赛革命的革命"),
    "cwced-fddcb19c": ("显示", "路是人走出来的(下)"),
    "cwced-05e98007": ("谢谢您访问〖关注中国中心〗", "茉莉：我是怎样卷入八九民运的"),  # a news site's greeting
    "cwced-6650f72a": ("谢谢您访问〖关注中国中心〗", "孙丰：巴黎举行“‘六、四’意义座谈会”"),
    "cwced-3e1af229": ("松花江网", "土豆不“土” 土豆无“土”"),  # <h1> is the logo, <title> ends with it
    "cwced-ab65832c": ("bjreader的博客", "谁来为无序拆房“埋单”？"),  # a blog's <h1>; the post's <h2> ends "- -"
    # "China-Pub blog--洞庭一叶": the blog's name, its banner above the sidebar; the post's header row names it
    "cwced-c38e2b2d": ("洞庭一叶", "[湖湘文化]陈天华《警世钟》"),
}
# page id -> the headline its <title> names (site suffix removed), no other source agreeing
REAL_TITLES = {
    "cwced-0d931936": "四年前中500万现穷困潦倒 一夜暴富后如何经营",  # sina.com.cn, "__商贸_产业资讯_新浪网"
    "cwced-7c6d2080": "劳伦斯：一个无法定义的“洛克菲勒”",  # sohu.com, "-搜狐财经"
    "cwced-2bac7fb2": "多数夫妻生活有名无实 日本无性婚姻问题严重(图)",  # yahoo.com.cn, "--雅虎新闻"
    "cwced-c268c1b4": "2004中国十大科技骗局 老中医绝食49天居首",
    "cwced-bbdf5079": "孩子：我的奶酪，谁做主",
    "cwced-ecbe8d49": "利益集团左右电力体制改革 华东上调超发电价",
    "cwced-e8847578": "吉林省人民政府关于禁止在吉林省嫩江干流补充治理工程建设征占地范围内新增建设项目和迁入人口的通告",
    "cwced-f70d9c97": "中央军委主席习近平签署命令 发布《军队装备试验鉴定规定》",  # cnr.cn, "_央广网"
}


@pytest.mark.parametrize("page_id", list(SITE_NAMED), ids=list(SITE_NAMED))
def test_a_site_named_title_yields_to_the_headline_the_page_shows(page_id: str) -> None:
    named, headline = SITE_NAMED[page_id]
    found = zh_extracted(page_id)
    assert isinstance(found, Article), found
    assert found.title != named
    assert found.title == headline


@pytest.mark.parametrize("page_id", list(REAL_TITLES), ids=list(REAL_TITLES))
def test_a_real_title_named_by_one_source_only_survives(page_id: str) -> None:
    found = zh_extracted(page_id)
    assert isinstance(found, Article), found
    assert found.title == REAL_TITLES[page_id]


@pytest.mark.parametrize(
    ("text", "found", "site"),
    [
        ("松花江网", TitleCandidates(h1=("松花江网",), title="土豆不“土” 土豆无“土” 松花江网"), True),  # <h1> = tail
        ("Jens Weber", TitleCandidates(title="mediaarchitecture.de // » Jens Weber"), False),  # no <h1> logo
        ("Ischgl", TitleCandidates(h1=("Ischgl",), title="Mountainbike Region Ischgl"), False),  # no separator
        ("新浪", TitleCandidates(site_name="新浪网"), True),  # part of og:site_name
        ("Zweites Deutsches", TitleCandidates(site_name="US-Sport in Zeiten von Corona - ZDFmediathek"), False),
        ("bjreader的博客", TitleCandidates(), True),
        ("谢谢您访问〖关注中国中心〗", TitleCandidates(), True),
        ("Welcome to the Daily Example", TitleCandidates(), True),
        ("土豆不“土” 土豆无“土”", TitleCandidates(title="土豆不“土” 土豆无“土” 松花江网"), False),  # its head
        ("中国互联网发展报告发布", TitleCandidates(site_name="新华网"), False),
        ("谁在写博客", TitleCandidates(), False),
    ],
    ids=["title-tail", "title-tail-no-logo", "title-tail-no-separator", "site-name-part", "long-site-name",
         "blog-name", "greeting", "welcome", "title-head", "headline", "blog-word"],
)
def test_names_the_site(text: str, found: TitleCandidates, site: bool) -> None:
    assert names_the_site(text, found) is site


def test_generic_titles_are_compared_without_spaces_or_case() -> None:
    assert {"显示", "untitleddocument", "无标题文档"} <= GENERIC_TITLES
    assert all(word == word.casefold() and " " not in word for word in GENERIC_TITLES)


def _blog_page(title: str, heading: str, sidebar: str = "") -> str:
    """A blog post page of the platforms' shape: the blog's name in ``<h1>``, the post's title in ``<h2>`` above
    the text, a sidebar box before or after it (invented text)."""
    paragraph = "今天早上去了城东的小公园散步，看到很多人在晨练，空气很好，心情也跟着好了起来。" * 3
    return (f"<html><head><title>{title}</title></head><body><div id='blogTitle'><h1>张三的博客</h1></div>"
            f"<div class='side'><b>{sidebar}</b><a href='/a'>文章分类</a></div>" if sidebar else
            f"<html><head><title>{title}</title></head><body><div id='blogTitle'><h1>张三的博客</h1></div>"
            ) + f"<div class='post'><h2>{heading}</h2><p>{paragraph}</p><p>{paragraph}</p></div></body></html>"


BLOG_TITLES = [
    # the post's title shown above the text is the head of <title>: the blog's name and platform go
    ("sina-blog", "春天的小城_张三_新浪博客", "春天的小城", "春天的小城"),
    ("cnblogs", "Java线程池原理 - 张三 - 博客园", "Java线程池原理", "Java线程池原理"),
    ("netease-blog", "夜读随笔 - 李四的日志 - 网易博客", "夜读随笔", "夜读随笔"),
    # the headline holds the separator and is shown whole: it stays whole
    ("separator-in-headline", "新竹尖石_美樹營地賞楓_张三_新浪博客", "新竹尖石_美樹營地賞楓", "新竹尖石_美樹營地賞楓"),
]


@pytest.mark.parametrize(("title", "heading", "want"), [c[1:] for c in BLOG_TITLES], ids=[c[0] for c in BLOG_TITLES])
def test_a_blog_platform_title_yields_to_the_post_title_shown(title: str, heading: str, want: str) -> None:
    found = extract(_blog_page(title, heading), "https://blog.example.org/s/blog_1.html")
    assert isinstance(found, Article), found
    assert found.title == want


def test_a_title_head_shown_only_in_a_sidebar_is_no_headline() -> None:
    """A bold ``新竹尖石`` in a sidebar box is not the heading above the text: the headline stays whole."""
    page = _blog_page("新竹尖石_美樹營地賞楓_张三_新浪博客", "新竹尖石_美樹營地賞楓", sidebar="新竹尖石")
    found = extract(page, "https://blog.example.org/s/blog_2.html")
    assert isinstance(found, Article), found
    assert found.title == "新竹尖石_美樹營地賞楓"


def test_an_agreed_title_yields_to_its_head_shown_above_the_text() -> None:
    """``og:title`` and ``<title>`` agree on ``标题_作者_新浪博客``; the page shows ``标题`` as the post's heading."""
    page = _blog_page("春天的小城_张三_新浪博客", "春天的小城").replace(
        "<title>", '<meta property="og:title" content="春天的小城_张三_新浪博客"><title>')
    found = extract(page, "https://blog.example.org/s/blog_3.html")
    assert isinstance(found, Article), found
    assert found.title == "春天的小城"
