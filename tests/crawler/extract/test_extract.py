"""crawler.extract.article over every page of tests/fixtures/zh_news, plus constructed edge cases.

Each page is decoded as the crawler decodes it (tests/crawler/test_encoding.py: ``crawler_text``)
and extracted once (cached); the per-aspect tests below are parametrized by page id.  Expectations
come from index.json only; nothing in crawler/ knows a fixture id.

Comparisons: body sentences, titles and authors are compared with all whitespace removed on both
sides.  ``UNKNOWN`` (and the upstream typo ``UNKNWON``) or an empty value means "not on the page":
nothing is asserted.  Readability's ``byline`` and ``excerpt`` are not asserted: they are
Readability.js heuristics (e.g. byline "青网校园崔宁宁" glues a source to a name), not ground truth.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import pytest

from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.byline import url_date
from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.rejection import (
    CONSENT_PAGE,
    EMPTY,
    ERROR_PAGE,
    LIST_PAGE,
    REASONS,
    TOO_LITTLE_TEXT,
    Rejection,
)
from newswatch.storage.errors import ExtractionRejected
from tests.crawler.test_encoding import MOJIBAKE, PAGES, crawler_text, fixture_url, reference_text

NOT_ON_PAGE = {"UNKNOWN", "UNKNWON", ""}
TITLE_SUFFIX_SEPARATORS = "_|｜-–—:：@"

# Fixture expectations an honest extractor does not meet; each is one (test, page) pair and strict.
XFAIL = {
    ("body", "cwced-d5bced5e"): "2 of the 4 annotated sentences are Wikipedia's maintenance banner and "
    "category footer, boilerplate the extractor is right to drop",
    ("body", "cwced-e8847578"): "2 of the 4 annotated sentences are the government site's metadata table "
    "(索引号/发文机关/成文日期), not the notice; issuer and date are returned as metadata instead",
    ("author", "cwced-05e98007"): "pen name alone on a line ('茉莉'); an unlabelled bare line is only taken "
    "as a byline when it starts with a common Chinese surname (precision over recall)",
    ("author", "cwced-35687fb1"): "blog owner's name appears only in the sidebar profile ('太小心 [作者简介]'), "
    "not as a byline",
    ("date", "cwced-05e98007"): "annotation reads '7/5/2005 9:23:57 PM' as 7 May; the same site writes "
    "'9/17/2004 5:54:13 AM' (month first) and the text says 2005年07月03日, so it is 5 July",
    ("date", "cwced-35687fb1"): "annotation took the site's 'today' banner 2006年12月27日（京港台时间）; "
    "the post itself is dated 'Saturday, September 10th, 2005'",
    ("date", "cwced-c3f7d079"): "page shows the posting time 2005-03-06 16:17 under the headline; the "
    "annotation takes the report's own date (2003年5月) from its first paragraph",
    ("date", "cwced-d5bced5e"): "Wikipedia article: the annotated date is a maintenance template's "
    "'(2020年4月17日)'; there is no publication date, and the extractor reports the page's last revision "
    "(本页面最后修订于2022年2月9日, crawler.extract.textdates)",
    ("date", "cwced-e8847578"): "two dates: annotation = 成文日期 2022-01-27 (document date); the "
    "extractor reports 发布日期 2022-01-28, the publication date shown under the headline",
}


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def extracted(page_id: str) -> Article | Rejection:
    page = next(page for page in PAGES if page["id"] == page_id)
    return extract(crawler_text(page_id), fixture_url(page))


def params(aspect: str, pages: list[dict[str, Any]]) -> list[Any]:
    return [
        pytest.param(
            page,
            id=page["id"],
            marks=[pytest.mark.xfail(strict=True, reason=XFAIL[aspect, page["id"]])]
            if (aspect, page["id"]) in XFAIL
            else [],
        )
        for page in pages
    ]


def expected(page: dict[str, Any]) -> dict[str, Any]:
    return dict(page.get("expected") or {})


def article_of(page: dict[str, Any]) -> Article:
    result = extracted(page["id"])
    assert isinstance(result, Article), result
    return result


ARTICLES = [page for page in PAGES if page["page_type"] == "article"]
WITH_SENTENCES = [page for page in ARTICLES if expected(page).get("body_sentences")]
WITH_TITLE = [page for page in ARTICLES if expected(page).get("title")]
WITH_AUTHOR = [page for page in ARTICLES if (expected(page).get("author") or "").strip() not in NOT_ON_PAGE]
WITH_DATE = [
    page
    for page in ARTICLES
    if (expected(page).get("date") or expected(page).get("publish_date") or "") not in NOT_ON_PAGE
]


# --- per page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", params("kind", PAGES))
def test_page_kind(page: dict[str, Any]) -> None:
    result = extracted(page["id"])
    if page["page_type"] == "article":
        assert isinstance(result, Article), result
    elif page["page_type"] == "list":
        assert isinstance(result, Rejection) and result.reason == LIST_PAGE, result
    elif page["page_type"] == "error":
        assert isinstance(result, Rejection) and result.reason == ERROR_PAGE, result
        assert expected(page)["contains_text"] in crawler_text(page["id"])
    else:  # homepage-head: the <head> of a home page, no body -- not an article
        assert page["page_type"] == "homepage-head"
        assert isinstance(result, Rejection) and result.reason in (EMPTY, TOO_LITTLE_TEXT), result
        assert result.title == expected(page)["title"]
        assert (result.description or "").startswith(expected(page)["description_startswith"])


@pytest.mark.parametrize("page", params("title", WITH_TITLE))
def test_title(page: dict[str, Any]) -> None:
    """Same title, allowing one side to carry the site's suffix ("…_科技_腾讯网", "…-新华网")."""
    got, want = norm(article_of(page).title or ""), norm(expected(page)["title"])
    short, long = sorted((got, want), key=len)
    assert got == want or (
        len(short) >= 4 and long.startswith(short) and long[len(short)] in TITLE_SUFFIX_SEPARATORS
    ), (got, want)


