"""Feed parsing: a pure function, bytes in, a :class:`Feed` out.

RSS/Atom/RDF/CDF go through feedparser, always as ``io.BytesIO`` (a ``str`` would make feedparser
fetch URLs or open local files). feedparser 6.0 does not read JSON Feed (it reports "not
well-formed"), so JSON Feed 1.0/1.1 is parsed here with :func:`json.loads`. Which entry is which across
fetches (the GUID-stability rule) is :mod:`crawler.discover.feedentries`; the feeds a page announces,
:mod:`crawler.discover.links`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import lxml.html
from lxml import etree

from newswatch.crawler.discover.feedentries import Canonicalizer, FeedEntry, key_entries, strip_fragment
from newswatch.crawler.urls import join_url
from newswatch.storage.errors import ParseError

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 1000
_HTML_START = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_SINGLE_BYTE = frozenset({"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii"})
_URI_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
_HTTP = re.compile(r"https?://", re.I)
_JSONFEED = {"https://jsonfeed.org/version/1": "json10", "https://jsonfeed.org/version/1.1": "json11"}


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed. ``bozo``/``warnings``: ill-formed but usable. The counters say what was dropped."""

    url: str
    title: str
    link: str | None  # the site's home page
    kind: str  # rss, atom, cdf, json, unknown
    version: str  # feedparser's version (rss20, atom10, rss10, ...), json10/json11, or unknown
    encoding: str
    entries: tuple[FeedEntry, ...] = ()
    bozo: bool = False
    warnings: tuple[str, ...] = ()
    dropped_no_link: int = 0  # entries without any link
    dropped_unsafe: int = 0  # links that are not http(s) with a host: javascript:, mailto:, file:, data:
    duplicates: int = 0  # entries whose key repeats an earlier entry
    truncated: int = 0  # entries beyond max_entries


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    canonicalize: Canonicalizer = strip_fragment,
) -> Feed:
    """Parse an RSS, Atom, RDF, CDF or JSON feed served from ``url`` with the HTTP ``headers``.

    Raises :class:`ParseError` for a body over ``max_bytes``, an empty body, an HTML page, or anything
    else that is not a feed. An ill-formed feed that still yields a feed comes back with ``bozo`` set.
    ``canonicalize`` may raise :class:`ParseError` or :class:`ValueError`: such links are dropped.
    """
    if len(body) > max_bytes:
        raise ParseError(f"feed {url}: body of {len(body)} bytes exceeds the {max_bytes}-byte cap")
    if not body.strip():
        raise ParseError(f"feed {url}: empty body")
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        feed, drafts = _parse_json_feed(body, url)
    else:
        feed, drafts = _parse_xml_feed(body, url, {k.lower(): v for k, v in (headers or {}).items()})
    return _finish(feed, drafts, max_entries, canonicalize)


# --- XML feeds (feedparser) -------------------------------------------------------------------------


def _parse_xml_feed(body: bytes, url: str, hdrs: dict[str, str]) -> tuple[Feed, list[FeedEntry]]:
    base = _abs(hdrs.get("content-location"), url) or url
    if "content-type" in hdrs:  # without it feedparser flags every feed and assumes iso-8859-1
        hdrs["content-location"] = base
    notes = _fix_contradicting_charset(body, hdrs)
    feedparser = _feedparser()
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=hdrs if "content-type" in hdrs else None)
        version = str(result.get("version") or "")
        drafts = [_xml_entry(e, base) for e in result.get("entries", [])]
    except Exception as exc:  # the foreign-library boundary: feedparser is large and lenient
        raise ParseError(f"feed {url}: feedparser failed: {exc!r}") from exc
    if not version and _HTML_START.match(body[:4096]):
        raise ParseError(f"feed {url}: the body is an HTML page, not a feed")
    if not version and not drafts:
        why = result.get("bozo_exception")
        raise ParseError(f"feed {url}: not a feed" + (f" ({why})" if why else ""))
    bozo = bool(result.get("bozo"))
    if bozo:
        notes.append(f"ill-formed: {result.get('bozo_exception')}")
    if not version:
        notes.append("unrecognised feed format; entries kept")
    meta = result.get("feed", {})
    kind = next((k for k in ("rss", "atom", "cdf") if version.startswith(k)), "unknown")
    return Feed(
        url=url,
        title=_text(meta.get("title")),
        link=_abs(meta.get("link"), base),
        kind=kind,
        version=version or "unknown",
        encoding=str(result.get("encoding") or ""),
        bozo=bozo,
        warnings=tuple(notes),
    ), drafts


def _feedparser() -> Any:
    """feedparser (~30 ms to import: not for a run of 304s), its URL joins memoized
    (:mod:`crawler.discover.feedurls`)."""
    from newswatch.crawler.discover import feedurls

    feedurls.install()
    return feedurls.feedparser


