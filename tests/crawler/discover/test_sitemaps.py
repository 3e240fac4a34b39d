"""crawler.discover.sitemaps against real sitemaps: trafilatura's, gopher-parse-sitemap's goldens, xfeed.ca's."""

from __future__ import annotations

import gzip
import itertools
import re
import tracemalloc
import zlib
from datetime import datetime
from pathlib import Path

import pytest

from newswatch.crawler.discover.sitemaps import DEFAULT_MAX_BYTES, Sitemap, parse_sitemap, sitemaps_from_robots
from newswatch.crawler.discover.sitemapxml import SitemapEntry, w3c_datetime
from newswatch.crawler.fetch.compression import gunzip
from newswatch.storage.errors import ParseError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sitemaps"
TRAFILATURA = FIXTURES / "trafilatura"
GOPHER = FIXTURES / "gopher-parse-sitemap"
XFEED = sorted((FIXTURES / "news_sitemap_series" / "xfeed.ca").glob("*.xml"))


def _same_instant(ours: str | None, golden: str | None) -> bool:
    if ours is None or golden is None:
        return ours is golden
    return datetime.fromisoformat(ours) == datetime.fromisoformat(golden)


# --- trafilatura ---------------------------------------------------------------------------------------


def test_sitemaps_org_plain() -> None:
    sitemap = parse_sitemap((TRAFILATURA / "sitemap.xml").read_bytes(), "https://www.sitemaps.org/sitemap.xml")
    assert (sitemap.kind, len(sitemap.entries), sitemap.sitemaps) == ("urlset", 84, ())
    assert not sitemap.gzipped
    first = SitemapEntry(loc="https://www.sitemaps.org/", lastmod="2016-11-21T00:00:00+00:00")
    assert sitemap.entries[0] == first
    assert all(e.loc.startswith("https://www.sitemaps.org/") for e in sitemap.entries)
    assert (sitemap.dropped_invalid, sitemap.dropped_offsite, sitemap.truncated) == (0, 0, 0)


def test_sitemaps_org_gzip_is_the_same_sitemap() -> None:
    plain = parse_sitemap((TRAFILATURA / "sitemap.xml").read_bytes(), "https://www.sitemaps.org/sitemap.xml")
    body = (TRAFILATURA / "sitemap.xml.gz").read_bytes()
    assert body[:2] == b"\x1f\x8b"
    zipped = parse_sitemap(body, "https://www.sitemaps.org/sitemap.xml.gz")
    assert zipped.gzipped and zipped.entries == plain.entries


def test_sitemap_index_with_cdata() -> None:
    sitemap = parse_sitemap((TRAFILATURA / "sitemap2.xml").read_bytes(), "http://www.example.com/sitemap.xml")
    assert (sitemap.kind, sitemap.entries) == ("index", ())
    assert [(r.loc, r.lastmod) for r in sitemap.sitemaps] == [
        ("http://www.example.com/sitemap1.xml.gz", "2004-10-01T18:23:17+00:00"),
        ("http://www.example.com/sitemap2.xml.gz", "2005-01-01T00:00:00+00:00"),  # the <loc> in CDATA
    ]


def test_hreflang_alternates() -> None:
    sitemap = parse_sitemap((TRAFILATURA / "sitemap-hreflang.xml").read_bytes(), "http://www.example.com/s.xml")
    assert [e.loc for e in sitemap.entries] == [
        "http://www.example.com/english/page.html",
        "http://www.example.com/deutsch/page.html",
        "http://www.example.com/schweiz-deutsch/page.html",
    ]
    languages = {a.hreflang: a.href for a in sitemap.entries[0].alternates}
    assert languages == {
        "de": "http://www.example.com/deutsch/page.html",
        "de-ch": "http://www.example.com/schweiz-deutsch/page.html",
        "en": "http://www.example.com/english/page.html",
    }
    assert all(len(e.alternates) == 3 for e in sitemap.entries)


# --- gopher-parse-sitemap's golden parses ------------------------------------------------------------


def _golden(path: Path) -> list[list[str]]:
    """The golden file as records: a URL line starts one, the value lines that follow belong to it."""
    records: list[list[str]] = []
    for line in path.read_text().splitlines():
        if line.startswith("http"):
            records.append([line])
        elif line:
            records[-1].append(line)
    return records


def _golden_fields(record: list[str]) -> tuple[str, str | None, list[str]]:
    loc, rest = record[0], record[1:]
    lastmod = rest.pop(0) if rest and re.match(r"\d{4}-\d{2}-\d{2}T", rest[0]) else None
    return loc, lastmod, rest


