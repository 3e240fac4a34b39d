"""The page's one parse, shared with trafilatura: the tree trafilatura would build from the document, made
from ours instead of parsed a second time.

trafilatura's ``load_html`` parses a string with its own parser (comments and processing instructions
dropped), after a repair of the text (characters XML refuses dropped, a self-closing ``<html/>`` opened, a
DOCTYPE naming a DTD dropped: the document's DOCTYPE is no element, and a tree handed to trafilatura is
copied, without it, before anything reads it); handed a tree, it takes it as it is. Our tree
(:func:`crawler.htmltree.parse_html`, the default parser) is the same tree with the comments and processing
instructions in it, when lxml takes the text for a whole document and the repair changes no element.
:func:`trafilatura_tree` gives a copy of ours without them then (a copy and a strip cost about a quarter of
a parse) and ``None`` otherwise: the caller hands trafilatura the text, as before. Taken before
:func:`crawler.extract.rawpage.read_page`, which changes the tree. ``tests/crawler/extract/test_sharedtree.py``
compares the two trees, element by element, on every fixture page.
"""

from __future__ import annotations

import copy
import re

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["trafilatura_tree"]

_FULL_DOCUMENT = re.compile(r"^\s*<(?:html|!doctype)", re.I)  # lxml.html.fromstring's test for a document
_NOT_XML = ("\ufffe", "\uffff")  # trafilatura drops them from the text (the C0 controls are gone already)


def trafilatura_tree(tree: HtmlElement, html: str) -> HtmlElement | None:
    """A copy of ``tree`` (``parse_html(html)``, not yet changed) as trafilatura's ``load_html(html)`` would
    parse it, or ``None`` when its parse could differ from ours."""
    if not _same_parse(html):
        return None
    shared = copy.deepcopy(tree)
    etree.strip_elements(shared, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return shared


def _same_parse(html: str) -> bool:
    """Whether trafilatura parses ``html`` unrepaired, as a whole document, the way we do."""
    beginning = html[:50].lower()
    if "html" not in beginning or not _FULL_DOCUMENT.match(html):
        return False  # a fragment (lxml gives an element of it) or text trafilatura doubts is HTML
    if any(char in html for char in _NOT_XML):
        return False
    return not any("<html" in line and line.endswith("/>") for line in html[:4096].splitlines()[:4])
