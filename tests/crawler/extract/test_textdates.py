"""An article's date from its visible text (``crawler.extract.textdates``): the dateline forms under a headline, what is
not a dateline (a sidebar list, body prose, a caption), an encyclopedia page's last revision; and real pages of
several sites (``tests/fixtures/zh_news``, ``tests/fixtures/extraction_eval``: provenance in their READMEs and
index files) whose date only their text gives, or whose markup gives an older edit's."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import newswatch.crawler.extract.article as extract_module
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.byline import Context
from newswatch.crawler.extract.textdates import dates_in, page_date
from tests.crawler.discover.test_canonical import eval_page
from tests.crawler.fixture_site import fixture_bytes

HEADLINE = "某市推进老旧小区改造工程全面启动"
URL = "https://news.example.cn/a/123456.html"
BODY = ("记者从市住建局获悉，今年全市将完成一百个老旧小区的改造任务，涉及居民三万余户。",
        "改造内容包括管网更新、加装电梯和环境整治，预计年底前全部完工。")


def _date(lines: list[str], markup: str | None = None, title: str = HEADLINE) -> str | None:
    text = "\n".join(lines)
    return page_date(Context.build(text, title, BODY), markup, URL, (title,))


@pytest.mark.parametrize(
    ("under", "expected"),
    [
        ("2005-07-18 13:03:17", "2005-07-18"),
        ("2005-07-18 13:03:17 来源：新华网", "2005-07-18"),
        ("2005年7月18日 13:03 来源：人民网", "2005-07-18"),
        ("发布时间：2005-07-18 13:03", "2005-07-18"),
        ("来源：光明网 时间：2005年07月18日", "2005-07-18"),
        ("时间：2005/7/18", "2005-07-18"),
        ("作者：王小明 发表于 2005.07.18", "2005-07-18"),
        ("更新时间：2005-07-18 09:00", "2005-07-18"),
        ("更新时间：2005-07-19 发布时间：2005-07-18", "2005-07-18"),
        ("Published: July 18, 2005", "2005-07-18"),
        ("Updated 18 July 2005, 13:03", "2005-07-18"),
        ("Veröffentlicht am 18. Juli 2005", "2005-07-18"),
        ("发表时间： 18/07/2005 - 13:48", "2005-07-18"),
        ("发表时间： 06/02/2022 - 13:48", None),
        ("2014年11月，某人在马来西亚站的演出现场", None),
        ("2005-02-30 10:00", None),
    ],
    ids=["datetime", "datetime-source", "han-date-time", "published-label", "source-then-time", "time-label",
         "posted-on", "updated-label", "published-over-updated", "english-published", "english-updated",
         "german-published", "day-first", "day-or-month-first-unknown", "caption", "no-such-day"],
)
def test_the_dateline_under_the_headline(under: str, expected: str | None) -> None:
    assert _date(["首页 新闻 社会", HEADLINE, under, *BODY]) == expected


def test_a_headline_split_over_two_lines_and_a_title_with_a_site_suffix_still_find_their_dateline() -> None:
    split = ["首页", HEADLINE[:10], HEADLINE[10:], "发布日期：2022-02-11 08:52", *BODY]
    assert _date(split, title=HEADLINE) == "2022-02-11"
    suffixed = ["首页", HEADLINE, "2022-02-13 09:57", "光明网", *BODY]
    assert _date(suffixed, title=f"{HEADLINE} 松花江网") == "2022-02-13"


@pytest.mark.parametrize(
    "lines",
    [
        [HEADLINE, "相关新闻", "[2005-08-21] 第一条相关新闻", "[2005-08-17] 第二条相关新闻",
         "[2005-08-02] 第三条相关新闻", *BODY],
        [HEADLINE, "从2019年1月1日到2021年12月31日，在自治区权限范围内加大减税力度，降低涉企收费。", *BODY],
        ["今日 2006年12月27日 星期三", "新闻中心", *BODY],
        [HEADLINE, *BODY, "参考资料", "蔡健雅加盟环球开启新纪元 ．网易 [引用日期2017-07-19]"],
    ],
    ids=["sidebar-list", "body-prose", "no-headline-shown", "reference-access-date"],
)
def test_no_dateline_is_made_of(lines: list[str]) -> None:
    assert _date(lines) is None


def test_the_markup_date_comes_before_a_date_not_written_year_first_and_after_a_dateline() -> None:
    assert _date([HEADLINE, "18 July 2005", *BODY], markup="2005-07-20") == "2005-07-20"
    assert _date([HEADLINE, "18 July 2005", *BODY]) == "2005-07-18"
    assert _date([HEADLINE, "2005-07-18 13:03", *BODY], markup="2005-07-20") == "2005-07-18"


def test_an_encyclopedia_page_has_its_last_revision_not_an_older_edit() -> None:
    lines = ["金锺国", *BODY, "本页面最后修订于2022年2月9日 (星期三) 08:16。"]
    assert _date(lines, markup="2011-06-17", title="金锺国") == "2022-02-09"
    blog = [HEADLINE, *BODY, "Last updated: 2022-02-09"]
    assert _date(blog, markup="2011-06-17") == "2011-06-17"  # a page's own update line waits for its markup
    assert _date(blog) == "2022-02-09"


def test_dates_in_reads_every_form() -> None:
    text = "2005-07-18, 2005年7月, 18.07.2005, 7/18/2005 1:03 pm, July 18th, 2005, 18. Jänner 2005, 31.02.2005"
    assert [iso for _s, _e, iso in dates_in(text)] == [
        "2005-07-18", "2005-07", "2005-07-18", "2005-07-18", "2005-07-18", "2005-01-18"]


@pytest.mark.parametrize(
    ("page_id", "expected"),
    [("cwced-3e1af229", "2022-02-13"), ("cwced-d232c5df", "2022-02-11"), ("cwced-0d931936", "2005-03-21")],
    ids=["site-name-h1", "headline-over-two-lines", "dateline"],
)
def test_real_chinese_pages_whose_text_alone_dates_them(page_id: str, expected: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The markup's date withheld: the text near the headline dates these pages (before: no date for the
    first, 2019-01-01 from the body's prose for the second)."""
    monkeypatch.setattr(extract_module, "page_date", lambda context, _markup, url, headlines=(): page_date(
        context, None, url, headlines))
    article = extract(decode_body(fixture_bytes(page_id), None), "http://127.0.0.1:8000/p.html")
    assert isinstance(article, Article) and article.date == expected


