"""Sitemap parsing: pure functions, bytes in, values out.

Handles gzip bodies (sniffed by their magic bytes; the *decompressed* size is capped too, so a gzip
bomb raises :class:`ParseError` after at most ``max_bytes`` of output), ``<urlset>`` (with Google News
and hreflang extensions), ``<sitemapindex>`` (both read as a stream: :mod:`crawler.discover.sitemapxml`)
and plain-text sitemaps (one URL per line); and the ``Sitemap:`` lines of a robots.txt.

URLs must be absolute http(s) URLs on the sitemap's own host (compared without a leading ``www.``);
others are dropped and counted, unless ``allow_other_hosts`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from newswatch.crawler.discover.sitemapxml import SitemapEntry, SitemapRef, UrlCheck, bare_host, is_http_url, read_xml
from newswatch.crawler.fetch.compression import CHUNK, GZIP_MAGIC, gunzip_chunks
from newswatch.crawler.urls import join_url, url_host
from newswatch.storage.errors import ParseError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
DEFAULT_MAX_URLS = 50_000  # the sitemaps.org limit
_CHUNK = CHUNK


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: ``entries`` for a urlset or text sitemap, ``sitemaps`` for an index."""

    url: str
    kind: str  # urlset, index, text
    entries: tuple[SitemapEntry, ...] = ()
    sitemaps: tuple[SitemapRef, ...] = ()
    gzipped: bool = False
    warnings: tuple[str, ...] = ()
    dropped_invalid: int = 0  # relative, non-http(s) or malformed URLs
    dropped_offsite: int = 0  # URLs on another host than the sitemap
    truncated: int = 0  # URLs beyond max_urls


def parse_sitemap(
    body: bytes,
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_urls: int = DEFAULT_MAX_URLS,
    allow_other_hosts: bool = False,
) -> Sitemap:
    """Parse a sitemap served from ``url`` (XML or plain text, possibly gzipped).

    Raises :class:`ParseError` for a body or decompressed body over ``max_bytes``, broken gzip, an
    HTML page, or XML that is neither a ``<urlset>`` nor a ``<sitemapindex>``. An empty ``<urlset>`` is
    a sitemap with no entries, not an error.
    """
    if len(body) > max_bytes:
        raise ParseError(f"sitemap {url}: body of {len(body)} bytes exceeds the {max_bytes}-byte cap")
    gzipped = body[:2] == GZIP_MAGIC

    def chunks() -> Iterator[bytes]:
        return gunzip_chunks(body, max_bytes, url) if gzipped else _slices(body)

    check = UrlCheck(bare_host(url_host(url)), allow_other_hosts, max_urls)
    head = next(chunks(), b"").lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        listing, check = read_xml(chunks, url, check)
        sitemap = Sitemap(url=url, kind=listing.kind, entries=listing.entries, sitemaps=listing.refs,
                          warnings=listing.warnings)
    elif not head:
        sitemap = Sitemap(url=url, kind="text", warnings=("empty sitemap",))
    else:
        sitemap = _parse_text(b"".join(chunks()), url, check)
    return replace(
        sitemap,
        gzipped=gzipped,
        dropped_invalid=check.invalid,
        dropped_offsite=check.offsite,
        truncated=check.truncated,
    )


def _slices(body: bytes) -> Iterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(body), _CHUNK):
        yield bytes(view[start:start + _CHUNK])


def _parse_text(data: bytes, url: str, check: UrlCheck) -> Sitemap:
    try:
        text = data.decode("utf-8-sig")  # the protocol requires UTF-8; binary junk fails here
    except UnicodeDecodeError as exc:
        raise ParseError(f"sitemap {url}: neither XML nor a UTF-8 text sitemap: {exc}") from exc
    entries = []
    for line in text.splitlines():
        if line.strip():
            loc = check.accept(line)
            if loc:
                entries.append(SitemapEntry(loc=loc))
    return Sitemap(url=url, kind="text", entries=tuple(entries))


def sitemaps_from_robots(robots_txt: str, base_url: str) -> tuple[str, ...]:
    """The ``Sitemap:`` URLs of a robots.txt, resolved against ``base_url``, http(s) only, deduplicated.

    ``Sitemap:`` lines apply to the whole file (they are not part of any user-agent group) and may
    name another host (cross-submission), so no host filter is applied here.
    """
    found: dict[str, None] = {}
    for line in robots_txt.splitlines():
        match = re.match(r"\s*site-?map\s*:\s*(\S+)", line, re.I)
        if match:
            url = join_url(base_url, match.group(1))
            if url is not None and is_http_url(url):
                found.setdefault(url)
    return tuple(found)
