"""A sitemap's XML read as a stream, and what it lists: the :class:`SitemapEntry` of each ``<url>`` (with
Google News and hreflang extensions) and the :class:`SitemapRef` of each child ``<sitemap>``, each URL through
the checks a sitemap's URLs pass (:class:`UrlCheck`).

XML goes through lxml with a safe parser: no network, no entity resolution, no DTD loading, no huge
trees. Ill-formed XML (real sitemaps contain unescaped ``&`` in URLs) gets its bare ``&`` escaped and
is then parsed with lxml's ``recover``; the original error is reported in ``warnings``. Elements are
matched by local name, so sitemaps in the old ``0.84`` namespace or in none at all are read too. Dates
(``lastmod``, ``news:publication_date``) are W3C datetimes, returned as ISO 8601 strings in UTC (a date
alone is midnight UTC; a time without an offset is taken as UTC); an unreadable date becomes ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newswatch.crawler.fetch.compression import CHUNK
from newswatch.crawler.urls import join_url, split_url
from newswatch.storage.errors import ParseError

_CHUNK = CHUNK
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#\d+|#x[0-9A-Fa-f]+);)")
_HTML_ROOTS = frozenset({"html", "head", "body"})


@dataclass(frozen=True, slots=True)
class Alternate:
    """An ``<xhtml:link rel="alternate" hreflang=...>`` of a sitemap URL."""

    hreflang: str
    href: str


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One page listed by a ``<urlset>`` (or one line of a plain-text sitemap)."""

    loc: str
    lastmod: str | None = None
    changefreq: str | None = None
    priority: float | None = None
    news_title: str | None = None  # news:title
    news_publication: str | None = None  # news:publication/news:name
    news_language: str | None = None  # news:publication/news:language
    news_published: str | None = None  # news:publication_date, ISO 8601 in UTC
    alternates: tuple[Alternate, ...] = ()


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """A child sitemap listed by a ``<sitemapindex>``: fetch and parse it in turn."""

    loc: str
    lastmod: str | None = None


@dataclass(frozen=True, slots=True)
class XmlListing:
    """What a sitemap's XML lists: ``entries`` for a ``<urlset>``, ``refs`` for a ``<sitemapindex>``."""

    kind: str  # urlset, index
    entries: tuple[SitemapEntry, ...] = ()
    refs: tuple[SitemapRef, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class UrlCheck:
    """The checks every URL of a sitemap passes (absolute http(s), on the sitemap's host unless
    ``allow_other_hosts``, at most ``max_urls``), counting what they drop."""

    host: str
    allow_other_hosts: bool
    max_urls: int
    kept: int = 0
    invalid: int = 0
    offsite: int = 0
    truncated: int = 0

    def accept(self, raw: str | None) -> str | None:
        """``raw`` stripped when it passes, else None (and the reason counted)."""
        loc = (raw or "").strip()
        parts = urlsplit(loc) if is_http_url(loc) else None
        if parts is None or not parts.hostname:
            self.invalid += 1
            return None
        if not self.allow_other_hosts and bare_host(parts.hostname) != self.host:
            self.offsite += 1
            return None
        if self.kept >= self.max_urls:
            self.truncated += 1
            return None
        self.kept += 1
        return loc


def read_xml(chunks: Callable[[], Iterator[bytes]], url: str, check: UrlCheck) -> tuple[XmlListing, UrlCheck]:
    """Stream the XML (strictly; if that fails, again with bare ``&`` escaped and lxml recovering): what it
    lists, and the check that counted its URLs (a fresh one for the second reading)."""
    try:
        return _stream(chunks(), url, check, recover=False), check
    except etree.XMLSyntaxError as exc:
        first_error = str(exc)
    again = UrlCheck(check.host, check.allow_other_hosts, check.max_urls)
    try:
        listing = _stream(escape_ampersands(chunks()), url, again, recover=True)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"sitemap {url}: not parseable XML: {exc}") from exc
    return replace(listing, warnings=(f"ill-formed XML, recovered: {first_error}",)), again


