"""The article's body: trafilatura's main text (one call, redone once without formatting when it came back
mostly bold), its YAML header stripped; and the body judged: too little text, or a list page (no prose,
and link texts or the same lines over and over; or mostly items opening with headline links,
:mod:`crawler.extract.listpage`), never a page that declares itself an article."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from newswatch.crawler.extract.byline import PROSE
from newswatch.crawler.extract.listpage import item_share
from newswatch.crawler.extract.rawpage import RawPage
from newswatch.crawler.extract.rejection import LIST_PAGE, TOO_LITTLE_TEXT, Rejection

MIN_ARTICLE_CHARS = 60  # non-space characters; a WeChat video post has ~100
BOLD_RETRY_SHARE = 0.4  # an extraction this bold is re-done without formatting ...
BOLD_RETRY_GAIN = 1.2  # ... and the plain one kept when it is this much longer
LIST_MAX_PROSE_SHARE = 0.1  # list pages: almost no sentence-like lines outside links
LIST_MIN_LINK_COVER = 0.3  # ... and the extraction is mostly link texts,
LIST_MIN_LINK_DENSITY = 0.5  # ... or the page as a whole is mostly links
LIST_MIN_REPEATED = 0.5  # ... with a sixth of the extraction link texts or half its lines repeated
LIST_ITEM_SHARE = 0.6  # or this much of the extraction lies in items opening with a headline link
LATIN_SENTENCE_WORDS = 6  # a line of this many words ending a sentence is prose (". ", "! ")
LATIN_LONG_WORDS = 15  # ... and a line of this many words is prose whatever its punctuation

_TRAFILATURA_ARGS: dict[str, Any] = {
    "output_format": "markdown",
    "include_formatting": True,
    "include_tables": True,
    "include_comments": False,
    "deduplicate": False,
    # the page's own date markup before a date in its URL (htmldate would take the URL's first)
    "date_extraction_params": {"original_date": True, "extensive_search": False, "deferred_url_extractor": True},
}
_DOC_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype|html)", re.I | re.S)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Body:
    """trafilatura's main text without its YAML header: the Markdown and its plain-text lines."""

    markdown: str
    lines: tuple[str, ...]  # plain-text lines of the body (markdown_to_text)


def main_text(document: str | HtmlElement) -> Any:
    """The trafilatura call, without the page's URL: trafilatura would only take its host as the site's
    name and let htmldate prefer a date in its path to every date on the page
    (:func:`crawler.extract.byline.url_date` is the last resort instead).  With ``include_formatting``
    trafilatura sometimes keeps only the bold parts of a page (a bold lead, bold recipe quantities) and
    drops the plain paragraphs around them; when most of what it returned is bold, it is asked once more
    without formatting and the longer text is kept.  ``document`` is the page's text, or the tree
    trafilatura would parse from it (:mod:`crawler.extract.sharedtree`; trafilatura copies it)."""
    import trafilatura  # here, not at import: a run that extracts nothing never loads it (nor numpy)

    result = trafilatura.extract_with_metadata(document, **_TRAFILATURA_ARGS)
    text = strip_front_matter(result.text) if result is not None and result.text else ""
    bold = sum(len(match.group(1)) for match in _BOLD.finditer(text))
    if not text or bold < BOLD_RETRY_SHARE * len(text):
        return result
    plain = trafilatura.extract_with_metadata(document, **{**_TRAFILATURA_ARGS, "include_formatting": False})
    if plain is not None and plain.text and len(strip_front_matter(plain.text)) > len(text) * BOLD_RETRY_GAIN:
        return plain
    return result


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def as_document(html: str) -> str:
    """trafilatura discards markup that does not start like a document and parses to one
    element (a saved fragment, a crawler's wrapper element): give it an ``<html>`` root."""
    return html if _DOC_START.match(html) else f"<html>{html}</html>"


def strip_front_matter(text: str) -> str:
    """Drop the ``---`` YAML header trafilatura writes before the Markdown (one field a line)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            return text[end + 5 :].strip("\n")
    return text.strip("\n")


def judge_body(body: Body, page: RawPage, declares_article: bool = False) -> Rejection | None:
    """Too little text, or a list page: headlines (link texts) and no prose -- unless the page declares
    itself an article (``og:type``/JSON-LD and a publication time): link-heavy blog posts and teaser-style
    article pages are articles by their own account."""
    flat = [_SPACES.sub("", line) for line in body.lines]
    chars = sum(map(len, flat))
    if chars < MIN_ARTICLE_CHARS:
        return Rejection(TOO_LITTLE_TEXT, f"{chars} characters of text", page.title, page.description)
    covers = [_link_cover(line, page.anchors) for line in flat]
    prose = sum(len(line) for line, bare, covered in zip(body.lines, flat, covers, strict=True)  # sentences, not links
                if covered * 2 < len(bare) and _is_prose(line))
    cover = sum(covers) / chars
    prose_share = prose / chars
    repeated = 1 - len(set(body.lines)) / len(body.lines)
    items = item_share(page.items, body.lines) if page.items else 0.0
    if not declares_article and (items >= LIST_ITEM_SHARE or (prose_share < LIST_MAX_PROSE_SHARE and (
        cover >= LIST_MIN_LINK_COVER
        or (page.link_density >= LIST_MIN_LINK_DENSITY and max(cover * 3, repeated) >= LIST_MIN_REPEATED)
    ))):
        detail = (f"prose {prose_share:.2f}, link text {cover:.2f}, page link density {page.link_density:.2f}, "
                  f"repeated lines {repeated:.2f}, in list items {items:.2f}")
        return Rejection(LIST_PAGE, detail, page.title, page.description)
    return None


def _is_prose(line: str) -> bool:
    """A sentence-like line: Chinese punctuation (:data:`PROSE`), or words ending a sentence (". ")."""
    words = len(line.split())
    return bool(PROSE.search(line)) or words >= LATIN_LONG_WORDS or (
        words >= LATIN_SENTENCE_WORDS and _LATIN_SENTENCE.search(line) is not None
    )


_LATIN_SENTENCE = re.compile(r"[^\W\d_][)\"'’”»]?[.!?…:;](?:\s|$)")


def _link_cover(line: str, anchors: dict[str, frozenset[str]]) -> int:
    """Characters of ``line`` covered by link texts of the page (greedy, longest first: from left to right,
    the longest link text starting at a position counts and the scan goes on after it)."""
    position = covered = 0
    # only where a link text may start (its first 4 characters): every other position advances by one
    for start in [at for at in range(len(line) - 3) if line[at : at + 4] in anchors]:
        if start < position:
            continue
        best = max((len(a) for a in anchors[line[start : start + 4]] if line.startswith(a, start)), default=0)
        covered += best
        position = start + (best or 1)
    return covered
