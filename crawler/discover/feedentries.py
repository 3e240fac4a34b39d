"""The entries of a feed and their identity: the :class:`FeedEntry` record, and the keys that say which
entry is which across fetches. Pure: drafts in, keyed entries out.

Entry identity (``FeedEntry.key``) -- the GUID-stability rule:

1. No GUID, or a blank one: the key is the canonical URL of the entry's link.
2. A GUID that is an absolute http(s) URL (a permalink, whatever ``isPermaLink`` says): the key is
   its canonical URL. Equal to the link, that is the link's canonical URL; different (FeedBurner-style
   proxy links, WordPress ``?p=123`` GUIDs next to slug links), the GUID is the more stable of the two.
3. Any other GUID is opaque. It is *not* trusted, and the canonical link is the key, when it is all
   digits (an item counter, a position in the list, a row id or an epoch timestamp: one parse cannot
   tell them apart), contains a time of day (``2024-05-01T10:00:00``, ``20240501100000``: regenerated
   at each render) or is shorter than 4 characters. Otherwise (``urn:uuid:``, ``tag:``, hashes, slugs)
   the key is ``guid:<feed host>:<GUID>``: opaque GUIDs are unique only within one publisher.
4. A GUID carried by several entries with different links, or equal to the feed's own URL or home
   page, is no identity: those entries are keyed by their canonical link.
5. Entries keyed by link whose links differ only in the part canonicalization removes, and carry a
   ``#fragment`` (Blogger archive pages: ``2004_08_29_archive.html#1094249585``), are different posts
   on one page: the fragment is appended to their key. Entries whose keys still collide are
   duplicates: the first is kept and the others counted.

A GUID regenerated at random on every fetch cannot be seen in one parse; ``canonical_link`` is kept
next to ``key`` so that the caller can see it across fetches (a known ``canonical_link`` under a new
``key`` means the feed's GUIDs are unstable and the feed should be keyed by link from then on).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urldefrag, urlsplit

from newswatch.crawler.urls import url_host
from newswatch.storage.errors import ParseError

HTTP_SCHEMES = frozenset({"http", "https"})
_HTTP = re.compile(r"https?://", re.I)
_TIME_OF_DAY = re.compile(r"\d{4}-?\d{2}-?\d{2}[T _-]?\d{2}:?\d{2}:?\d{2}")
Canonicalizer = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed; ``link`` is absolute http(s), ``key`` identifies it across fetches."""

    link: str
    title: str
    guid: str | None
    published: str | None  # ISO 8601 in UTC
    updated: str | None  # ISO 8601 in UTC
    summary: str  # plain text
    key: str = ""
    canonical_link: str = ""


@dataclass(frozen=True, slots=True)
class KeyedEntries:
    """A feed's entries keyed (in feed order, duplicates dropped), and what was dropped."""

    entries: tuple[FeedEntry, ...]
    dropped_no_link: int  # entries without any link
    dropped_unsafe: int  # links that are not http(s) with a host
    duplicates: int  # entries whose key repeats an earlier entry


def strip_fragment(url: str) -> str:
    """The default canonicalizer: the URL without its ``#fragment`` (ParseError when it is not a URL)."""
    try:
        return urldefrag(url).url
    except ValueError as exc:
        raise ParseError(f"not a valid URL: {url!r}") from exc


def key_entries(drafts: list[FeedEntry], feed_url: str, home: str | None,
                canonicalize: Canonicalizer) -> KeyedEntries:
    """Drop link-less and unsafe entries, key the rest, drop duplicate keys (``home``: the feed's site)."""
    canonicalize = _memo(canonicalize)  # a permalink GUID is most often the link itself
    kept: list[FeedEntry] = []
    no_link = unsafe = 0
    for draft in drafts:
        canonical = _safe_canonical(draft.link, canonicalize) if draft.link else None
        if not draft.link:
            no_link += 1
        elif canonical is None:
            unsafe += 1
        else:
            kept.append(replace(draft, canonical_link=canonical))
    entries, duplicates = _keyed(kept, feed_url, home, canonicalize)
    return KeyedEntries(tuple(entries), no_link, unsafe, duplicates)


def _memo(canonicalize: Canonicalizer) -> Canonicalizer:
    """``canonicalize`` remembering its results for one feed (a failure is not remembered: it raises again)."""
    done: dict[str, str] = {}

    def canonical(link: str) -> str:
        if link not in done:
            done[link] = canonicalize(link)
        return done[link]

    return canonical


def _safe_canonical(link: str, canonicalize: Canonicalizer) -> str | None:
    """``canonicalize(link)`` for an absolute http(s) link with a host, else None."""
    try:
        parts = urlsplit(link)
        if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
            return None
        return canonicalize(link)
    except (ParseError, ValueError):
        return None


def _keyed(kept: list[FeedEntry], feed_url: str, home: str | None,
           canonicalize: Canonicalizer) -> tuple[list[FeedEntry], int]:
    """Key every entry (rules 1-5 of the module docstring); drop the later ones of a repeated key."""
    not_ids = _shared(kept, lambda e: e.guid, lambda e: e.canonical_link) | {feed_url, home or feed_url}
    by_fragment = _shared(kept, lambda e: e.canonical_link, lambda e: e.link)
    host = url_host(feed_url)
    seen: Counter[str] = Counter()
    out: list[FeedEntry] = []
    for entry in kept:
        guid = entry.guid if entry.guid not in not_ids else None
        key = entry_key(guid, entry.canonical_link, host, canonicalize)
        fragment = urlsplit(entry.link).fragment
        if key == entry.canonical_link and key in by_fragment and fragment:
            key = f"{key}#{fragment}"
        seen[key] += 1
        if seen[key] == 1:
            out.append(replace(entry, key=key))
    return out, sum(seen.values()) - len(seen)


def _shared(
    entries: list[FeedEntry], value: Callable[[FeedEntry], str | None], other: Callable[[FeedEntry], str]
) -> set[str]:
    """The values that several entries carry with different ``other`` values."""
    others: dict[str, set[str]] = {}
    for entry in entries:
        key = value(entry)
        if key:
            others.setdefault(key, set()).add(other(entry))
    return {key for key, found in others.items() if len(found) > 1}


def entry_key(guid: str | None, canonical_link: str, feed_host: str, canonicalize: Canonicalizer) -> str:
    """The deduplication key of one entry (rules 1-3 of the module docstring)."""
    if not guid:
        return canonical_link
    if _HTTP.match(guid):
        return _safe_canonical(guid, canonicalize) or canonical_link
    if guid.isdigit() or len(guid) < 4 or _TIME_OF_DAY.search(guid):
        return canonical_link
    return f"guid:{feed_host}:{guid}"
