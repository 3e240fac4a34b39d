"""A title that is not the headline: the site's name, a generic word, or text the page does not show.

Old templates give every page of a site the same ``<title>`` (``显示``, ``谢谢您访问〖关注中国中心〗``) or put
the site's logo in ``<h1>`` (``松花江网``, ``bjreader的博客``).  The markup then names a title, just the
wrong one, and the fallbacks of :func:`crawler.extract.titles.fallback_title` never run.  :func:`checked_title`
says when a chosen title is no headline, as a class, not per site:

* it is, or is part of, the site's name as the page declares it (``og:site_name``/``application-name``,
  JSON-LD ``publisher``; a name longer than :data:`MAX_SITE_CHARS` holds no headline of its own), an
  ``<h1>`` that is also the tail of ``<title>`` after a separator and a longer headline (``土豆不“土” 松花江网``),
  or reads as a site's name (``…的博客``, ``欢迎访问…``, ``谢谢您访问…``), or is the banner above a sidebar the
  body opened with (``洞庭一叶``: :mod:`crawler.extract.sidebar`);
* segments of it name the site (:func:`crawler.extract.sitesegments.unsited`: ``多维博客 » 标题``,
  ``标题<某某网``): they are dropped first;
* its head before a separator is the heading the page shows above the body and the rest is short (``标题_作者_新浪博客``
  over ``<h2>标题</h2>``): the head is the headline (:func:`_headed`);
* it is a generic word (``显示``, ``首页``, ``正文``, ``Untitled``, ``无标题文档``, ``Startseite``...);
* no two sources agreed on it, the page shows it nowhere (in its text or body), and a heading stands
  just above the body (an ``<h1>``, ``<h2>`` or bold line: :func:`crawler.extract.titles.heading_above`).

Then the fallback chain decides (the site's names kept out of it); when it finds nothing, or only the
site's name or a generic word, the title stays.  A separator left dangling at a title's end (``… -``) and
soft hyphens are dropped.  Pure: strings in, a string out.
"""

from __future__ import annotations

import re

from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.pagemeta import PageMeta
from newswatch.crawler.extract.sidebar import is_box_label
from newswatch.crawler.extract.sitesegments import unsited
from newswatch.crawler.extract.titles import (
    TitleCandidates,
    fallback_title,
    heading_above,
    opening_heading,
    title_variants,
)

__all__ = ["GENERIC_TITLES", "MAX_SITE_CHARS", "checked_title", "names_the_site"]

