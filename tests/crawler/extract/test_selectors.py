"""Per-source include/exclude selectors over real pages (tests/fixtures/zh_news): what extraction sees."""

from __future__ import annotations

import gzip
import json
import re

import lxml.html
import pytest

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.rejection import SELECTED_NOTHING, Rejection
from newswatch.crawler.extract.selectors import Selection, compile_selector, select, selector_xpath
from tests.crawler.fixture_site import ZH_NEWS

INDEX = {p["id"]: p for p in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8"))}


def page(page_id: str) -> str:
    return decode_body(gzip.decompress((ZH_NEWS / INDEX[page_id]["file"]).read_bytes()), None)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def body(page_id: str, selection: Selection | None) -> str:
    result = extract(page(page_id), INDEX[page_id].get("url") or "https://news.example.cn/a/1.html", selection)
    assert isinstance(result, Article), result
    return flat(result.body_markdown)


# (page, include, exclude, text that must be kept, text that must be gone): real pages, real page furniture
CASES = {
    # the menu bar that opens this page's body goes without a rule (crawler.extract.navtables); its footer stays
    "include-article-cell-drops-navigation": (
        "cwced-47f387e6", ["#article_content"], [], "很多人都面临着“头皮经常出油", "查报纸网版权所有"),
    "exclude-editor-box": (
        "n4k-chinese_article_002", [], ["#articleEdit"], "据了解，短缺药品信息监测共享正在多维度推进。", "责任编辑"),
    "exclude-by-xpath": (
        "n4k-chinese_article_002", [], ["xpath://div[@id='articleEdit']"], "国家药监局加快短缺药品审评审批进度",
        "纠错"),
    "include-css-and-exclude-inside-it": (
        "n4k-chinese_article_002", ["css:#detail"], ["#articleEdit"], "短缺药品信息监测共享", "张樵苏"),
}


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_selectors_keep_and_drop_parts_of_real_pages(case: str) -> None:
    page_id, include, exclude, kept, gone = CASES[case]
    without = body(page_id, None)
    assert flat(gone) in without, "the control: the text is there without the rule"
    selected = body(page_id, Selection.of(include, exclude))
    assert flat(kept) in selected
    assert flat(gone) not in selected


def test_expected_sentences_survive_an_include() -> None:
    text = body("cwced-47f387e6", Selection.of(["#article_content"]))
    sentences = INDEX["cwced-47f387e6"]["expected"]["body_sentences"][1:]  # [0] is the headline, outside the cell
    assert sentences and all(flat(s) in text for s in sentences)


def test_include_matching_nothing_rejects_the_page() -> None:
    result = extract(page("n4k-chinese_article_002"), "https://www.news.cn/x.htm", Selection.of([".no-such-thing"]))
    assert isinstance(result, Rejection) and result.reason == SELECTED_NOTHING


def test_select_leaves_the_tree_it_is_given_alone() -> None:
    tree = lxml.html.document_fromstring(page("n4k-chinese_article_002"))
    before = lxml.html.tostring(tree)
    selected = select(tree, Selection.of(["#detail"], ["#articleEdit"]) or Selection())
    assert selected is not None and selected is not tree
    assert lxml.html.tostring(tree) == before
    assert selected.find("head") is not None and selected.findtext(".//title"), "the head (title, meta) is kept"


def test_include_keeps_page_order_and_no_nested_duplicates() -> None:
    html = "<html><head><title>t</title></head><body><p id=b>B</p><div id=a>A<p class=x>X</p></div></body></html>"
    tree = lxml.html.document_fromstring(html)
    selected = select(tree, Selection.of(["#a", "#b", ".x"]) or Selection())
    assert selected is not None
    assert flat(selected.find("body").text_content()) == "BAX"


@pytest.mark.parametrize(
    ("selector", "xpath"),
    [("div.content", "descendant-or-self::div[@class and "),
     ("xpath://div[@id='x']", "//div[@id='x']"), ("//article", "//article"), ("(//p)[1]", "(//p)[1]"),
     ("css:#main", "descendant-or-self::*[@id = 'main']")],
    ids=["css", "xpath-prefix", "xpath-slash", "xpath-paren", "css-prefix"],
)
def test_selector_kinds(selector: str, xpath: str) -> None:
    assert selector_xpath(selector).startswith(xpath)


@pytest.mark.parametrize(
    ("selector", "reason"),
    [("div[", "not a CSS selector"), ("xpath://div[", "not a valid XPath"), ("xpath:count(//p)", "selects a value"),
     ("", "empty selector"), ("p" * 1001, "longer than")],
    ids=["bad-css", "bad-xpath", "xpath-value", "empty", "too-long"],
)
def test_bad_selectors_say_why(selector: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_selector(selector)