def escape_ampersands(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` with every bare ``&`` escaped; a chunk is cut after its last ``>`` so that no
    reference is split between two chunks."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = data.rfind(b">") + 1
        if cut == 0 and len(data) < 4 * _CHUNK:
            carry = data
            continue
        cut = cut or len(data)
        carry = data[cut:]
        yield _BARE_AMPERSAND.sub(b"&amp;", data[:cut])
    if carry:
        yield _BARE_AMPERSAND.sub(b"&amp;", carry)


def _stream(chunks: Iterator[bytes], url: str, check: UrlCheck, *, recover: bool) -> XmlListing:
    """Read the document element by element; each ``<url>``/``<sitemap>`` is dropped once read, so a
    50,000-URL sitemap never stands whole as a tree."""
    parser = etree.XMLPullParser(events=("start", "end"), **_PARSER_OPTIONS, recover=recover)
    state = _Reading(url, check)
    try:
        for chunk in chunks:
            parser.feed(chunk)
            state.take(parser.read_events())
        parser.close()
    except ValueError as exc:
        raise ParseError(f"sitemap {url}: not parseable XML: {exc}") from exc
    state.take(parser.read_events())
    return state.listing()


@dataclass(slots=True)
class _Reading:
    """What the stream has read so far: the root's name, the entries or the child sitemaps."""

    url: str
    check: UrlCheck
    root: str | None = None
    entries: list[SitemapEntry] = field(default_factory=list)
    refs: list[SitemapRef] = field(default_factory=list)

    def take(self, events: Any) -> None:
        for event, el in events:
            if event == "start":
                if self.root is None:
                    self.root = self._root_name(el)
                continue
            parent = el.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # the root itself, or a field inside a <url>: read with its <url>
            self._read(el)
            parent.remove(el)

    def _root_name(self, el: Any) -> str:
        name = _local(el).lower()
        if name in _HTML_ROOTS:
            raise ParseError(f"sitemap {self.url}: the body is an HTML page, not a sitemap")
        if name not in ("urlset", "sitemapindex"):
            raise ParseError(f"sitemap {self.url}: root element <{name}> is neither <urlset> nor <sitemapindex>")
        return name

    def _read(self, el: Any) -> None:
        if not isinstance(el.tag, str):
            return
        name = _local(el)
        if self.root == "urlset" and name == "url":
            entry = _url_entry(el, self.url, self.check)
            if entry is not None:
                self.entries.append(entry)
        elif self.root == "sitemapindex" and name == "sitemap":
            ref = _sitemap_ref(el, self.check)
            if ref is not None:
                self.refs.append(ref)

    def listing(self) -> XmlListing:
        if self.root is None:
            raise ParseError(f"sitemap {self.url}: not parseable XML: no root element")
        if self.root == "urlset":
            return XmlListing(kind="urlset", entries=tuple(self.entries))
        return XmlListing(kind="index", refs=tuple(self.refs))


_PARSER_OPTIONS = {  # lxml's parser without network, entity expansion, DTD loading or huge trees
    "resolve_entities": False, "no_network": True, "huge_tree": False, "load_dtd": False,
    "remove_comments": True, "remove_pis": True,
}


def _url_entry(el: Any, base: str, check: UrlCheck) -> SitemapEntry | None:
    fields = _texts(el)
    loc = check.accept(fields.get("loc"))
    if loc is None:
        return None
    news = next(_kids(el, "news"), None)
    news_fields = _texts(news) if news is not None else {}
    publication = next(_kids(news, "publication"), None) if news is not None else None
    pub_fields = _texts(publication) if publication is not None else {}
    return SitemapEntry(
        loc=loc,
        lastmod=w3c_datetime(fields.get("lastmod")),
        changefreq=(fields.get("changefreq") or "").lower() or None,
        priority=_priority(fields.get("priority")),
        news_title=news_fields.get("title") or None,
        news_publication=pub_fields.get("name") or None,
        news_language=pub_fields.get("language") or None,
        news_published=w3c_datetime(news_fields.get("publication_date")),
        alternates=_alternates(el, base),
    )


def _sitemap_ref(el: Any, check: UrlCheck) -> SitemapRef | None:
    fields = _texts(el)
    loc = check.accept(fields.get("loc"))
    return SitemapRef(loc=loc, lastmod=w3c_datetime(fields.get("lastmod"))) if loc else None


def _alternates(el: Any, base: str) -> tuple[Alternate, ...]:
    found = []
    for link in _kids(el, "link"):
        href = (link.get("href") or "").strip()
        lang = (link.get("hreflang") or "").strip()
        if (link.get("rel") or "").strip().lower() == "alternate" and lang and href:
            absolute = join_url(base, href)
            if absolute is not None and is_http_url(absolute):
                found.append(Alternate(hreflang=lang, href=absolute))
    return tuple(found)


def _kids(el: Any, name: str) -> Any:
    """Child elements of ``el`` with local name ``name``, whatever their namespace."""
    return (child for child in el if isinstance(child.tag, str) and _local(child) == name)


def _texts(el: Any) -> dict[str, str]:
    """First text of each child element, by local name (``<loc>`` with CDATA reads the same)."""
    out: dict[str, str] = {}
    for child in el:
        if isinstance(child.tag, str):
            out.setdefault(_local(child), "".join(child.itertext()).strip())
    return out


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _priority(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0.0 <= number <= 1.0 else None


def w3c_datetime(value: str | None) -> str | None:
    """A W3C datetime (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, or with a time) as ISO 8601 in UTC."""
    text = (value or "").strip()
    if not text:
        return None
    partial = _PARTIAL_DATE.match(text)
    try:
        if partial:
            when = datetime(int(partial.group(1)), int(partial.group(2) or 1), 1)
        else:
            when = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host (False for what is no URL: a bad IPv6 literal, a bad port)."""
    parts = split_url(url)
    return parts is not None and parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def bare_host(host: str) -> str:
    """``host`` compared without case, a trailing dot or a leading ``www.``."""
    return host.lower().rstrip(".").removeprefix("www.")