def test_gopher_urlset_golden() -> None:
    sitemap = parse_sitemap((GOPHER / "sitemap.xml").read_bytes(), "http://HOST/sitemap.xml")
    golden = _golden(GOPHER / "sitemap.golden")
    assert len(sitemap.entries) == len(golden) == 4
    for entry, record in zip(sitemap.entries, golden, strict=True):
        loc, lastmod, (changefreq, priority) = _golden_fields(record)
        assert entry.loc == loc
        assert _same_instant(entry.lastmod, lastmod)
        assert (entry.changefreq or "always") == changefreq  # the Go library's defaults
        assert (0.5 if entry.priority is None else entry.priority) == float(priority)


def test_gopher_index_golden() -> None:
    sitemap = parse_sitemap((GOPHER / "sitemap-index.xml").read_bytes(), "http://www.example.com/sitemap.xml")
    golden = _golden(GOPHER / "sitemap-index.golden")
    assert len(sitemap.sitemaps) == len(golden) == 3
    for ref, record in zip(sitemap.sitemaps, golden, strict=True):
        loc, lastmod, rest = _golden_fields(record)
        assert (ref.loc, rest) == (loc, [])
        assert _same_instant(ref.lastmod, lastmod)


# --- xfeed.ca's Google News sitemap, 27 versions -----------------------------------------------------


@pytest.mark.parametrize("path", XFEED, ids=lambda p: p.stem)
def test_xfeed_news_sitemap_version(path: Path) -> None:
    body = path.read_bytes()
    sitemap = parse_sitemap(body, "https://www.xfeed.ca/news-sitemap.xml")
    assert sitemap.kind == "urlset" and not sitemap.warnings
    assert len(sitemap.entries) == body.count(b"<url>") <= 8
    for entry in sitemap.entries:
        assert entry.loc.startswith("https://www.xfeed.ca/post/")
        assert entry.news_publication == "Xfeed" and entry.news_language == "en"
        assert entry.news_title and not any(m in entry.news_title for m in ("Ã", "â€", "\ufffd"))
        assert entry.news_published and entry.news_published.endswith("+00:00")


def test_xfeed_series_changes_over_time() -> None:
    assert len(XFEED) == 27
    versions = [parse_sitemap(p.read_bytes(), "https://www.xfeed.ca/news-sitemap.xml") for p in XFEED]
    counts = [len(v.entries) for v in versions]
    assert min(counts) == 0 and max(counts) == 8
    assert sum(1 for c in counts if c == 0) == 3  # empty snapshots are sitemaps, not errors
    published = {e.loc: e.news_published for v in versions for e in v.entries}
    locs = [{e.loc for e in v.entries} for v in versions]
    appeared = [len(now - before) for before, now in itertools.pairwise(locs)]
    dropped = [len(before - now) for before, now in itertools.pairwise(locs)]
    assert sum(appeared) > 0 and sum(dropped) > 0  # new articles appear, old ones drop out
    assert len(published) >= max(counts)
    for loc, when in published.items():  # a story keeps its publication date across versions
        assert all(e.news_published == when for v in versions for e in v.entries if e.loc == loc)


# --- plain text, robots.txt --------------------------------------------------------------------------


def test_plain_text_sitemap() -> None:
    body = (
        "\ufeffhttps://news.example/a\r\n\n  https://news.example/b?x=1&y=2  \n/relative\n"
        "ftp://news.example/c\nhttps://other.example/d\nhttps://www.news.example/e\nnot a url\n"
    ).encode()
    sitemap = parse_sitemap(body, "https://news.example/sitemap.txt")
    assert sitemap.kind == "text"
    assert [e.loc for e in sitemap.entries] == [
        "https://news.example/a", "https://news.example/b?x=1&y=2", "https://www.news.example/e"
    ]
    assert (sitemap.dropped_invalid, sitemap.dropped_offsite) == (3, 1)


def test_other_hosts_when_allowed_and_max_urls() -> None:
    body = "\n".join(f"https://cdn{n}.example/{n}" for n in range(10)).encode()
    assert parse_sitemap(body, "https://news.example/s.txt").dropped_offsite == 10
    sitemap = parse_sitemap(body, "https://news.example/s.txt", allow_other_hosts=True, max_urls=4)
    assert [e.loc for e in sitemap.entries] == [f"https://cdn{n}.example/{n}" for n in range(4)]
    assert sitemap.truncated == 6


def test_sitemaps_from_robots() -> None:
    robots = (
        "User-agent: *\nDisallow: /search\n\nSitemap: https://news.example/sitemap_index.xml\n"
        "sitemap:/news-sitemap.xml  # the news one\nSITEMAP : https://cdn.example/s.xml.gz\n"
        "Sitemap: ftp://news.example/s.xml\nSitemap: https://news.example/sitemap_index.xml\n# Sitemap: x\n"
    )
    assert sitemaps_from_robots(robots, "https://news.example/robots.txt") == (
        "https://news.example/sitemap_index.xml",
        "https://news.example/news-sitemap.xml",
        "https://cdn.example/s.xml.gz",
    )
    assert sitemaps_from_robots("", "https://news.example/robots.txt") == ()


