"""An article's date read from its visible text: the dateline near the headline, a labelled date, a
page's "last updated" statement.

Pure functions over ``str``: no markup, no clock.  :func:`page_date` is the extraction's one date
(``YYYY-MM-DD``, or ``YYYY-MM`` when the page gives only a month), most explicit evidence first:

1. the dateline next to the headline: the rest of the headline's line and the few lines after it, up to the
   first sentence (:class:`crawler.extract.byline.Context` ``header``; then the first two visible lines showing a
   headline candidate -- the headline may be split over two lines or the ``<title>`` carry a site suffix;
   later showings are teasers, citations and comments).  A date there counts when a label marks it as the
   publication or update time (``发布时间：``, ``来源：X 时间：``, ``发表于``, ``更新时间``, ``Published``,
   ``Updated``, ...) or when the line is shaped like a dateline: the date (and time) alone or with a source
   or name, not a sentence and not a caption (``2014年11月，金锺国在…`` is a caption).  A window holding
   three dated lines is a list, not a dateline.  A publication label wins over a dateline-shaped line, and
   that over an update label.  Here, before the markup, only labelled dates and dateline-shaped dates written
   year first (``2005-07-18``, ``2005年7月18日``: never ambiguous, the common Chinese forms) count;
2. a labelled date in the first or last lines of the extracted body, or just after it (not a reference's
   access date, ``引用日期``);
3. an encyclopedia-style page's statement of its last revision (``本页面最后修订于…``, ``最近更新：``,
   ``This page was last edited on …``): it has no publication date, and its markup's date is the page's
   creation or an old edit;
4. the date in the page's markup (trafilatura/htmldate, without its free-text guessing);
5. when the markup has none: the other dateline-shaped dates of rule 1 (``18. Juli 2005``, ``July 18,
   2005``), then a page's "last updated" line, then the date of a closing source note
   (``——《北京之春》1998年3月号``), last the date in the URL's path (often a section's or a
   re-publication's date, not the article's).

Forms read: ``2005-07-18 13:03:17``, ``2005/7/18``, ``2005.07.18``, ``2005年7月18日 13:03``, ``2005年7月``,
``18.07.2005``, ``18/07/2005`` (day first when unambiguous, month first only before ``am``/``pm``),
``July 18, 2005``, ``18 July 2005``, ``18. Juli 2005``.  A date must exist in the calendar.  Precision over
recall: every rule is generic, nothing is keyed to a site.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from newswatch.crawler.extract.byline import PROSE, Context, url_date

__all__ = ["dates_in", "headline_dateline", "last_updated", "page_date"]

_MONTHS = {
    "jan": 1, "january": 1, "januar": 1, "jänner": 1, "feb": 2, "february": 2, "februar": 2, "mar": 3,
    "march": 3, "mär": 3, "märz": 3, "maerz": 3, "apr": 4, "april": 4, "may": 5, "mai": 5, "jun": 6,
    "june": 6, "juni": 6, "jul": 7, "july": 7, "juli": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "okt": 10, "oktober": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12, "dez": 12, "dezember": 12,
}  # fmt: skip
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"(?:19|20)\d\d"
_DATE = re.compile(
    rf"(?<!\d)(?P<y>{_Y})\s*(?:年\s*(?P<m>\d{{1,2}})\s*月(?:\s*(?P<d>\d{{1,2}})\s*[日号]|(?!\s*\d))"
    rf"|(?P<sep>[-/.])\s*(?P<m2>\d{{1,2}})\s*(?P=sep)\s*(?P<d2>\d{{1,2}})(?!\d))"
    rf"|(?<![\d.])(?P<d3>\d{{1,2}})\.\s?(?P<m3>\d{{1,2}})\.\s?(?P<y3>{_Y})(?![\d:])"
    rf"|(?<![\d/])(?P<a4>\d{{1,2}})/(?P<b4>\d{{1,2}})/(?P<y4>{_Y})(?!\d)(?P<ampm>\s+\d{{1,2}}:\d\d(?::\d\d)?\s*[ap]m)?"
    rf"|(?<!\w)(?:(?P<d5>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<n5>{_MONTH})\s*,?\s+(?P<y5>{_Y})"
    rf"|(?P<n6>{_MONTH})\s+(?P<d6>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(?P<y6>{_Y}))(?!\d)",
    re.I,
)
_TIME = re.compile(r"\s*(?:[-–,]\s*)?(?:\d{1,2}:\d\d(?::\d\d)?(?:\s*[ap]\.?m\.?)?|[ap]m)?", re.I)
_PUBLISHED = re.compile(
    r"(?:发布|发表|刊发|出版|上传|录入|首发|原创)\s*(?:时间|日期|于)?|(?<![新改订用问索阅])(?:时间|日期)|发稿"
    r"|\b(?:published|posted|first published|date|veröffentlicht|erschienen|publié|publicado)(?:\s+(?:on|am|le|el))?",
    re.I,
)
_UPDATED = re.compile(
    r"(?:最后|最近|本页面最后)?(?:更新|修订|修改|编辑)\s*(?:时间|日期|于)?"
    r"|\b(?:(?:last\s+)?(?:updated|modified|edited|revised)|aktualisiert|zuletzt\s+\w+|mis à jour|actualizado)"
    r"(?:\s+(?:on|am|le|el))?",
    re.I,
)
_PAGE_EDITED = re.compile(  # an encyclopedia-style page's statement: the page itself was last edited
    r"(?:本|此)?(?:页面?|条目)最后(?:修订|编辑|修改|更新)于?|最近更新[:：]"
    r"|\b(?:this\s+)?(?:page|article|entry)\s+(?:was\s+)?last\s+(?:edited|modified|updated|revised)(?:\s+on)?"
    r"|\bdiese\s+seite\s+wurde\s+zuletzt(?:\s+am)?",
    re.I,
)
_LAST_UPDATED = re.compile(
    r"(?:最后|最近)(?:更新|修订|修改|编辑)|\blast\s+(?:updated|modified|edited|revised)\b"
    r"|\bzuletzt\s+(?:aktualisiert|geändert|bearbeitet)\b",
    re.I,
)
_BODY_LABEL = re.compile(  # not a reference's access date (引用日期)
    r"(?<!引用)(?<!访问)(?<!检索)(?<!查阅)(?:发布|发表|更新|出版|成文|刊发|日期|时间)\s*(?:日期|时间|于)?\s*[:：]?\s*$"
)
_LABEL_GAP = re.compile(r"\s*[:：]?\s*(?:\[|【|（|\()?\s*$")  # between a label and its date
# Han sentence punctuation, or two Latin sentences
_SENTENCE = re.compile(r"[。！？]|[^\W\d_]{2}[.!?]\s+\w.*[^\W\d_][.!?]\s*$")
_CLAUSE = re.compile(r"^\s*[，,、]\s*[^\d\s]|[。！？；!?]|[，,]\s*[^\d\s].*[，,]")  # a caption or sentence goes on
_SOURCE_NOTE = re.compile(r"^(?:——|--|原载|原文载|载于|来源|转载自|出处)|《[^》]{1,30}》")
_DATELINE_CHARS = 80  # a dateline is short ...
_LABEL_REACH = 40  # ... and a "last updated" label is this close to its date (a name may sit between)
_HEADER_LINES = 6
_LIST_LINES = 3  # this many dated lines in a window: a list (sidebar, "more news"), not a dateline
_MIN_HEADLINE = 6
_HEADLINE_ROWS = 2  # the headline's first showings: later ones are teasers, citations, comments
_ANY, _NUMERIC, _NONE = "any", "numeric", "none"


def page_date(context: Context, markup_date: str | None, url: str, headlines: Sequence[str] = ()) -> str | None:
    """The article's date (module doc).  ``headlines`` are the page's headline candidates (og:title,
    JSON-LD headline, ``<h1>``, ``<title>``), the chosen title first."""
    in_url = url_date(url)
    markup = None if markup_date and markup_date == in_url else markup_date
    notes = (line for line in context.last if _SOURCE_NOTE.search(line))
    return (
        _window_date(context.header, _NUMERIC)
        or headline_dateline(context.visible, headlines, _NONE)
        or _labelled((*context.head, *context.last, *context.after))
        or last_updated(context.visible, _PAGE_EDITED)
        or (str(markup) if markup else None)
        or _window_date(context.header, _ANY)
        or headline_dateline(context.visible, headlines, _ANY)
        or last_updated(context.visible)
        or next((found for line in notes for _s, _e, found in dates_in(line)), None)
        or in_url
    )


def dates_in(text: str) -> list[tuple[int, int, str]]:
    """Every calendar date spelled in ``text``: (start, end, ISO date), in order."""
    return [(match.start(), match.end(), found) for match in _DATE.finditer(text) if (found := _iso(match))]


def headline_dateline(visible: Sequence[str], headlines: Sequence[str], plain: str = "any") -> str | None:
    """The dateline under the first lines that show a headline candidate (module doc, rule 1); ``plain``:
    which unlabelled dates count (``any`` form, ``numeric`` ones, or ``none``: labelled dates only)."""
    for row, rest in sorted(_headline_rows(visible, headlines))[:_HEADLINE_ROWS]:
        window = _until_prose((rest, *visible[row + 1 : row + 1 + _HEADER_LINES]))
        if found := _window_date(window, plain):
            return found
    return None


def last_updated(visible: Iterable[str], label: re.Pattern[str] = _LAST_UPDATED) -> str | None:
    """The date a "last updated / edited" statement gives (``本页面最后修订于2022年2月9日``,
    ``最近更新：某人（2020-02-14）``, ``This page was last edited on 9 February 2022``, ``Last updated:``)."""
    for line in visible:
        for found_label in label.finditer(line):
            label_end = found_label.end()
            after = line[label_end : label_end + _LABEL_REACH + 30]
            found = next(((start, iso) for start, _end, iso in dates_in(after)), None)
            if found is not None and found[0] <= _LABEL_REACH:
                return found[1]
    return None


def _headline_rows(visible: Sequence[str], headlines: Sequence[str]) -> list[tuple[int, str]]:
    """(row, the rest of its line after the headline) of the visible lines showing a headline: the whole
    candidate (possibly followed by the dateline), or its first part (a headline split over two lines, a
    ``<title>`` with a site suffix)."""
    rows: list[tuple[int, str]] = []
    for headline in dict.fromkeys(h.strip() for h in headlines if h and len(h.strip()) >= _MIN_HEADLINE):
        for row, line in enumerate(visible):
            if line.startswith(headline) and len(line) - len(headline) <= _DATELINE_CHARS * 2:
                rows.append((row, line[len(headline) :]))
            elif len(line) >= _MIN_HEADLINE and headline.startswith(line):
                rows.append((row, ""))
    return rows


def _until_prose(window: Sequence[str]) -> tuple[str, ...]:
    """The lines before the first paragraph: a long line, or a sentence (the body has begun)."""
    for index, line in enumerate(window):
        if len(line) > _DATELINE_CHARS * 2 or _SENTENCE.search(line):
            return tuple(window[:index])
    return tuple(window)


def _window_date(window: Sequence[str], plain_forms: str) -> str | None:
    """The dateline of the lines under a headline: a publication label first, then a dateline-shaped
    line, then an update label; nothing when the window is a list of dated lines, or when its dateline-shaped
    date is not of ``plain_forms`` (``any``, ``numeric``: written year first, ``none``)."""
    dated = [(line, dates_in(line)) for line in _until_prose(window)]
    if sum(1 for _line, found in dated if found) >= _LIST_LINES:
        return None
    kinds: dict[str, str] = {}
    for line, found in dated:
        for start, end, iso in found:
            kind = _kind(line[:start], line[end:])
            if kind == "plain" and iso in _numeric_dates(line):
                kind = "numeric"
            if kind is not None:
                kinds.setdefault(kind, iso)
    if "published" in kinds:
        return kinds["published"]
    allowed = {_ANY: ("numeric", "plain"), _NUMERIC: ("numeric",), _NONE: ()}[plain_forms]
    if "numeric" in kinds or "plain" in kinds:  # a dateline: the update label waits for it
        return next((kinds[kind] for kind in allowed if kind in kinds), None)
    return kinds.get("updated")


def _numeric_dates(text: str) -> list[str]:
    """The dates of ``text`` written year first (``2005-07-18``, ``2005年7月18日``): never ambiguous."""
    return [found for match in _DATE.finditer(text) if match["y"] and (found := _iso(match))]


def _kind(before: str, after: str) -> str | None:
    """What the text around a date makes of it: ``published`` / ``updated`` (a label right before it),
    ``plain`` (a dateline-shaped line), or None (a date in a sentence or a caption)."""
    head = before[-24:]
    gap = _LABEL_GAP.search(head)
    labelled = head[: gap.start()] if gap else head
    for kind, label in (("updated", _UPDATED), ("published", _PUBLISHED)):
        found = [match for match in label.finditer(labelled) if match.end() == len(labelled)]
        if found:
            return kind
    rest = after[_TIME.match(after).end() :] if _TIME.match(after) else after  # type: ignore[union-attr]
    if len(before) + len(after) > _DATELINE_CHARS or PROSE.search(before) or _CLAUSE.search(rest):
        return None
    return "plain"


def _labelled(lines: Iterable[str]) -> str | None:
    """A date right after a label (发布日期, 时间, ...) in the body's first and last lines."""
    for line in lines:
        for start, _end, iso in dates_in(line):
            if _BODY_LABEL.search(line[:start][-12:]):
                return iso
    return None


def _iso(match: re.Match[str]) -> str | None:
    year, month, day = _parts(match)
    if year is None or month is None or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _parts(match: re.Match[str]) -> tuple[int | None, int | None, int | None]:
    groups = match.groupdict()
    if groups["y"]:
        month, day = groups["m"] or groups["m2"], groups["d"] or groups["d2"]
        return int(groups["y"]), int(month), int(day) if day else None
    if groups["y3"]:
        return int(groups["y3"]), int(groups["m3"]), int(groups["d3"])
    if groups["y4"]:
        first, second = int(groups["a4"]), int(groups["b4"])
        if groups["ampm"] or (second > 12 >= first):
            return int(groups["y4"]), first, second  # month first: US
        return (int(groups["y4"]), second, first) if first > 12 >= second else (None, None, None)
    name, day, year = (groups["n5"], groups["d5"], groups["y5"]) if groups["y5"] else (
        groups["n6"], groups["d6"], groups["y6"])
    month = _MONTHS.get(name.rstrip(".").lower())
    return int(year), month, int(day)
