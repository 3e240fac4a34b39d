"""One HTML parse, shared: decoded text in, an lxml tree out (``None`` for markup with nothing to parse).

The extraction (:mod:`crawler.extract.article`), discovery (:mod:`crawler.discover.links`) and the worker's one
reading of a page (:mod:`crawler.extract.reading`) all read the tree this parse gives.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def without_controls(html: str) -> str:
    """``html`` without C0 control characters: they are no text, and lxml refuses them in a str."""
    return _CONTROL.sub("", html)


def parse_html(html: str) -> HtmlElement | None:
    """The document tree of ``html`` (already :func:`without_controls`), or None when there is none."""
    if not html.strip():
        return None
    try:  # lxml refuses a str that keeps its XML declaration (XHTML): drop the declaration
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (ValueError, etree.ParserError):
        return None


def parse_text(html: str) -> HtmlElement | None:
    """:func:`parse_html` of any decoded text (its control characters dropped first)."""
    return parse_html(without_controls(html))