@pytest.mark.parametrize("page", params("body", WITH_SENTENCES))
def test_body_sentences(page: dict[str, Any]) -> None:
    """At least 3 of 4 annotated sentences (all of them when there are fewer than 4) appear in
    the article's text (title + body); none of the sentences annotated as absent do."""
    article = article_of(page)
    text = norm(f"{article.title or ''}\n{markdown_to_text(article.body_markdown)}")
    sentences = expected(page)["body_sentences"]
    missing = [sentence for sentence in sentences if norm(sentence) not in text]
    assert len(sentences) - len(missing) >= len(sentences) - len(sentences) // 4, missing
    present = [s for s in expected(page).get("absent_sentences", []) if norm(s) in text]
    assert not present, present


@pytest.mark.parametrize("page", params("author", WITH_AUTHOR))
def test_author(page: dict[str, Any]) -> None:
    """Same names in the same order; separators (spaces, "; ", "、") do not matter."""
    got = re.sub(r"[\s;；,，、]+", "", article_of(page).author or "")
    assert got == norm(expected(page)["author"])


@pytest.mark.parametrize("page", params("date", WITH_DATE))
def test_date(page: dict[str, Any]) -> None:
    """The article's ISO date agrees with the annotated one to the annotation's precision."""
    annotated = str(expected(page).get("date") or expected(page)["publish_date"])
    parts = re.findall(r"\d+", annotated)[:3]
    want = "-".join([parts[0], *(f"{int(part):02d}" for part in parts[1:])])
    got = article_of(page).date or ""
    assert got == want or got.startswith(f"{want}-"), (got, annotated)


@pytest.mark.parametrize("page", params("text", ARTICLES))
def test_article_text_is_clean(page: dict[str, Any]) -> None:
    """No mojibake, no more U+FFFD than the page's own bytes carry, Chinese detected, and the
    YAML header trafilatura writes is gone."""
    article = article_of(page)
    text = f"{article.title or ''}\n{article.body_markdown}"
    assert not MOJIBAKE.search(text), MOJIBAKE.search(text)
    assert text.count("\ufffd") <= reference_text(page).count("\ufffd")
    assert article.language == "zh"
    assert not article.body_markdown.startswith("---")
    assert "fingerprint:" not in article.body_markdown[:300]
    assert re.fullmatch(r"[0-9a-f]{1,16}", article.fingerprint)
    assert article.extractor == "trafilatura" and article.extractor_version
    assert article.url == fixture_url(page)


def test_meta_description_is_kept() -> None:
    """goose3's reference output for the BBC page gives its meta description."""
    page = next(page for page in PAGES if expected(page).get("meta_description"))
    assert article_of(page).description == expected(page)["meta_description"]


def test_time_per_page(capsys: pytest.CaptureFixture[str]) -> None:
    """Measured once and printed, never asserted (extraction is CPU-bound: its time is the machine's)."""
    texts = [(crawler_text(page["id"]), fixture_url(page)) for page in PAGES]
    extract(*texts[0])  # warm-up: model and configuration loading
    timings = []
    for text, url in texts:
        start = time.perf_counter()
        extract(text, url)
        timings.append(time.perf_counter() - start)
    timings.sort()
    with capsys.disabled():
        print(
            f"\nextract(): {len(timings)} pages, mean {1000 * sum(timings) / len(timings):.0f} ms, "
            f"median {1000 * timings[len(timings) // 2]:.0f} ms, max {1000 * timings[-1]:.0f} ms"
        )


# --- constructed pages: the heuristics, without fixture knowledge --------------------------------

