"""The extraction stage: decoded HTML in, an :class:`Article` or a :class:`Rejection` out.

``extract(html, url)`` is pure: no network, no clock, no state kept between calls (py3langid reads its
bundled model once, on first use).  ``html`` is text already decoded by :func:`crawler.encoding.decode_body`,
never bytes.  A page that is not an article is not an error: ``extract`` *returns* a :class:`Rejection`
whose ``reason`` is a short code (:data:`REASONS`) so callers can count them; ``Rejection.to_error()`` gives
the matching :class:`storage.errors.ExtractionRejected`. :func:`extract_tree` is the same on a page already
parsed (:mod:`crawler.extract.reading` parses each page once for discovery and extraction).

The steps: parse (C0 control characters dropped); read what the markup says about the page
(:mod:`crawler.extract.pagemeta`: headline and publisher candidates, whether it declares itself an article);
the source's include/exclude selectors when it has any (:mod:`crawler.extract.selectors`); the WeChat site
step when the page is a WeChat article (:mod:`crawler.extract.wechat`); reject notice pages (error, consent/captcha)
and empty pages; ONE trafilatura call (``extract_with_metadata``, Markdown, formatting and tables kept, dedup
off, reader comments off, htmldate without its "extensive" guessing, no URL: a date in the URL path is the
last resort) -- redone once without formatting when what it returned is mostly bold (a trafilatura quirk
that drops the plain paragraphs); strip trafilatura's YAML header; reject list pages (no prose, and link texts
or the same lines over and over; or mostly items opening with headline links, :mod:`crawler.extract.listpage`;
never a page that declares itself an article) and pages with too little text; drop the menus opening a
table layout's body (:mod:`crawler.extract.navtables`); the headline by agreement or a fallback, without its label
(:mod:`crawler.extract.titles`), the publisher (:mod:`crawler.extract.publisher`; WeChat: the account), and what
trafilatura
misses on Chinese pages (byline, ``<title>``'s site suffix, language) with :mod:`crawler.extract.byline`, and the
date from the text near the headline with :mod:`crawler.extract.textdates`.
Every heuristic is generic: no per-site rules, nothing keyed to a URL or a fixture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from newswatch.crawler.extract.byline import PROSE, Context, clean_title, find_author
from newswatch.crawler.extract.listpage import item_share, list_items
from newswatch.crawler.extract.markdown import MAX_TITLE_CHARS, cap_title, markdown_to_text
from newswatch.crawler.extract.navtables import strip_navigation
from newswatch.crawler.extract.pagemeta import PageMeta, read_page_meta
from newswatch.crawler.extract.publisher import choose_publisher, publisher_name
from newswatch.crawler.extract.revision import extraction_mark
from newswatch.crawler.extract.selectors import Selection, select
from newswatch.crawler.extract.sitetitle import checked_title
from newswatch.crawler.extract.textdates import page_date
from newswatch.crawler.extract.titles import choose_title, strip_heading_label, strip_label
from newswatch.crawler.extract.wechat import WECHAT_STEP, WeChatPage, WeChatUnavailable, is_wechat, read_wechat
from newswatch.crawler.htmltree import parse_html, without_controls
from newswatch.storage.errors import ExtractionRejected

__all__ = ["CONSENT_PAGE", "EMPTY", "ERROR_PAGE", "LIST_PAGE", "MAX_TITLE_CHARS", "REASONS", "SELECTED_NOTHING",
           "TOO_LITTLE_TEXT", "Article", "Rejection", "cap_title", "extract", "extract_tree", "markdown_to_text"]

EXTRACTOR = "trafilatura"
EMPTY = "empty"  # no markup or no visible text at all
ERROR_PAGE = "error_page"  # "not found", "link expired", "deleted" notices
CONSENT_PAGE = "consent_page"  # cookie walls, captchas, "verify you are human"
LIST_PAGE = "list_page"  # index/list pages: headlines and links, no article prose
TOO_LITTLE_TEXT = "too_little_text"  # an extraction too short to be an article
SELECTED_NOTHING = "selected_nothing"  # the source's include selectors match nothing on the page
REASONS = (EMPTY, ERROR_PAGE, CONSENT_PAGE, LIST_PAGE, TOO_LITTLE_TEXT, SELECTED_NOTHING)

MIN_ARTICLE_CHARS = 60  # non-space characters; a WeChat video post has ~100
NOTICE_MAX_CHARS = 400  # notice pages (error, consent) are short
BOLD_RETRY_SHARE = 0.4  # an extraction this bold is re-done without formatting ...
BOLD_RETRY_GAIN = 1.2  # ... and the plain one kept when it is this much longer
NOSCRIPT_MAX_CHARS = 2000  # a <noscript> holding more is the page itself, parsed into it
NOTICE_LINE_CHARS = 60  # ... and say so in a line of their own
LIST_MAX_PROSE_SHARE = 0.1  # list pages: almost no sentence-like lines outside links
LIST_MIN_LINK_COVER = 0.3  # ... and the extraction is mostly link texts,
LIST_MIN_LINK_DENSITY = 0.5  # ... or the page as a whole is mostly links
LIST_MIN_REPEATED = 0.5  # ... with a sixth of the extraction link texts or half its lines repeated
LIST_ITEM_SHARE = 0.6  # or this much of the extraction lies in items opening with a headline link
LATIN_SENTENCE_WORDS = 6  # a line of this many words ending a sentence is prose (". ", "! ")
LATIN_LONG_WORDS = 15  # ... and a line of this many words is prose whatever its punctuation

ERROR_PHRASES = (
    "404 not found", "page not found", "页面不存在", "页面未找到", "找不到页面", "网页不存在",
    "文章不存在", "内容不存在", "已被删除", "已删除", "链接已过期", "链接已失效", "页面已过期",
    "无法访问此页面", "访问的页面不存在",
)  # fmt: skip
CONSENT_PHRASES = (
    "captcha", "verify you are human", "are you a robot", "unusual traffic", "accept cookies",
    "accept all cookies", "cookie consent", "验证码", "安全验证", "人机验证", "访问验证", "滑动验证",
    "请完成验证", "环境异常", "请开启javascript", "请启用javascript",
)  # fmt: skip

_TRAFILATURA_ARGS: dict[str, Any] = {
    "output_format": "markdown",
    "include_formatting": True,
    "include_tables": True,
    "include_comments": False,
    "deduplicate": False,
    # the page's own date markup before a date in its URL (htmldate would take the URL's first)
    "date_extraction_params": {"original_date": True, "extensive_search": False, "deferred_url_extractor": True},
}
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
)  # fmt: skip
_INVISIBLE = "//script|//style|//noscript|//template|//title|//iframe|//select|//textarea"
_DOC_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype|html)", re.I | re.S)
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


@dataclass(frozen=True)
class Rejection:
    """A page that yields no article: ``reason`` is one of :data:`REASONS`.  ``title`` and
    ``description`` are what the page said about itself, kept for logs and diagnostics."""

    reason: str
    detail: str = ""
    title: str | None = None
    description: str | None = None

    def to_error(self) -> ExtractionRejected:
        return ExtractionRejected(self.reason, self.detail)


@dataclass(frozen=True)
class _Page:
    """What the raw page shows, independent of trafilatura."""

    text: str  # visible text of the page, one line per block, whitespace collapsed
    title: str | None
    description: str | None
    language: str | None
    link_density: float  # share of visible characters inside <a>
    anchors: dict[str, frozenset[str]]  # link texts (no spaces, >= 4 chars) by their first 4 chars
    items: tuple[str, ...] = ()  # texts of list items opening with a headline link (crawler.extract.listpage)
    links: frozenset[str] = frozenset()  # every link text, without whitespace


@dataclass(frozen=True)
class _Body:
    markdown: str
    lines: tuple[str, ...]  # plain-text lines of the body (markdown_to_text)


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
    page = _read_page(tree)
    if isinstance(step, WeChatUnavailable):
        return Rejection(ERROR_PAGE, f"WeChat notice: {step.notice}", page.title, page.description)
    refused = _notice_page(page)
    if refused is not None:
        return refused
    document = step.document if step is not None else _as_document(html)
    result = _trafilatura(document)
    if result is None or not result.text:
        return Rejection(TOO_LITTLE_TEXT, "trafilatura found no main text", page.title, page.description)
    text = _strip_front_matter(result.text)
    body = _Body(text, tuple(markdown_to_text(text).splitlines()))
    refused = _judge_body(body, page, meta.declares_article)
    if refused is not None:
        return refused
    return _article(result, body, page, step, url, meta)


def _trafilatura(document: str) -> Any:
    """The trafilatura call, without the page's URL: trafilatura would only take its host as the site's
    name and let htmldate prefer a date in its path to every date on the page
    (:func:`crawler.extract.byline.url_date` is the
    last resort instead).  With ``include_formatting`` trafilatura sometimes keeps only the bold parts
    of a page (a bold lead, bold recipe quantities) and drops the plain paragraphs around them; when most
    of what it returned is bold, it is asked once more without formatting and the longer text is kept."""
    import trafilatura  # here, not at import: a run that extracts nothing never loads it (nor numpy)

    result = trafilatura.extract_with_metadata(document, **_TRAFILATURA_ARGS)
    text = _strip_front_matter(result.text) if result is not None and result.text else ""
    bold = sum(len(match.group(1)) for match in _BOLD.finditer(text))
    if not text or bold < BOLD_RETRY_SHARE * len(text):
        return result
    plain = trafilatura.extract_with_metadata(document, **{**_TRAFILATURA_ARGS, "include_formatting": False})
    if plain is not None and plain.text and len(_strip_front_matter(plain.text)) > len(text) * BOLD_RETRY_GAIN:
        return plain
    return result


_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def _as_document(html: str) -> str:
    """trafilatura discards markup that does not start like a document and parses to one
    element (a saved fragment, a crawler's wrapper element): give it an ``<html>`` root."""
    return html if _DOC_START.match(html) else f"<html>{html}</html>"


def _read_page(tree: HtmlElement) -> _Page:
    """Metadata and visible text of the raw page (``tree`` is modified: scripts etc. removed)."""
    title = _first(tree, "//title//text()") or _first(tree, "//meta[@property='og:title']/@content")
    description = _first(tree, "//meta[@name='description']/@content") or _first(
        tree, "//meta[@property='og:description']/@content"
    )
    language = _first(tree, "//html/@lang") or _first(tree, "//meta[@property='og:locale']/@content")
    for element in tree.xpath(_INVISIBLE):
        if element.tag == "noscript" and len(element.text_content()) > NOSCRIPT_MAX_CHARS:
            element.drop_tag()  # markup left open inside it (``<noscript><div></noscript>``) swallowed the page
        else:
            element.drop_tree()
    for element in tree.iter(*_BLOCK_TAGS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    root = tree.find("body")
    text = _visible_lines(root) if root is not None else ""
    if not text:  # a page whose text the parser left outside <body>
        root, text = tree, _visible_lines(tree)
    links = [_SPACES.sub("", anchor.text_content()) for anchor in root.iter("a")]
    visible = len(_SPACES.sub("", text))
    anchors: dict[str, set[str]] = {}
    for link in links:
        if len(link) >= 4:
            anchors.setdefault(link[:4], set()).add(link)
    return _Page(
        text=text,
        title=title,
        description=description,
        language=_primary_subtag(language),
        link_density=sum(map(len, links)) / visible if visible else 0.0,
        anchors={key: frozenset(group) for key, group in anchors.items()},
        items=tuple(list_items(root)),
        links=frozenset(links),
    )


def _visible_lines(root: HtmlElement) -> str:
    return "\n".join(line for line in (" ".join(raw.split()) for raw in root.text_content().split("\n")) if line)


def _first(tree: HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if text := " ".join(str(value).split()):
            return text
    return None


def _primary_subtag(tag: str | None) -> str | None:
    primary = re.split(r"[-_]", tag.strip().lower())[0] if tag else ""
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _notice_page(page: _Page) -> Rejection | None:
    """Empty pages and short error / consent / captcha notices."""
    if not page.text:
        return Rejection(EMPTY, "no visible text", page.title, page.description)
    if len(_SPACES.sub("", page.text)) > NOTICE_MAX_CHARS:
        return None
    # the notice is the page's message: its title or a line of its own, not a phrase in prose
    messages = [line.lower() for line in (page.title or "", *page.text.splitlines()) if len(line) <= NOTICE_LINE_CHARS]
    for reason, phrases in ((CONSENT_PAGE, CONSENT_PHRASES), (ERROR_PAGE, ERROR_PHRASES)):
        if found := next((phrase for phrase in phrases for line in messages if phrase in line), None):
            return Rejection(reason, f"short page saying {found!r}", page.title, page.description)
    return None


def _strip_front_matter(text: str) -> str:
    """Drop the ``---`` YAML header trafilatura writes before the Markdown (one field a line)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            return text[end + 5 :].strip("\n")
    return text.strip("\n")


def _judge_body(body: _Body, page: _Page, declares_article: bool = False) -> Rejection | None:
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


def _article(result: Any, body: _Body, page: _Page, step: WeChatPage | None, url: str, meta: PageMeta) -> Article:
    """The article record: the headline by agreement (:mod:`crawler.extract.titles`), the publisher named by the
    page (:mod:`crawler.extract.publisher`; WeChat: the account), the rest from trafilatura and
    :mod:`crawler.extract.byline`."""
    agreed = (step.title if step else None) or choose_title(meta.titles)
    chosen = agreed or result.title or page.title
    markdown = strip_navigation(body.markdown, chosen, page.links)
    chosen = checked_title(chosen, agreed is not None, meta, markdown, page.text, body.markdown)
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
