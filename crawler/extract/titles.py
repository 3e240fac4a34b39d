"""The headline of a page, chosen by agreement between the places a page names it.

A page names its headline up to five times: ``og:title``, ``twitter:title``, JSON-LD ``headline``,
``<h1>`` and ``<title>`` (usually with a site suffix: "标题_网易新闻").  Any one of them can be wrong:
an ``og:title`` cut short by an unescaped quote in the attribute (``content="前半"引号"后半"`` reads
as ``前半``), an ``<h1>`` holding the site's logo, a ``<title>`` with the site's name.  So no single
one is trusted: :func:`choose_title` takes the candidate the most *other* sources support (the same
text, whitespace aside; ``<title>`` counts with each of its site suffixes removed), and a candidate
that is a strict prefix of another candidate — not followed by a separator, so not "title + site
suffix" — is a truncation, replaced by the longer text.  A candidate that is the tail of
``<title>`` (the site name) or the page's own site name is not a headline.

Pure: strings in, a string out.  Nothing is keyed to a site or a fixture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newswatch.crawler.extract.markdown import markdown_to_text
from newswatch.crawler.extract.navtables import headline_row
from newswatch.crawler.extract.sitesegments import site_extension

__all__ = ["MAX_CANDIDATE_CHARS", "TitleCandidates", "choose_title", "fallback_title", "heading_above",
           "opening_heading", "strip_heading_label", "strip_label", "title_variants"]

MAX_CANDIDATE_CHARS = 1000  # longer "titles" are page text, not headlines
_SEPARATOR = re.compile(r"\s*(?:[_|｜–—»·<]|::|\s[-:：]{1,2}\s|-{1,2}(?=[^-\s]{2,12}$))\s*")
_SUFFIX_START = frozenset("_|｜-–—:：@»·<")  # what starts a site suffix after a headline
_SPACES = re.compile(r"\s+")
_PREFERENCE = ("h1", "og", "twitter", "headline", "title")  # ties: the visible headline first


@dataclass(frozen=True)
class TitleCandidates:
    """What a page says its headline is, each source as found (``None`` when absent)."""

    og: str | None = None
    twitter: str | None = None
    headline: str | None = None  # JSON-LD
    h1: tuple[str, ...] = ()
    h2: tuple[str, ...] = ()  # not candidates: only fallbacks (:func:`fallback_title`)
    strong: tuple[str, ...] = ()  # bold texts outside links
    title: str | None = None  # <title>, site suffix and all
    site_name: str | None = None  # og:site_name / application-name: never the headline


@dataclass(frozen=True)
class _Entry:
    kind: str
    text: str
    flat: str  # whitespace removed: the form compared


def choose_title(found: TitleCandidates) -> str | None:
    """The headline the sources agree on (or that completes a truncated one); ``None`` when no two
    sources agree and none is cut short: the caller falls back to its own reading."""
    entries = _entries(found)
    if not entries:
        return None
    support = {entry: _support(entry, entries) for entry in entries}
    best = min(entries, key=lambda e: (-support[e], _PREFERENCE.index(e.kind), -len(e.flat)))
    seen = {best}
    sites = (found.site_name,) if found.site_name else ()
    while (longer := _completion(best, entries, support, sites)) is not None and longer not in seen:
        best = longer
        seen.add(best)
    return best.text if support[best] or len(seen) > 1 else None


def title_variants(title: str) -> list[str]:
    """``title`` and each prefix before a separator ("A_B_C" -> "A_B_C", "A_B", "A"), 2+ characters."""
    variants = [title]
    for match in reversed(list(_SEPARATOR.finditer(title))):
        head = title[: match.start()].strip()
        if len(_flat(head)) >= 2 and head not in variants:
            variants.append(head)
    return variants


def _entries(found: TitleCandidates) -> list[_Entry]:
    raw = [("og", found.og), ("twitter", found.twitter), ("headline", found.headline)]
    raw += [("h1", text) for text in found.h1]
    raw += [("title", text) for text in title_variants(_clean(found.title) or "")] if found.title else []
    full_title = _flat(_clean(found.title) or "")
    site = _flat(_clean(found.site_name) or "")
    entries = []
    for kind, text in raw:
        cleaned = _clean(text)
        if cleaned is None:
            continue
        flat = _flat(cleaned)
        if flat == site or (kind != "title" and len(flat) < len(full_title) and full_title.endswith(flat)
                            and not full_title.startswith(flat)):
            continue  # the site's name (a logo in <h1>, the tail of <title>): not a headline
        entries.append(_Entry(kind, cleaned, flat))
    return entries


def _clean(text: str | None) -> str | None:
    collapsed = strip_label(" ".join((text or "").split())) or ""
    return collapsed if 2 <= len(collapsed) <= MAX_CANDIDATE_CHARS else None


def _flat(text: str) -> str:
    return _SPACES.sub("", text)


def _support(entry: _Entry, entries: list[_Entry]) -> int:
    """How many other kinds of source give the same text."""
    return len({other.kind for other in entries if other.kind != entry.kind and other.flat == entry.flat})


def _completion(entry: _Entry, entries: list[_Entry], support: dict[_Entry, int], sites: tuple[str, ...] = ()
                ) -> _Entry | None:
    """The text ``entry`` is a truncation of: another source's candidate that extends it, not by a
    site suffix (a separator, or a site's name after a space: ``标题 河南日报网``); the best supported, then
    the shortest such."""
    longer = [
        other for other in entries
        if other.kind != entry.kind and len(other.flat) > len(entry.flat) and other.flat.startswith(entry.flat)
        and other.flat[len(entry.flat)] not in _SUFFIX_START
        and not site_extension(_after(other.text, len(entry.flat)), sites)
    ]  # fmt: skip
    return min(longer, key=lambda e: (-support[e], len(e.flat)), default=None)


def _after(text: str, chars: int) -> str:
    """``text`` after its first ``chars`` non-space characters (the whitespace following them kept)."""
    seen = 0
    for index, char in enumerate(text):
        if seen == chars:
            return text[index:]
        seen += not char.isspace()
    return ""


# --- a title label, and a title for a page that names none ------------------------------------------

STATUS_LABELS = ("原创", "独家", "转载", "首发", "置顶", "精华", "推荐", "热门", "热帖", "荐", "转帖", "原帖",
                 "独家专访")
CONTENT_LABELS = ("视频", "图", "组图", "图文", "多图", "直播", "音频", "快讯", "专题")
_LABEL_WORDS = "|".join(sorted(STATUS_LABELS + CONTENT_LABELS, key=len, reverse=True))
_STATUS_WORDS = "|".join(sorted(STATUS_LABELS, key=len, reverse=True))
# a label word standing apart (its own element: "原创 标题"), or a status label in brackets ("[原创]标题")
# or the name of a form field a forum or CMS prints before the headline ("主题: 标题", "标题：标题")
FIELD_LABELS = ("主题", "标题", "题目", "帖子主题", "文章标题", "新闻标题", "帖子标题")
_FIELD_WORDS = "|".join(sorted(FIELD_LABELS, key=len, reverse=True))
_LABEL = re.compile(rf"^\s*(?:(?:{_LABEL_WORDS})\s+|[\[【(（〔]\s*(?:{_STATUS_WORDS})\s*[\]】)）〕]\s*"
                    rf"|(?:{_FIELD_WORDS})\s*[:：]\s*)(?=\S)")
MAX_FALLBACK_CHARS = 80  # a heading line or first sentence longer than this is no headline
MAX_SENTENCE_CHARS = 40  # a first sentence used as the title is cut to its clauses within this length
MIN_CLAUSE_CHARS = 8  # ... when the clauses kept are at least this long (else cut at a word, with "…")
HEADING_LINES = 3  # a strong heading opens the body: one of its first lines
HEADING_REACH = 200  # a headline shown above the body is at most this far above it (non-space characters)
MIN_HEADING_CHARS = 6  # ... and this long ("栏目导航" is a box's label)
BODY_PROBE_CHARS = 12  # the body's start is found in the page by its first characters
_HEADING = re.compile(r"^(?:#{1,6}\s+(.+?)\s*#*$|[\s\u3000]*\*\*([^*]+)\*\*|[\s\u3000]*__([^_]+)__)")
_SENTENCE_END = re.compile(r"[。！？!?]")


def strip_label(title: str | None) -> str | None:
    """``title`` without the label a site puts before the headline: a label word standing apart
    (``原创 最不愁吃肉的国家…``, ``视频 …``), a status label in brackets (``【原创】…``, ``[转载]…``) or a
    form field's name (``主题: …``, ``标题：…``).  A
    bracketed content tag glued to the headline (``【视频】石榴花开``) is the headline's own word: kept."""
    if not title:
        return title
    while (match := _LABEL.match(title)) is not None:
        title = title[match.end() :]
    return title


def strip_heading_label(markdown: str, title: str | None) -> str:
    """``markdown`` whose leading ``# heading`` is without its label: a label standing apart
    (:func:`strip_label`), or a label word glued to the ``title`` (``# 原创最不愁…``)."""
    heading = _LEADING_HEADING.match(markdown)
    if heading is None:
        return markdown
    text = strip_label(heading.group(2)) or ""
    flat, headline = _flat(text), _flat(title or "")
    if headline and flat != headline and flat.endswith(headline) and _LABEL.match(f"{flat[: -len(headline)]} x"):
        text = title or text
    return f"{heading.group(1)}{text}{markdown[heading.end():]}"


_LEADING_HEADING = re.compile(r"(#{1,6}[ \t]+)([^\n]*)")


def fallback_title(found: TitleCandidates, markdown: str, page_text: str, extracted: str = "") -> str | None:
    """A title for a page whose markup names none (no ``<title>``, no ``og:title``): its ``<h1>``; the
    ``<h2>`` or bold line the page shows just before the body (``page_text``: its visible text); the
    headline row of a table layout (:func:`crawler.extract.navtables.headline_row` of the ``extracted`` body,
    before its chrome was removed); the first heading line of the body (``# …`` or a bold line of its
    own); else the body's first sentence -- in that order of evidence."""
    lines = [line.strip() for line in markdown.splitlines() if line.strip()]
    h1 = next((text for text in map(_clean, found.h1) if text is not None and len(text) <= MAX_FALLBACK_CHARS), None)
    if h1 is not None:
        return h1
    if (above := heading_above(found.h2 + found.strong, markdown, page_text)) is not None:
        return above
    if (row := headline_row(extracted)) is not None:
        return row
    return opening_heading(markdown) or _first_sentence(lines)


def opening_heading(markdown: str) -> str | None:
    """The first heading line among the body's first :data:`HEADING_LINES` lines (``# …`` or a bold
    line of its own), as plain text."""
    for line in [line.strip() for line in markdown.splitlines() if line.strip()][:HEADING_LINES]:
        heading = _HEADING.match(line)
        text = (heading.group(1) or heading.group(2) or heading.group(3)).strip() if heading is not None else ""
        text = markdown_to_text(text)  # the heading as shown: no escapes ("新竹尖石\_美樹"), no emphasis marks
        if 2 <= len(text) <= MAX_FALLBACK_CHARS:
            return text
    return None


def heading_above(candidates: tuple[str, ...], markdown: str, page_text: str, min_chars: int = MIN_HEADING_CHARS
                  ) -> str | None:
    """The candidate shown last before the body's first line, at most :data:`HEADING_REACH`
    characters (whitespace aside) above it; candidates shorter than ``min_chars`` are box labels."""
    first = next((_flat(line) for line in markdown_to_text(markdown).splitlines() if line.strip()), "")
    page = _flat(page_text)
    start = page.find(first[:BODY_PROBE_CHARS]) if first else -1
    if start < 0:
        return None
    best: tuple[int, str] | None = None
    for text in candidates:
        cleaned = _clean(text)
        if cleaned is None or not min_chars <= len(_flat(cleaned)) <= MAX_FALLBACK_CHARS:
            continue
        at = page.rfind(_flat(cleaned), max(0, start - HEADING_REACH), start)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, cleaned)
    return best[1] if best else None


def _first_sentence(lines: list[str]) -> str | None:
    for line in lines:
        text = " ".join(_MARKDOWN_MARK.sub(lambda match: match.group(1) or "", line).split())
        if len(_flat(text)) < 2 or text.startswith("|"):
            continue
        end = _SENTENCE_END.search(text)
        return _short(text[: end.start() + 1] if end is not None else text)
    return None


def _short(sentence: str) -> str:
    """``sentence`` as a title: whole up to :data:`MAX_SENTENCE_CHARS`, else its clauses that fit (up to
    the last ``，；：、,;:`` within the limit), else cut after a word with ``…``."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return sentence
    head = sentence[:MAX_SENTENCE_CHARS]
    clause = max(head.rfind(mark) for mark in "，；：、,;:")
    if clause >= MIN_CLAUSE_CHARS:
        return head[:clause].rstrip()
    space = head.rfind(" ")
    return (head[:space] if space >= MIN_CLAUSE_CHARS else head).rstrip() + "…"


_MARKDOWN_MARK = re.compile(r"^(?:#{1,6}\s+|>\s?|[-+*]\s+)|\*\*|__|!?\[([^\]]*)\]\([^)]*\)")