def _fix_contradicting_charset(body: bytes, hdrs: dict[str, str]) -> list[str]:
    """Servers often send ``charset=iso-8859-1`` with GB2312 or UTF-8 feeds, and RFC 3023 lets the
    header win, garbling every title: when the non-ASCII body decodes cleanly in the multi-byte
    encoding its XML declaration names, that encoding replaces the header's (a warning is noted)."""
    media, _, params = hdrs.get("content-type", "").partition(";")
    charset = re.search(r"charset\s*=\s*['\"]?([\w.:-]+)", params, re.I)
    decl = _XML_DECL_ENCODING.match(body[:512])
    if not charset or not decl or charset.group(1).lower() not in _SINGLE_BYTE or body.isascii():
        return []
    declared = decl.group(1).decode("ascii").lower()
    if declared in _SINGLE_BYTE:
        return []
    try:
        body.decode(declared)
    except (LookupError, UnicodeDecodeError):
        return []
    hdrs["content-type"] = f"{media.strip()}; charset={declared}"
    return [f"HTTP charset {charset.group(1)} contradicts the XML declaration; decoded as {declared}"]


def _xml_entry(entry: dict[str, Any], base: str) -> FeedEntry:
    get = dict.get  # plain dict access: FeedParserDict's fallbacks emit DeprecationWarning
    summary_type = str(get(get(entry, "summary_detail") or {}, "type", "text/html"))
    return FeedEntry(
        link=_abs(_alternate(entry), base) or "",
        title=_text(get(entry, "title")),
        guid=_text(str(get(entry, "id") or "")) or None,
        published=_iso(get(entry, "published_parsed")),
        updated=_iso(get(entry, "updated_parsed")),
        summary=_plain(_text(get(entry, "summary")), is_html="html" in summary_type),
    )


def _alternate(entry: dict[str, Any]) -> Any:
    """The entry's HTML alternate link (feedparser 6.0's ``link`` can be a later enclosure's)."""
    alternates = [
        link for link in dict.get(entry, "links") or []
        if dict.get(link, "rel", "alternate") == "alternate" and dict.get(link, "href")
    ]
    html = [a for a in alternates if dict.get(a, "type", "") in ("", "text/html", "application/xhtml+xml")]
    if html or alternates:
        return dict.get((html or alternates)[0], "href")
    link = dict.get(entry, "link")
    if dict.get(entry, "guidislink") and _URI_SCHEME.match(str(link)) and not _HTTP.match(str(link)):
        return None  # feedparser's stand-in for a missing link: an Atom id like urn:uuid:...
    return link


# --- JSON Feed ---------------------------------------------------------------------------------------


def _parse_json_feed(body: bytes, url: str) -> tuple[Feed, list[FeedEntry]]:
    notes: list[str] = []
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("utf-8-sig", errors="replace")
        notes.append("ill-formed: JSON Feed is not valid UTF-8; bad bytes replaced")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"feed {url}: not a feed (invalid JSON: {exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError(f"feed {url}: JSON document is not a JSON Feed (no 'items' list)")
    version = str(data.get("version", "")).rstrip("/")
    if version not in _JSONFEED:
        notes.append(f"unknown JSON Feed version {version!r}")
    return Feed(
        url=url,
        title=_text(data.get("title")),
        link=_abs(data.get("home_page_url"), url),
        kind="json",
        version=_JSONFEED.get(version, "json"),
        encoding="utf-8",
        bozo=bool(notes and notes[0].startswith("ill-formed")),
        warnings=tuple(notes),
    ), [_json_entry(item, url) for item in data["items"] if isinstance(item, dict)]


def _json_entry(item: dict[str, Any], base: str) -> FeedEntry:
    if item.get("summary") or item.get("content_text"):
        summary = _plain(_text(item.get("summary") or item.get("content_text")), is_html=False)
    else:
        summary = _plain(_text(item.get("content_html")), is_html=True)
    guid = item.get("id")  # JSON Feed 1.0 allowed numbers
    return FeedEntry(
        link=_abs(item.get("url") or item.get("external_url"), base) or "",
        title=_text(item.get("title")),
        guid=(_text(str(guid)) or None) if isinstance(guid, str | int) else None,
        published=_iso(item.get("date_published")),
        updated=_iso(item.get("date_modified")),
        summary=summary,
    )


def _iso(value: Any) -> str | None:
    """ISO 8601 in UTC from feedparser's UTC ``struct_time`` or an RFC 3339 string (JSON Feed)."""
    try:
        if isinstance(value, struct_time):
            return datetime(*value[:6], tzinfo=UTC).isoformat()
        when = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except (ValueError, OverflowError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).isoformat() if when else None


# --- shared ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _abs(value: Any, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return join_url(base, value.strip())


def _plain(value: str, *, is_html: bool) -> str:
    """Plain text of a summary: markup, scripts and styles removed, whitespace collapsed."""
    if is_html and "<" in value:
        try:
            root = lxml.html.fragment_fromstring(value, create_parent="div")
            etree.strip_elements(root, "script", "style", with_tail=False)
            value = str(root.text_content())
        except (etree.ParserError, ValueError):
            pass
    return " ".join(value.split())


def _finish(feed: Feed, drafts: list[FeedEntry], max_entries: int, canonicalize: Canonicalizer) -> Feed:
    """The feed with its entries keyed (:mod:`crawler.discover.feedentries`) and their count capped."""
    keyed = key_entries(drafts, feed.url, feed.link, canonicalize)
    return replace(
        feed,
        entries=keyed.entries[:max_entries],
        dropped_no_link=keyed.dropped_no_link,
        dropped_unsafe=keyed.dropped_unsafe,
        duplicates=keyed.duplicates,
        truncated=max(0, len(keyed.entries) - max_entries),
    )