# --- hostile and broken input ------------------------------------------------------------------------

URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """1 GiB of zeros in one gzip member (about 4.6 MB compressed)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = bytes(1 << 24)
    return b"".join([packer.compress(block) for _ in range(64)] + [packer.flush()])


def test_gzip_bomb_is_refused_quickly(gzip_bomb: bytes) -> None:
    """Inflating stops at the cap: at most the cap is ever held, never the bomb's gigabyte (measured in
    bytes allocated, not in seconds)."""
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match=r"gzip expands beyond the .*cap"):
            parse_sitemap(gzip_bomb, "https://news.example/sitemap.xml.gz")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * DEFAULT_MAX_BYTES, f"{peak} bytes held"  # the bomb inflates to 20 times the cap


def test_gzip_bomb_in_many_members_is_refused() -> None:
    member = gzip.compress(bytes(1 << 20))
    with pytest.raises(ParseError, match="cap"):
        gunzip(member * 64, max_bytes=10 * (1 << 20))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (gzip.compress(URLSET.format("<url><loc>https://a.example/</loc></url>").encode())[:-9], "truncated"),
        (b"\x1f\x8b\x08\x00garbage-not-deflate", "gzip"),
        (b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>", "HTML"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>", "<rss>"),
        (b"<<<>>>", "XML"),
        (bytes(range(1, 256)) * 3, "UTF-8"),
        (b"x" * 2000, "cap"),
    ],
    ids=["truncated-gzip", "bad-gzip", "html", "rss", "broken-xml", "binary", "over-cap"],
)
def test_not_a_sitemap(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_sitemap(body, "https://news.example/sitemap.xml", max_bytes=1000)


def test_empty_urlset_and_empty_body_are_empty_sitemaps() -> None:
    assert parse_sitemap(URLSET.format("").encode(), "https://news.example/s.xml").entries == ()
    assert parse_sitemap(b"  \n", "https://news.example/s.xml").entries == ()


def test_no_entity_expansion_and_no_external_entities() -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + URLSET.format("<url><loc>https://news.example/&xxe;</loc></url><url><loc>https://news.example/&b;</loc></url>")
    ).encode()
    sitemap = parse_sitemap(body, "https://news.example/s.xml")
    assert [e.loc for e in sitemap.entries] == ["https://news.example/&xxe;", "https://news.example/&b;"]


def test_invalid_urls_are_dropped_and_recovered_xml_is_reported() -> None:
    urls = ["https://news.example/a?x=1&y=2", "/relative", "javascript:alert(1)", "https://evil.example/", ""]
    body = URLSET.format("".join(f"<url><loc>{u}</loc><priority>2</priority></url>" for u in urls)).encode()
    sitemap = parse_sitemap(body, "https://news.example/s.xml")  # the raw & needs lxml's recovery
    assert [e.loc for e in sitemap.entries] == ["https://news.example/a?x=1&y=2"]
    assert sitemap.entries[0].priority is None  # out of range
    assert (sitemap.dropped_invalid, sitemap.dropped_offsite) == (3, 1)
    assert sitemap.warnings and "recovered" in sitemap.warnings[0]


def test_namespaceless_and_old_namespace_sitemaps() -> None:
    body = b'<urlset xmlns="http://www.google.com/schemas/sitemap/0.84"><url><loc>http://n.example/a</loc></url></urlset>'
    assert [e.loc for e in parse_sitemap(body, "http://n.example/s.xml").entries] == ["http://n.example/a"]
    body = b"<sitemapindex><sitemap><loc>http://n.example/s1.xml</loc></sitemap></sitemapindex>"
    sitemap: Sitemap = parse_sitemap(body, "http://n.example/s.xml")
    assert [r.loc for r in sitemap.sitemaps] == ["http://n.example/s1.xml"]


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2005", "2005-01-01T00:00:00+00:00"),
        ("2005-02", "2005-02-01T00:00:00+00:00"),
        ("2005-02-03", "2005-02-03T00:00:00+00:00"),
        ("2005-02-03T04:05+01:00", "2005-02-03T03:05:00+00:00"),
        ("2005-02-03T04:05:06.5Z", "2005-02-03T04:05:06.500000+00:00"),
        ("2005-02-03 04:05:06", "2005-02-03T04:05:06+00:00"),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_w3c_datetime(value: str | None, iso: str | None) -> None:
    assert w3c_datetime(value) == iso