GENERIC_TITLES = frozenset((
    "显示", "首页", "正文", "内容", "详细", "详情", "详细内容", "详细信息", "文章", "文章内容", "文章详情", "新闻",
    "新闻中心", "新闻详情", "新闻内容", "新闻正文", "内容页", "正文页", "浏览", "查看", "阅读", "阅读文章", "文章阅读",
    "网页", "新建网页", "新建网页1", "无标题", "无标题文档", "无标题页", "标题", "主页", "网站首页", "信息发布",
    "untitled", "untitleddocument", "newpage", "newpage1", "document", "home", "homepage", "index", "article",
    "default", "welcome", "page", "title", "notitle", "news", "show", "view", "display", "startseite",
    "inicio", "accueil", "portada",
))  # fmt: skip
# a site's own name or greeting: "bjreader的博客", "张三的个人空间", "欢迎访问××网", "谢谢您访问〖…〗", "Welcome to …"
_SITE_WORDS = re.compile(
    r"(?:的(?:博客|个人空间|空间|主页|个人主页|网志|部落格|blog)|'s\s*(?:blog|homepage|home\s*page))$"
    r"|^(?:欢迎|谢谢|感谢)您?(?:访问|光临|来到)|^welcome\s+to\b",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
MIN_HEADED_CHARS = 2  # a title's head shown as the article's heading counts from this length
MAX_SITE_CHARS = 20  # a longer "site name" (og:site_name = the headline + the site) holds no headline of its own


def checked_title(chosen: str | None, agreed: bool, meta: PageMeta, markdown: str, page_text: str,
                  extracted: str = "", banner: tuple[str, ...] = ()) -> str | None:
    """``chosen`` unless it is no headline (module docstring); then the fallback chain's title, or
    ``chosen`` when the chain finds none.  ``agreed``: two sources of the page named ``chosen``; ``banner``: the
    texts above a sidebar (:func:`crawler.extract.sidebar.strip_sidebar`), the blog's name."""
    found, declared = meta.titles, _site_names(meta)
    sites = declared + banner
    own = TitleCandidates(h1=tuple(text for text in found.h1 if not _no_headline(text, found, sites)),
                          h2=tuple(text for text in found.h2 if not is_box_label(text)),
                          strong=tuple(text for text in found.strong if not is_box_label(text)))
    chosen = _headed(_untailed(unsited(chosen, declared) if chosen else chosen), own, markdown, page_text)
    if chosen is None:
        return fallback_title(own, markdown, page_text, extracted)
    if _no_headline(chosen, found, sites):
        other = _untailed(fallback_title(own, markdown, page_text, extracted))
    elif agreed or _shown(chosen, markdown, page_text):
        return chosen
    else:
        other = _untailed(heading_above(own.h1 + own.h2 + own.strong, markdown, page_text))
    return other if other is not None and not _no_headline(other, found, sites) else chosen


def names_the_site(text: str, found: TitleCandidates, sites: tuple[str, ...] = ()) -> bool:
    """``text`` is (part of) the site's name: one of ``sites`` or ``found.site_name``, an ``<h1>`` that is
    the tail of ``<title>`` after its (longer) headline, or a site's own wording (``…的博客``, ``欢迎访问…``)."""
    flat = _flat(text)
    if len(flat) < 2:
        return False
    for site in (_flat(site) for site in (*sites, found.site_name or "") if site):
        if flat == site or (len(site) <= MAX_SITE_CHARS and flat in site):
            return True
    logo = flat in {_flat(h1) for h1 in found.h1}  # the tail of <title> is the site's when <h1> shows it alone
    return (logo and _title_tail(" ".join(text.split()), " ".join((found.title or "").split()))) or (
        _SITE_WORDS.search(" ".join(text.split())) is not None
    )


def _title_tail(text: str, title: str) -> bool:
    """``text`` ends ``title`` after a separator (or a space after CJK text: "土豆不“土” 松花江网"), and
    the headline before it is longer."""
    if len(_flat(text)) > MAX_SITE_CHARS or not title.endswith(text):
        return False
    head = title[: len(title) - len(text)]
    return _TAIL_BOUNDARY.search(head) is not None and len(_flat(head)) > len(_flat(text))


def _no_headline(text: str, found: TitleCandidates, sites: tuple[str, ...]) -> bool:
    return names_the_site(text, found, sites) or _flat(text).casefold() in GENERIC_TITLES


def _site_names(meta: PageMeta) -> tuple[str, ...]:
    """The site's names the page declares: ``og:site_name``, ``application-name``, JSON-LD's publisher
    (not ``dc.publisher``, often a person, nor the tail of ``<title>``, which may be the headline)."""
    return tuple(name for name in (meta.titles.site_name, *meta.publisher.jsonld) if name)


def _headed(title: str | None, own: TitleCandidates, markdown: str, page_text: str) -> str | None:
    """``title`` cut to its part before a separator that the page shows as the heading of the article (an
    ``<h1>``, ``<h2>`` or bold line just above the body, or the body's opening heading), when what the cut drops
    is short (a blog's or author's name, a column: ``标题_作者_新浪博客`` over ``<h2>标题</h2>``); the longest
    such part.  The headline stays whole where the separator is its own (``新竹尖石_美樹營地賞楓 (2)``)."""
    if not title:
        return title
    headings = {_flat(text) for text in own.h1 + own.h2 + own.strong}
    full = _flat(title)
    parts = tuple(variant for variant in title_variants(title)[1:]
                  if _flat(variant) in headings and len(full) - len(_flat(variant)) <= MAX_SITE_CHARS)
    opening = _flat(opening_heading(markdown) or "")
    shown = heading_above(parts, markdown, page_text, MIN_HEADED_CHARS)
    return next((part for part in parts if _flat(part) == opening), None) or shown or title


def _shown(title: str, markdown: str, page_text: str) -> bool:
    """The page shows ``title`` (or its part before a site suffix) anywhere in its text or body."""
    variants = [_flat(variant) for variant in title_variants(" ".join(title.split()))]
    shown = _flat(page_text) + _flat(markdown_to_text(markdown))
    return any(variant in shown for variant in variants)


def _untailed(title: str | None) -> str | None:
    """``title`` without a separator left dangling at its end (``谁来为无序拆房“埋单”？- -``) and without
    soft hyphens."""
    return _DANGLING.sub("", title.replace("\xad", "")) or None if title else None


_TAIL_BOUNDARY = re.compile(r"(?:[_|｜\-–—:：@»·<]|(?<=[^\x00-\x7f])\s)\s*$")
_DANGLING = re.compile(r"(?:\s*[-_|｜–—·:：]+)+\s*$")


def _flat(text: str) -> str:
    return _SPACES.sub("", text)