PROSE = (
    "国家统计局今天发布数据显示，今年前三季度国内生产总值同比增长百分之五，经济运行总体平稳。"
    "专家表示，消费需求持续恢复，投资结构不断优化，外贸展现较强韧性，就业形势保持稳定。"
)


def _page(body: str, title: str = "测试页面", lang: str = "zh-CN") -> str:
    head = f'<meta charset="utf-8"><title>{title}</title>'
    return f'<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def test_article_with_heavy_navigation_is_an_article() -> None:
    nav = "".join(f'<li><a href="/c/{i}">栏目频道名称第{i}个</a></li>' for i in range(80))
    body = f"<ul>{nav}</ul><article><h1>经济运行总体平稳</h1>" + f"<p>{PROSE}</p>" * 4 + "</article>"
    result = extract(_page(body, "经济运行总体平稳_新闻网"), "https://news.example.cn/a/1.html")
    assert isinstance(result, Article), result
    assert result.title == "经济运行总体平稳"
    assert norm(PROSE) in norm(markdown_to_text(result.body_markdown))


def test_headline_list_is_a_list_page() -> None:
    headline = "条新闻标题：某地举行重要会议部署下一阶段工作"
    items = "".join(
        f'<li><a href="/a/{i}.html">第{i}{headline}</a> <span>10-{i % 28 + 1:02d}</span></li>' for i in range(60)
    )
    result = extract(_page(f"<h1>滚动新闻</h1><ul>{items}</ul>"), "https://news.example.cn/list/")
    assert isinstance(result, Rejection) and result.reason == LIST_PAGE, result


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<h1>404 Not Found</h1><p>您访问的页面不存在，请返回首页。</p>", ERROR_PAGE),
        ("<p>该内容已被删除</p>", ERROR_PAGE),
        ("<div>请输入验证码以继续访问</div><img src='/captcha.png'>", CONSENT_PAGE),
        ("<p>We use cookies. Accept all cookies to continue.</p>", CONSENT_PAGE),
        ("<p>短短一句话。</p>", TOO_LITTLE_TEXT),
        ("", EMPTY),
    ],
    ids=["404", "deleted", "captcha", "cookie-wall", "short", "no-body"],
)
def test_notice_and_short_pages_are_rejected(body: str, reason: str) -> None:
    result = extract(_page(body), "https://news.example.cn/x")
    assert isinstance(result, Rejection) and result.reason == reason, result
    assert result.reason in REASONS


def test_an_article_quoting_an_error_phrase_is_still_an_article() -> None:
    body = f"<h1>网站整改</h1><p>{PROSE}部分网页显示“页面不存在”，技术人员正在修复。</p>" + f"<p>{PROSE}</p>" * 3
    assert isinstance(extract(_page(body), "https://news.example.cn/a/2.html"), Article)


@pytest.mark.parametrize("markup", ["", "   ", "\n"])
def test_empty_markup(markup: str) -> None:
    result = extract(markup, "https://news.example.cn/x")
    assert isinstance(result, Rejection) and result.reason == EMPTY


def test_dateline_byline_and_site_suffix() -> None:
    body = (
        "<h1>某市推进老旧小区改造</h1><div>2024年3月5日 09:30　来源：某某日报</div>"
        "<p>本报记者 王小明 李华</p>" + f"<p>{PROSE}</p>" * 3 + "<p>（责任编辑：赵六）</p>"
    )
    result = extract(_page(body, "某市推进老旧小区改造-某某网"), "https://news.example.cn/a/3.html")
    assert isinstance(result, Article), result
    assert (result.title, result.date, result.author) == ("某市推进老旧小区改造", "2024-03-05", "王小明; 李华")


def test_fragment_without_html_root_is_extracted() -> None:
    fragment = '<text id="x"><div><h1>标题在此处</h1>' + f"<p>{PROSE}</p>" * 3 + "</div></text>"
    assert isinstance(extract(fragment, "https://news.example.cn/a/4.html"), Article)


def test_rejection_converts_to_the_project_error() -> None:
    error = Rejection(LIST_PAGE, "prose 0.00").to_error()
    assert isinstance(error, ExtractionRejected)
    assert (error.reason, error.detail) == (LIST_PAGE, "prose 0.00")


def test_markdown_to_text() -> None:
    markdown = (
        "# 标题\n\n**加粗**的文字\\_下划线\\*星号 1\\. 不是列表\n\n"
        "| 列一 | 列二 |\n|---|---|\n| 甲 | 乙\\|丙 |\n\n- 条目<sup>\\[1\\]</sup>\n> 引用\n\n"
        "100. Ray Gillen\n- `YAGNA_PAYMENT_DRIVER`, *driver*"
    )
    assert markdown_to_text(markdown).splitlines() == [
        "标题",
        "加粗的文字_下划线*星号 1. 不是列表",
        "列一 列二",
        "甲 乙|丙",
        "条目[1]",
        "引用",
        "100. Ray Gillen",
        "YAGNA_PAYMENT_DRIVER, driver",
    ]