@pytest.mark.parametrize(
    "key",
    ["baike.baidu.com", "bfs.de/SharedDocs", "golf.de/i7484", "lsvd.de/de/ct", "womencantalksports", "vipflash.de",
     "handball.ch/de/news"],
    ids=["baike-last-update", "bfs", "golf", "lsvd", "womencantalksports", "vipflash", "handball"],
)
def test_real_pages_of_several_sites_get_their_annotated_date(key: str) -> None:
    """Pages of trafilatura's evaluation set whose annotated date the extraction missed or got wrong before
    (baike.baidu.com: a reference's access date 2017-07-19 instead of the page's last update)."""
    url, body = eval_page(key)
    data = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "extraction_eval" / "evaldata.json")
                      .read_text(encoding="utf-8"))
    article = extract(decode_body(body, None), url)
    assert isinstance(article, Article) and article.date == data[url]["date"]


def test_the_wikipedia_page_reports_its_last_revision() -> None:
    body = gzip.decompress(Path(__file__).resolve().parents[2].joinpath(
        "fixtures", "zh_news", "pages", "cwced-d5bced5e.html.gz").read_bytes())
    article = extract(decode_body(body, None), "https://zh.wikipedia.org/wiki/%E9%87%91%E9%8D%BE%E5%9C%8B")
    assert isinstance(article, Article) and article.date == "2022-02-09"  # before: 2014-11, a caption's
