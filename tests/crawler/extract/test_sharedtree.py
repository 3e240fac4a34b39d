"""The tree handed to trafilatura (crawler.extract.sharedtree) is the one trafilatura would parse itself,
element by element, on every fixture page it is made for; and it is made for most of them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.body import as_document
from newswatch.crawler.extract.sharedtree import _same_parse, trafilatura_tree
from newswatch.crawler.htmltree import parse_html, without_controls

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ZH_NEWS = [(f"zh_news/{page['id']}", FIXTURES / "zh_news" / page["file"])
           for page in json.loads((FIXTURES / "zh_news" / "index.json").read_text(encoding="utf-8"))]
EVAL = [(f"eval/{entry['file']}", FIXTURES / "extraction_eval" / entry["file"])
        for entry in json.loads((FIXTURES / "extraction_eval" / "evaldata.json").read_text(encoding="utf-8")).values()]
PAGES = ZH_NEWS + EVAL[::3]  # bench/bench_identity.py compares the extraction itself on every page
MIN_SHARED = 0.9  # of these pages, this share gets the shared tree (all 1,006 fixture pages: 960)


def _html(file: Path) -> str:
    return without_controls(decode_body(gzip.decompress(file.read_bytes()), "text/html"))


def _nodes(tree: HtmlElement) -> list[tuple[Any, ...]]:
    return [(node.tag, node.text, node.tail, dict(node.attrib)) for node in tree.iter()]


def _shared(html: str) -> HtmlElement | None:
    tree = parse_html(html)
    return trafilatura_tree(tree, html) if tree is not None else None


# the text test alone (no parse) tells, at collection, the pages the tree is made for from the others
SHARED = [(name, file) for name, file in PAGES if _same_parse(_html(file))]
DECLINED = [(name, file) for name, file in PAGES if (name, file) not in SHARED]


@pytest.mark.parametrize(("name", "file"), SHARED, ids=[name for name, _ in SHARED])
def test_the_shared_tree_is_trafilaturas_own(name: str, file: Path) -> None:
    html = _html(file)
    shared = _shared(html)
    assert shared is not None
    own = load_html(as_document(html))
    assert own is not None
    assert _nodes(shared) == _nodes(own)
    assert etree.tostring(shared, method="html") == etree.tostring(own, method="html")


@pytest.mark.parametrize(("name", "file"), DECLINED, ids=[name for name, _ in DECLINED])
def test_a_page_whose_parse_could_differ_gets_no_tree(name: str, file: Path) -> None:
    """The caller then hands trafilatura the text, as before the shared tree."""
    assert _shared(_html(file)) is None


def test_most_pages_get_the_shared_tree() -> None:
    shared = sum(1 for _, file in PAGES if _shared(_html(file)) is not None)
    assert shared >= MIN_SHARED * len(PAGES)


CASES = {
    "comments and processing instructions dropped": (
        "<html><body><p>a<!-- note -->b</p><?php x ?><div>c</div></body></html>", True),
    "doctype naming a DTD": (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
        "<html><head><title>t</title></head><body><p>x</p></body></html>", True),
    "fragment": ("<div><p>a</p><p>b</p></div>", False),
    "comment before the document": ("<!-- generated --><html><body><p>a</p></body></html>", False),
    "a character XML refuses": ("<html><body><p>a\ufffeb</p></body></html>", False),
    "self-closing html": ('<html lang="en"/>\n<body><p>a</p></body>', False),
}


@pytest.mark.parametrize(("html", "made"), CASES.values(), ids=CASES.keys())
def test_made_only_where_trafilatura_would_parse_the_same(html: str, made: bool) -> None:
    shared = _shared(html)
    assert (shared is not None) is made
    if shared is not None:
        own = load_html(as_document(html))
        assert own is not None
        assert _nodes(shared) == _nodes(own)
        assert all(isinstance(node.tag, str) for node in shared.iter())
