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

__all__ = ["MAX_CANDIDATE_CHARS", "TitleCandidates", "choose_title", "title_variants"]

MAX_CANDIDATE_CHARS = 1000  # longer "titles" are page text, not headlines
_SEPARATOR = re.compile(r"\s*(?:[_|｜–—»·]|::|\s[-:：]{1,2}\s|-{1,2}(?=[^-\s]{2,12}$))\s*")
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
    while (longer := _completion(best, entries, support)) is not None and longer not in seen:
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
    collapsed = " ".join((text or "").split())
    return collapsed if 2 <= len(collapsed) <= MAX_CANDIDATE_CHARS else None


def _flat(text: str) -> str:
    return _SPACES.sub("", text)


def _support(entry: _Entry, entries: list[_Entry]) -> int:
    """How many other kinds of source give the same text."""
    return len({other.kind for other in entries if other.kind != entry.kind and other.flat == entry.flat})


def _completion(entry: _Entry, entries: list[_Entry], support: dict[_Entry, int]) -> _Entry | None:
    """The text ``entry`` is a truncation of: another source's candidate that extends it, not by a
    site suffix; the best supported, then the shortest such."""
    longer = [
        other for other in entries
        if other.kind != entry.kind and len(other.flat) > len(entry.flat) and other.flat.startswith(entry.flat)
        and other.flat[len(entry.flat)] not in _SUFFIX_START
    ]  # fmt: skip
    return min(longer, key=lambda e: (-support[e], len(e.flat)), default=None)
