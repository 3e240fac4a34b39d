"""crawler.extract.titles: the headline by agreement, on constructed candidate sets and on real pages.

The broken-quote case is a real 163.com page of tests/fixtures/zh_news (``gerapy-netease_news1``)
with its ``og:title`` rewritten the way pages saved with an unescaped ``"`` in the attribute read:
``content="前半"引号"后半"`` parses as ``前半`` (an attribute that stops at the second quote).
"""

from __future__ import annotations

import pytest

from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.titles import (
    TitleCandidates,
    choose_title,
    fallback_title,
    strip_heading_label,
    strip_label,
    title_variants,
)
from tests.crawler.test_encoding import PAGES, crawler_text, fixture_url

CASES = [
    ("broken-quote-og", TitleCandidates(og="标题前半", h1=('标题前半"引号"后半',),
     title='标题前半"引号"后半_网易新闻'),
     '标题前半"引号"后半'),
    ("broken-quote-og-and-twitter",
     TitleCandidates(og="标题前半", twitter="标题前半", h1=('标题前半"引号"后半',),
     title='标题前半"引号"后半_网易新闻'),
     '标题前半"引号"后半'),
    ("broken-quote-no-h1", TitleCandidates(og="标题前半", title='标题前半"引号"后半_网易新闻'), '标题前半"引号"后半'),
    ("og-and-title-agree", TitleCandidates(og="外国专家：合作共赢", title="外国专家：合作共赢 - 中国日报网"),
     "外国专家：合作共赢"),
    ("h1-and-title-beat-section-prefixed-og",
     TitleCandidates(og="法国报纸摘要 - 马克龙会面", headline="法国报纸摘要 - 马克龙会面", h1=("马克龙会面",),
                     title="马克龙会面 - 法国报纸摘要"), "马克龙会面"),
    ("logo-h1-is-not-the-headline",
     TitleCandidates(h1=("松花江网", "土豆不土"), title="土豆不土_松花江网"), "土豆不土"),
    ("site-name-h1-is-not-the-headline",
     TitleCandidates(og="真正的标题", h1=("某某网",), title="真正的标题", site_name="某某网"), "真正的标题"),
    ("whitespace-aside", TitleCandidates(og="短缺药品保供稳价  全力保障", h1=("短缺药品保供稳价 全力保障",)),
     "短缺药品保供稳价 全力保障"),
    ("title-with-suffix-alone-agrees-with-nothing", TitleCandidates(title="标题_科技_腾讯网"), None),
    ("nothing", TitleCandidates(), None),
    ("deeper-suffix", TitleCandidates(h1=("标题正文",), title="标题正文_科技_腾讯网"), "标题正文"),
]


@pytest.mark.parametrize(("found", "want"), [(found, want) for _, found, want in CASES], ids=[c[0] for c in CASES])
def test_choose_title(found: TitleCandidates, want: str | None) -> None:
    assert choose_title(found) == want


def test_title_variants() -> None:
    assert title_variants("A标题_科技_腾讯网") == ["A标题_科技_腾讯网", "A标题_科技", "A标题"]
    assert title_variants("没有后缀") == ["没有后缀"]


def _page(page_id: str) -> dict[str, object]:
    return next(page for page in PAGES if page["id"] == page_id)


NETEASE = "gerapy-netease_news1"
NETEASE_TITLE = "美国新冠肺炎确诊病例超278万例 死亡129227例"


QUOTED = NETEASE_TITLE.replace("死亡", '"死亡"')  # a headline quoting a word


def broken_quote(html: str) -> str:
    """The 163.com page with a quote in its headline, written unescaped everywhere (so in og:title too)."""
    return html.replace(NETEASE_TITLE, QUOTED)


def test_broken_quote_og_title_on_a_real_163_page() -> None:
    html = broken_quote(crawler_text(NETEASE))
    assert f'<meta property="og:title" content="{QUOTED}">' in html  # og:title reads "美国…278万例 "
    result = extract(html, fixture_url(_page(NETEASE)))
    assert isinstance(result, Article), result
    assert result.title == QUOTED