def test_language_from_text_when_not_declared() -> None:
    html = "<html><head><title>t</title></head><body>" + f"<p>{PROSE}</p>" * 3 + "</body></html>"
    result = extract(html, "https://news.example.cn/a/5.html")
    assert isinstance(result, Article) and result.language == "zh"


def test_template_language_contradicted_by_the_text() -> None:
    result = extract(_page(f"<p>{PROSE}</p>" * 3, lang="en"), "https://news.example.cn/a/6.html")
    assert isinstance(result, Article) and result.language == "zh"


def test_declared_language_is_kept() -> None:
    text = "<p>Le gouvernement a présenté mercredi un projet de loi sur le logement et les loyers.</p>" * 4
    result = extract(_page(text, lang="fr-FR"), "https://news.example.fr/a/7.html")
    assert isinstance(result, Article) and result.language == "fr"


def test_xhtml_with_xml_declaration() -> None:
    html = '<?xml version="1.0" encoding="utf-8"?>\n' + _page(f"<h1>标题在此处</h1><p>{PROSE}</p>" * 2)
    result = extract(html, "https://news.example.cn/a/8.html")
    assert isinstance(result, Article), result


def test_wechat_date_timezone_helper_agrees_with_index() -> None:
    """Sanity check of the fixture's own WeChat ids (the article tests live in test_wechat.py)."""
    cst = timezone(timedelta(hours=8))
    for page in PAGES:
        if ids := page.get("wechat_ids"):
            shown = datetime.fromtimestamp(expected(page)["publish_ts"], tz=UTC).astimezone(cst).date()
            assert shown.isoformat() == ids["publish_time"]


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("http://127.0.0.1:8080/2023/11/17/a.html", "2023-11-17"),
        ("http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", "2023-11-17"),
        ("https://example.com/news/20220213/story.html", "2022-02-13"),
        ("https://example.com/2023/02/30/not-a-day.html", None),
        ("https://example.com/news/some-story.html", None),
        ("", None),
    ],
    ids=["slashes", "news.cn", "compact", "impossible-day", "no-date", "empty"],
)
def test_url_date(url: str, want: str | None) -> None:
    assert url_date(url) == want


def test_a_date_only_the_url_gives_comes_after_the_pages_own() -> None:
    """A real page (cwced-d232c5df, dateline 2022-02-11 under its headline) served at a URL dated otherwise."""
    page = next(page for page in PAGES if page["id"] == "cwced-d232c5df")
    result = extract(crawler_text(page["id"]), "http://127.0.0.1:8080/2023/11/17/a.html")
    assert isinstance(result, Article) and result.date == "2022-02-11"
    bare = extract(_PROSE_PAGE, "http://127.0.0.1:8080/2023/11/17/a.html")
    assert isinstance(bare, Article) and bare.date == "2023-11-17"  # nothing else on the page: the URL's


_SENTENCE = "<p>这是一个完整的句子，讲述了一件事情，并且还有更多的内容。</p>"
_PROSE_PAGE = f"<html><body><article>{_SENTENCE * 5}</article></body></html>"


def test_control_characters_do_not_stop_extraction() -> None:
    result = extract(_PROSE_PAGE.replace("讲述", "讲\x0b述\x00"), "https://example.com/a.html")
    assert isinstance(result, Article) and "讲述" in result.body_markdown


def test_noscript_left_open_does_not_hide_the_page() -> None:
    """``<noscript><div></noscript>`` (a real Italian park site): the parser puts the page inside it."""
    long = _PROSE_PAGE.replace("<article>", "<article>" + _SENTENCE.replace("这是", "那是") * 80)
    page = long.replace("<body>", '<body><noscript><div id="nojs"></noscript>')
    result = extract(page, "https://example.com/a.html")
    assert isinstance(result, Article), result


def test_a_page_declaring_itself_an_article_is_not_a_list_page() -> None:
    """Link-heavy blog post: every line is a link, but og:type and a publication time say it is one post."""
    links = "".join(f'<li><a href="/p{i}">Studie zweifelt an Stütze vom Staat {i}</a></li>' for i in range(12))
    body = f"<html><head>{{head}}</head><body><ul>{links}</ul><nav>{links}</nav></body></html>"
    head = '<meta property="og:type" content="article"><meta property="article:published_time" content="2020-01-23">'
    declared = extract(body.format(head=head), "https://blog.example.org/2020/01/23/links/")
    assert isinstance(declared, Article), declared
    undeclared = extract(body.format(head=""), "https://blog.example.org/2020/01/23/links/")
    assert isinstance(undeclared, Rejection) and undeclared.reason == LIST_PAGE, undeclared
