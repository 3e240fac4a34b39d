"""Classes of page, not single pages (issue 21): list pages rejected, title-less table layouts titled.

``tests/fixtures/page_classes/`` holds list pages of several kinds (forum boards of three forum
engines, two search result pages, two tag archives) and 2005-era table-layout pages without
``<title>`` in several sites' styles, each reproducing a real template (see its README and
``index.json``).  On the real pages of ``tests/fixtures/zh_news`` (``cwced-*`` are real table layouts of
that era) and on trafilatura's evaluation set (tests/crawler/extract/test_extraction_eval.py) the same rules
must keep every article.  Nothing in crawler/ knows these pages.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.navtables import is_breadcrumb, is_menu
from newswatch.crawler.extract.rejection import LIST_PAGE, Rejection
from tests.crawler.extract.test_extract import extracted as zh_extracted
from tests.crawler.test_encoding import PAGES as ZH_PAGES

CLASSES = Path(__file__).resolve().parents[2] / "fixtures" / "page_classes"
INDEX: list[dict[str, Any]] = json.loads((CLASSES / "index.json").read_text(encoding="utf-8"))
LISTS = [page for page in INDEX if page["kind"] == "list"]
ARTICLES = [page for page in INDEX if page["kind"] == "article"]
ZH_ARTICLES = [page for page in ZH_PAGES if page["page_type"] == "article"]
_CELL = re.compile(r"(?<!\\)\|")


def _id(page: dict[str, Any]) -> str:
    return str(page["file"]).removeprefix("pages/").removesuffix(".html")


@cache
def result(file: str) -> Article | Rejection:
    page = next(page for page in INDEX if page["file"] == file)
    return extract(decode_body((CLASSES / file).read_bytes(), "text/html"), page["url"])


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("page", LISTS, ids=_id)
def test_list_page_is_rejected(page: dict[str, Any]) -> None:
    found = result(page["file"])
    assert isinstance(found, Rejection) and found.reason == LIST_PAGE, found


@pytest.mark.parametrize("page", ARTICLES, ids=_id)
def test_table_layout_article_has_its_title_and_starts_with_its_text(page: dict[str, Any]) -> None:
    found = result(page["file"])
    assert isinstance(found, Article), found
    assert found.title == page["title"]
    assert flat(found.body_markdown).startswith(flat(page["starts_with"])), found.body_markdown[:200]


@pytest.mark.parametrize("page", ZH_ARTICLES, ids=[page["id"] for page in ZH_ARTICLES])
def test_real_article_has_a_title_and_opens_with_no_menu_or_breadcrumb(page: dict[str, Any]) -> None:
    found = zh_extracted(page["id"])
    assert isinstance(found, Article) and found.title, found
    first = next(line for line in markdown_to_text(found.body_markdown).splitlines() if line.strip())
    raw = next(line for line in found.body_markdown.splitlines() if line.strip())
    cells = _CELL.split(raw.strip().strip("|")) if raw.lstrip().startswith("|") else [first]
    assert not any(is_menu(cell) or is_breadcrumb(cell) for cell in cells), first


def test_the_real_table_layout_without_title_gets_its_headline() -> None:
    """cwced-c3f7d079 (a real 2005 page of qianlong.com's women and children section) has no <title>, no
    <h1>: its headline is the bold line that opens the report."""
    found = zh_extracted("cwced-c3f7d079")
    assert isinstance(found, Article)
    assert found.title == "北京市儿童(13-15岁)心理素质发展现状调查研究报告"
    assert markdown_to_text(found.body_markdown).startswith("北京市儿童(13-15岁)心理素质发展现状调查研究报告")
