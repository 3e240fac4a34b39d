"""Normalization and fingerprints, pure: what must not count as a change does not reach the diff.

Removed before fingerprinting (and before diffing, so diffs show only real edits):

- invisible characters (zero-width spaces and joiners, BOM, soft hyphen, bidi marks);
- punctuation and letter *width* (NFKC: ``，`` and ``,`` or ``ＡＢＣ`` and ``ABC`` are one text);
- whitespace differences (runs collapsed; spaces next to CJK characters dropped: ``DeepSeek 发布``
  and ``DeepSeek发布`` are one text);
- Markdown decoration: link targets (``[text](url)`` becomes ``text``, signed/tracking URLs vary per
  request), images, emphasis markers, heading and list markers;
- lines that vary per request: view/like/comment counters, bare timestamps, "updated N minutes ago",
  share and ad prompts, and a trailing "related articles" block;
- the page's own volatile furniture: stamp lines, ad lines and a block of them after the article
  (``monitor.changes.volatile``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable

import regex

from newswatch.monitor.changes.volatile import volatile_lines

INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-+*]\s+|\d{1,3}[.)]\s+)|[*_`~]+|\|")
_SPACES = re.compile(r"\s+")
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")  # no spacing style next to CJK counts
_NOISE_LINE = re.compile(
    r"^(?:"
    r"(?:阅读|浏览|点击|评论|点赞|在看|分享|收藏|转发|播放|views?|likes?|comments?|shares?)"
    r"(?:量|数|次数)?\s*[:：]?\s*[\d,.]+\s*(?:万|千|k|w|次)?"
    r"|[\d,.]+\s*(?:万|千|k|w)?\s*(?:人)?(?:阅读|浏览|评论|点赞|views?|comments?|likes?)"
    r"|(?:更新于|发布于|updated)?\s*\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?"
    r"|\d+\s*(?:秒|分钟|小时|天)前(?:更新)?|(?:updated\s+)?\d+\s+(?:seconds?|minutes?|hours?|days?)\s+ago"
    r"|(?:广告|推广|赞助|advertisement|sponsored|ad)"
    r"|(?:分享到|分享至|扫一扫|扫码|微信扫一扫|打开app|下载app|点击关注|关注我们|share\s+(?:on|this)).{0,30}"
    r")$",
    re.IGNORECASE,
)
_RELATED = re.compile(
    r"^(?:相关(?:阅读|新闻|文章|推荐|链接|报道)|推荐阅读|延伸阅读|(?:热门|热点)(?:文章|推荐|新闻)|猜你喜欢|更多(?:精彩|阅读|新闻)"
    r"|\w{0,6}(?:新闻|文章)精选|(?:24小时|今日|本周)?(?:热榜|排行榜?)"
    r"|related(?:\s+(?:articles|stories|posts|news))?|read\s+more|more\s+stories|you\s+may\s+also\s+like)\s*[:：]?$",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1 << 12)
def display_line(line: str) -> str:
    """A line as a reader sees it: no invisible characters, link targets, images or Markdown marks."""
    text = _LINK.sub(r"\1", _IMAGE.sub("", INVISIBLE.sub("", line)))
    return _SPACES.sub(" ", _MARKS.sub("", text)).strip()


@functools.lru_cache(maxsize=1 << 12)
def normalize_line(line: str) -> str:
    """One line in comparable form (see the module doc); empty for a line that is only decoration.
    Pure, so remembered (the same lines are normalized for keys, fingerprints and diffs)."""
    text = unicodedata.normalize("NFKC", display_line(line))
    return _CJK_GAP.sub("", _SPACES.sub(" ", text).strip())


def content_lines(body: str) -> list[str]:
    """The body's lines as displayed, without noise lines, without a trailing related-links block and
    without the page's own volatile furniture (``monitor.changes.volatile``)."""
    return [shown for _raw, shown, _key in _content(body)]


def _content(body: str, keep: frozenset[str] = frozenset()) -> list[tuple[str, str, str]]:
    """(raw, shown, key) of the lines :func:`content_lines` keeps; a volatile line whose key is in
    ``keep`` is kept too."""
    lines, noise, volatile = _read(body)
    if not volatile:
        return [line for index, line in enumerate(lines) if not noise[index]]
    return [line for index, line in enumerate(lines)
            if not noise[index] and (index not in volatile or line[2] in keep)]


@functools.lru_cache(maxsize=16)
def _read(body: str) -> tuple[tuple[tuple[str, str, str], ...], tuple[bool, ...], frozenset[int]]:
    """The body's non-blank lines as (raw, shown, key) up to a trailing related-links block, which of
    them are noise lines, and which are volatile. Pure, so remembered: one detection reads the same two
    bodies for the anomaly test, the fingerprints, the fields compared, the steady pair and the diff."""
    lines = [(line, display_line(line), normalize_line(line)) for line in body.splitlines()]
    lines = [line for line in lines if line[2]]
    for index in range(len(lines) - 1, max(len(lines) - 40, 0) - 1, -1):
        if _RELATED.match(lines[index][2]) and index >= len(lines) // 2:
            lines = lines[:index]
            break
    noise = tuple(bool(_NOISE_LINE.match(key)) for _raw, _shown, key in lines)
    volatile = volatile_lines([(raw, shown, noisy) for (raw, shown, _key), noisy in zip(lines, noise, strict=True)])
    return tuple(lines), noise, volatile


def forget_bodies() -> None:
    """Forget the bodies :func:`_read` remembers (a measurement of one detection starts from none)."""
    _read.cache_clear()


def steady_pair(old: str, new: str) -> tuple[str, str]:
    """Two bodies of one page as they are compared: without the volatile lines of each (the page's own
    furniture, ``monitor.changes.volatile``) — except those the other body has as text. A block that
    appears in one fetch and not the other takes nothing of what stands in both (the lines after it)."""
    kept_old = {key for _raw, _shown, key in _content(old)}
    kept_new = {key for _raw, _shown, key in _content(new)}
    return _joined(_content(old, frozenset(kept_new))), _joined(_content(new, frozenset(kept_old)))


def _joined(lines: list[tuple[str, str, str]]) -> str:
    return "\n\n".join(raw for raw, _shown, _key in lines)


def is_noise_line(key: str) -> bool:
    """True for a normalized line (:func:`normalize_line`) that varies per request (see the module doc)."""
    return bool(_NOISE_LINE.match(key))


def normalize_body(body: str) -> str:
    return "\n".join(normalize_line(line) for line in content_lines(body))


def flat_text(text: str) -> str:
    """The normalized text as one line: re-wrapping or re-paragraphing the same words is no change."""
    return normalize_line(" ".join(content_lines(text)))


def fingerprint(parts: Iterable[str | None]) -> str:
    """SHA-256 over the normalized parts (title, author, dates, body): equal means unchanged."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(flat_text(part or "").encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


_INSIGNIFICANT = regex.compile(r"[\s\x1c-\x1f\p{P}]+")  # str.isspace() counts \x1c-\x1f too


def significant_length(text: str) -> int:
    """Characters that carry content: no whitespace, no punctuation (Unicode category P*)."""
    return len(text) - sum(len(run) for run in _INSIGNIFICANT.findall(text))
