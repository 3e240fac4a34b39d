"""Volatile blocks of one page, pure: furniture a page carries alone, told from the article by its shape.

A page may carry a block no other article of its site shares — a "热点推荐" hot list with its update time,
a 24-hour ranking with reading counts, an ad — so no site template (``monitor.changes.template``) can
learn it. Its time stamp and counters change on every visit, and it may appear, rotate or vanish between
two visits of an unchanged article. Such a block is no part of the article, judged line by line from what
the extractor kept (the page's markup is gone by then):

- a **stamp line** — a short line that is essentially a date-time stamp with a label (``热点推荐更新于
  2025-02-11 08:15:32``, ``数据更新：02-11 16:29``, ``更新时间：2025年02月11日 08:15``) — is never part of
  the article, wherever it stands;
- an **ad line** (``广告 …``, ``推广 …``, ``[广告]``) neither;
- a **volatile block**: a run of *furniture* lines (short lines that end no sentence, bare links,
  counters) from its first *marker* line (a stamp line, an ad line, a hot-list or ranking heading, a line
  with a reading count, a bare link) on — after the article's last paragraph one marker makes a block,
  between two paragraphs it takes two (a short subheading with 推荐 in it is the article's). The credit
  lines found in a block (``作者：``, ``（编辑：…）``, ``（记者 …）``, ``来源：``) are the article's own
  and stay, wherever the block is put; so do copyright and contact lines (the site's, stable).

A page that is nothing but such lines keeps them (there the lines are the text). Two fetches are compared
as a pair (``monitor.changes.normalize.steady_pair``): a line cut with the block of one fetch that the
other fetch has as text stays in both, so a block that comes and goes (the extractor keeps it one time
and not the next) takes no stable line after it along. Numbers in sentences
are never touched: ``335名`` to ``353名`` in a paragraph stays a change, and so does a correction or
a note appended after the article (a sentence, or a line starting ``更正``/``更新：``… with more to say).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

FURNITURE_CHARS = 40  # a line this short, not ending a sentence, may belong to a block of furniture
STAMP_REST_CHARS = 12  # a stamp line says at most this much besides its stamp
HEADING_CHARS = 16

SENTENCE_END = re.compile(r"[。！？!?；;…]$|[。！？!?][”」』\"')）]$")
EDITORIAL = re.compile(r"^(?:更正|勘误|更新|补充|编者按|编者注|注[:：]|声明|correction|update|editor'?s note)",
                       re.IGNORECASE)  # a short line saying so is the newsroom speaking, never furniture
LINK_LINE = re.compile(r"^\s{0,3}(?:[-+*]\s+|\d{1,3}[.)]\s+)?\[[^\]]*\]\([^)]*\)\s*$")
_STAMP = re.compile(
    r"(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}(?::\d{2})?"  # (year) date time
    r"|(?:更新|刷新|updated?)\D{0,8}?\d{1,2}:\d{2}(?::\d{2})?",  # an update word and a time
    re.IGNORECASE)
_AD = re.compile(r"^[\[【（(]?(?:广告|推广|赞助|advertisement|sponsored)[\]】）)]?(?:[\s:：|丨·]|$)", re.IGNORECASE)
_COUNT = re.compile(r"\d[\d,.]*\s*[万千kw]?\s*(?:人|次)?(?:阅读|浏览|评论|点赞|热度|播放)"
                    r"|(?:阅读|浏览|评论|点赞|热度|播放)(?:量|数)?\s*[:：]?\s*\d")
_HEADING = re.compile(r"热点|热门|热榜|热搜|排行|推荐|猜你喜欢|相关(?:阅读|新闻|文章|报道|链接)|延伸阅读"
                      r"|更多(?:新闻|精彩|阅读)")
_CREDIT = re.compile(r"^[\[【（(□■●◆]*\s*(?:本报|本台|新华社|央视)?(?:作者|编辑|责任编辑|责编|主编|来源|记者|通讯员"
                     r"|撰文|撰稿|文|图|摄影|摄|校对|审核|审校|监制|出品|原标题|编译)\s*(?:[:：︱|丨/]|\s)")
_FOOTER = re.compile(r"版权|转载|授权|联系我们|电话|邮箱|ICP|©|copyright|all rights", re.IGNORECASE)


def is_stamp_line(shown: str) -> bool:
    """A short line that is essentially a date-time stamp with a label (see the module doc)."""
    if len(shown) > FURNITURE_CHARS or SENTENCE_END.search(shown):
        return False
    stamp = _STAMP.search(shown)
    return stamp is not None and len(re.sub(r"\s", "", shown[:stamp.start()] + shown[stamp.end():])) <= STAMP_REST_CHARS


def is_ad_line(shown: str) -> bool:
    return len(shown) <= FURNITURE_CHARS and bool(_AD.match(shown))


def is_furniture(raw: str, shown: str, noise: bool, short: int = FURNITURE_CHARS) -> bool:
    """Could belong to a block of page furniture: decoration only, a noise line, a bare link, or a line
    of at most ``short`` characters that ends no sentence and is not the newsroom speaking (``raw``: the
    line as extracted, ``shown``: as displayed, ``noise``: a per-request line such as a bare counter)."""
    return not shown or noise or bool(LINK_LINE.match(raw)) or (
        len(shown) <= short and not SENTENCE_END.search(shown) and not EDITORIAL.match(shown))


def _marker(raw: str, shown: str) -> bool:
    """A line that marks a block of furniture: a stamp, an ad, a reading count, a hot-list heading, a link."""
    return is_stamp_line(shown) or is_ad_line(shown) or bool(LINK_LINE.match(raw)) or (
        len(shown) <= FURNITURE_CHARS and not SENTENCE_END.search(shown) and (
            bool(_COUNT.search(shown)) or (len(shown) <= HEADING_CHARS and bool(_HEADING.search(shown)))))


def _cut(run: Sequence[int], marked: Sequence[bool], ends_body: bool) -> list[int]:
    """The lines of one run of furniture that are a volatile block: from its first marker to its end —
    at the end of the body one marker is enough, between paragraphs it takes two."""
    markers = [index for index in run if marked[index]]
    if not markers or (len(markers) < 2 and not ends_body):
        return []
    return [index for index in run if index >= markers[0]]


def volatile_lines(lines: Sequence[tuple[str, str, bool]]) -> frozenset[int]:
    """Indexes of the lines of one body that are its own volatile furniture (see the module doc); each
    line is ``(raw, shown, noise)`` (see :func:`is_furniture`), blank lines left out."""
    kinds = [_kind(*line) for line in lines]
    marked = [kind.marker for kind in kinds]
    if all(kind.furniture for kind in kinds):
        return frozenset()  # nothing but furniture: these lines are the text (a title, a date, a bulletin)
    out: set[int] = set()
    run: list[int] = []
    for index, kind in enumerate(kinds):
        if kind.furniture:
            run.append(index)
            continue
        out.update(_cut(run, marked, ends_body=False))
        run = []
    out.update(_cut(run, marked, ends_body=True))
    out.update(index for index, kind in enumerate(kinds) if kind.always)
    return frozenset(index for index in out if not kinds[index].stays)


@dataclass(frozen=True, slots=True)
class _Kind:
    """What one line is to :func:`volatile_lines`."""

    marker: bool  # marks a block of furniture (:func:`_marker`)
    furniture: bool  # may belong to one (a marker, or :func:`is_furniture`)
    always: bool  # volatile wherever it stands: a stamp or an ad line
    stays: bool  # the article's or the site's, stable from visit to visit, kept inside a block: a credit
    # line, a copyright or contact line (so a block appearing before them does not take them along)


@functools.lru_cache(maxsize=1 << 13)
def _kind(raw: str, shown: str, noise: bool) -> _Kind:
    """A line's kind, remembered: pure, and the lines of a body come back in every reading of it (the
    fetch, the steady pair, the diff) and in the next fetch of the article."""
    marker = _marker(raw, shown)
    always = is_stamp_line(shown) or is_ad_line(shown)
    stays = bool(_CREDIT.match(shown) or _FOOTER.search(shown)) and not always
    return _Kind(marker, marker or is_furniture(raw, shown, noise), always, stays)