def test_intact_163_page_keeps_its_headline() -> None:
    result = extract(crawler_text(NETEASE), fixture_url(_page(NETEASE)))
    assert isinstance(result, Article) and result.title == NETEASE_TITLE


@pytest.mark.parametrize(("title", "want"), [
    ("原创 最不愁吃肉的国家：人口两千多万", "最不愁吃肉的国家：人口两千多万"),
    ("【原创】标题在此", "标题在此"),
    ("[转载] 标题在此", "标题在此"),
    ("独家 原创 标题在此", "标题在此"),
    ("视频 标题在此", "标题在此"),
    ("【视频】石榴花开", "【视频】石榴花开"),  # a tag glued to the headline is the headline's word
    ("原创音乐剧首演", "原创音乐剧首演"),  # a headline word, not a label
    ("原创", "原创"),
    ("主题: 【2005年中国革命历史巨作】【太行山上】", "【2005年中国革命历史巨作】【太行山上】"),  # a Discuz post
    ("标题：市政府召开常务会议", "市政府召开常务会议"),
    ("主题公园暑期客流创新高", "主题公园暑期客流创新高"),  # a headline word, no colon
    ("标题党：新闻的另一面", "标题党：新闻的另一面"),
], ids=["word-apart", "bracketed-status", "square-brackets", "two-labels", "content-word-apart", "glued-tag",
        "headline-word", "label-only", "field-name-forum", "field-name-fullwidth", "field-word-in-headline",
        "field-word-then-colon-later"])
def test_strip_label(title: str, want: str) -> None:
    assert strip_label(title) == want


def test_a_label_in_h1_does_not_outvote_the_other_sources() -> None:
    found = TitleCandidates(h1=("原创 最不愁吃肉的国家",), title="最不愁吃肉的国家 - 今日头条")
    assert choose_title(found) == "最不愁吃肉的国家"
    assert strip_heading_label("# 原创最不愁吃肉的国家\n\n正文", "最不愁吃肉的国家") == "# 最不愁吃肉的国家\n\n正文"


@pytest.mark.parametrize(("found", "markdown", "page_text", "want"), [
    (TitleCandidates(h1=("页面主标题",)), "正文第一句。", "", "页面主标题"),
    (TitleCandidates(strong=("栏目导航", "新型主战坦克完成高原寒区试验")), "本报讯 经过三个月的试验，指标达到要求。",
     "栏目导航\n新型主战坦克完成高原寒区试验\n2005年11月23日\n本报讯 经过三个月的试验，指标达到要求。",
     "新型主战坦克完成高原寒区试验"),
    (TitleCandidates(strong=("很远的一个加粗标题",)), "正文开头的一句话。",
     "很远的一个加粗标题\n" + "侧栏" * 150 + "\n正文开头的一句话。", "正文开头的一句话。"),
    (TitleCandidates(), "**报告的标题**\n\n正文。", "", "报告的标题"),
    (TitleCandidates(), "教育局：现将有关事项通知如下。一、加强管理。", "", "教育局：现将有关事项通知如下。"),
    (TitleCandidates(), "1月20日，洛阳职业技术学院文化与旅游学院党总支在学院报告厅举办剪廉洁窗花过廉洁之年活动，"
     "师生百余人参加。",
     "", "1月20日，洛阳职业技术学院文化与旅游学院党总支在学院报告厅举办剪廉洁窗花过廉洁…"),
    (TitleCandidates(), "据了解，短缺药品信息监测共享正在多维度推进，国家卫生健康委依托全国公立医疗卫生机构"
     "短缺药品信息直报系统开展监测。",
     "", "据了解，短缺药品信息监测共享正在多维度推进"),
    (TitleCandidates(), "The council voted on Tuesday night to delay the budget until the auditors reported back.", "",
     "The council voted on Tuesday night to…"),
], ids=["h1", "bold-just-above", "bold-too-far-above", "bold-line", "first-sentence", "long-sentence-cut-at-40",
        "long-sentence-clauses", "long-latin-sentence"])
def test_fallback_title(found: TitleCandidates, markdown: str, page_text: str, want: str) -> None:
    assert fallback_title(found, markdown, page_text) == want
