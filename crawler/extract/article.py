"""The extraction stage: decoded HTML in, an :class:`Article` or a
:class:`~crawler.extract.rejection.Rejection` out.

``extract(html, url)`` is pure: no network, no clock, no state kept between calls (py3langid reads its
bundled model once, on first use).  ``html`` is text already decoded by :func:`crawler.encoding.decode_body`,
never bytes.  A page that is not an article is not an error: ``extract`` *returns* a ``Rejection`` whose
``reason`` is a short code (:mod:`crawler.extract.rejection`) so callers can count them.
:func:`extract_tree` is the same on a page already parsed (:mod:`crawler.extract.reading` parses each page
once for discovery and extraction).

The steps: parse (C0 control characters dropped; the one parse, shared with trafilatura:
:mod:`crawler.extract.sharedtree`); read what the markup says about the page
(:mod:`crawler.extract.pagemeta`: headline and publisher candidates, whether it declares itself an article);
the source's include/exclude selectors when it has any (:mod:`crawler.extract.selectors`); the WeChat site
step when the page is a WeChat article (:mod:`crawler.extract.wechat`); read the raw page and reject notice
pages (error, consent/captcha) and empty pages (:mod:`crawler.extract.rawpage`); ONE trafilatura call
(``extract_with_metadata``, Markdown, formatting and tables kept, dedup off, reader comments off, htmldate
without its "extensive" guessing, no URL: a date in the URL path is the last resort) -- redone once without
formatting when what it returned is mostly bold (a trafilatura quirk that drops the plain paragraphs); strip
trafilatura's YAML header; reject list pages (no prose, and link texts or the same lines over and over; or
mostly items opening with headline links, :mod:`crawler.extract.listpage`; never a page that declares itself
an article) and pages with too little text (those three: :mod:`crawler.extract.body`); drop the sidebar boxes
(:mod:`crawler.extract.sidebar`) and the menus opening a table layout's body
(:mod:`crawler.extract.navtables`); the headline by agreement or a fallback,
without its label (:mod:`crawler.extract.titles`), the publisher (:mod:`crawler.extract.publisher`; WeChat:
the account), and what trafilatura misses on Chinese pages (byline, ``<title>``'s site suffix, language)
with :mod:`crawler.extract.byline`, and the date from the text near the headline with
:mod:`crawler.extract.textdates`.
Every heuristic is generic: no per-site rules, nothing keyed to a URL or a fixture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from newswatch.crawler.extract.body import Body, as_document, judge_body, main_text, strip_front_matter
from newswatch.crawler.extract.byline import Context, clean_title, find_author
from newswatch.crawler.extract.markdown import cap_title, markdown_to_text
from newswatch.crawler.extract.navtables import strip_navigation
from newswatch.crawler.extract.pagemeta import PageMeta, read_page_meta
from newswatch.crawler.extract.publisher import choose_publisher, publisher_name
from newswatch.crawler.extract.rawpage import RawPage, notice_page, read_page
from newswatch.crawler.extract.rejection import EMPTY, ERROR_PAGE, SELECTED_NOTHING, TOO_LITTLE_TEXT, Rejection
from newswatch.crawler.extract.revision import extraction_mark
from newswatch.crawler.extract.selectors import Selection, select
from newswatch.crawler.extract.sharedtree import trafilatura_tree
from newswatch.crawler.extract.sidebar import strip_sidebar
from newswatch.crawler.extract.sitetitle import checked_title
from newswatch.crawler.extract.textdates import page_date
from newswatch.crawler.extract.titles import choose_title, strip_heading_label, strip_label
from newswatch.crawler.extract.wechat import WECHAT_STEP, WeChatPage, WeChatUnavailable, is_wechat, read_wechat
from newswatch.crawler.htmltree import parse_html, without_controls

__all__ = ["Article", "extract", "extract_tree"]

EXTRACTOR = "trafilatura"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Article:
    """One extracted article.  ``date`` is ISO 8601 (``YYYY-MM-DD``, or ``YYYY-MM`` when the page
    gives only a month); ``language`` is a primary language subtag (``zh``)."""

    title: str | None
    body_markdown: str
    author: str | None
    date: str | None
    site_name: str | None
    language: str | None
    description: str | None
    image: str | None
    fingerprint: str
    url: str
    extractor: str
    extractor_version: str


def extract(html: str, url: str, selection: Selection | None = None) -> Article | Rejection:
    """Extract the article in ``html`` (decoded text of the page fetched from ``url``), reduced to
    the ``selection`` of its source first when it has one."""
    html = without_controls(html)  # C0 controls are no text, and lxml refuses them in element text
    return extract_tree(parse_html(html), html, url, selection)


def extract_tree(tree: HtmlElement | None, html: str, url: str, selection: Selection | None = None
                 ) -> Article | Rejection:
    """:func:`extract` of a page already parsed: ``tree`` is :func:`crawler.htmltree.parse_html` of
    ``html`` (already without control characters); the extraction changes it."""
    if tree is None:
        return Rejection(EMPTY, "no parsable markup")
    meta = read_page_meta(tree)
    if selection is not None:
        selected = select(tree, selection)
        if selected is None:
            return Rejection(SELECTED_NOTHING, "the source's include selectors match nothing on the page")
        tree, html = selected, lxml.html.tostring(selected, encoding="unicode")
    step = read_wechat(tree, html) if is_wechat(html, url) else None
    # trafilatura's tree: ours before read_page changes it, when it is the one trafilatura would parse
    shared = trafilatura_tree(tree, html) if step is None and selection is None else None
    page = read_page(tree)
    if isinstance(step, WeChatUnavailable):
        return Rejection(ERROR_PAGE, f"WeChat notice: {step.notice}", page.title, page.description)
    refused = notice_page(page)
    if refused is not None:
        return refused
    document = step.document if step is not None else shared if shared is not None else as_document(html)
    result = main_text(document)
    if result is None or not result.text:
        return Rejection(TOO_LITTLE_TEXT, "trafilatura found no main text", page.title, page.description)
    text = strip_front_matter(result.text)
    body = Body(text, tuple(markdown_to_text(text).splitlines()))
    refused = judge_body(body, page, meta.declares_article)
    if refused is not None:
        return refused
    return _article(result, body, page, step, url, meta)


def _article(result: Any, body: Body, page: RawPage, step: WeChatPage | None, url: str, meta: PageMeta) -> Article:
    """The article record: the headline by agreement (:mod:`crawler.extract.titles`), the publisher named by the
    page (:mod:`crawler.extract.publisher`; WeChat: the account), the rest from trafilatura and
    :mod:`crawler.extract.byline`."""
    agreed = (step.title if step else None) or choose_title(meta.titles)
    chosen = agreed or result.title or page.title
    opened, banner = strip_sidebar(body.markdown)
    markdown = strip_navigation(opened, chosen, page.links)
    chosen = checked_title(chosen, agreed is not None, meta, markdown, page.text, opened, banner)
    title = clean_title(strip_label(chosen), page.text)
    markdown = strip_heading_label(markdown, title)
    title, markdown = cap_title(title, markdown)
    text = "\n".join(body.lines)
    context = Context.build(page.text, title, body.lines)
    return Article(
        title=title,
        body_markdown=markdown,
        author=step.author if step else find_author(context, result.author),
        date=(step.date if step else None) or page_date(context, result.date, url, _headlines(chosen, meta)),
        site_name=(step.account if step else None)
        or choose_publisher(meta.publisher)
        or publisher_name(result.sitename),
        language=_language(page.language, text),
        description=(step.description if step else None) or result.description or page.description,
        image=(step.image if step else None) or result.image,
        fingerprint=result.fingerprint or "",
        url=url,
        extractor=EXTRACTOR,
        extractor_version=f"{extraction_mark()}+{WECHAT_STEP}" if step else extraction_mark(),
    )


def _headlines(chosen: str | None, meta: PageMeta) -> tuple[str, ...]:
    """The headline candidates a dateline sits under (:func:`crawler.extract.textdates.page_date`), not the
    site's name."""
    titles = meta.titles
    found = (chosen, titles.og, titles.headline, *titles.h1, titles.title)
    return tuple(text for text in found if text and text != titles.site_name)


def _language(declared: str | None, text: str) -> str | None:
    """``<html lang>`` / og:locale, unless the text clearly says otherwise (templates often keep
    ``lang="en"``); py3langid when nothing is declared."""
    sample = text[:3000]
    if declared and len(sample) < 200:  # too short to overrule the page's own declaration: no detection
        return declared
    import py3langid  # loads numpy and its model: only when a page is extracted

    detected = str(py3langid.classify(sample)[0]) if len(_SPACES.sub("", sample)) >= 20 else None
    if declared and (detected is None or declared == detected):
        return declared
    return detected or declared
