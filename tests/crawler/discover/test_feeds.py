"""crawler.discover.feeds against real feeds: feedparser's own corpus, chardet's GB2312 feeds, trafilatura's feeds."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest

from newswatch.crawler.discover.feedentries import entry_key
from newswatch.crawler.discover.feeds import Feed, parse_feed
from newswatch.crawler.discover.links import discover_feeds
from newswatch.crawler.urls import same_site
from newswatch.storage.errors import ParseError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
CORPUS = FIXTURES / "feedparser"
HARNESS = "http://127.0.0.1:8097/tests/"  # where feedparser's own test harness serves its corpus
MOJIBAKE = ("\ufffd", "Ã", "ä¸", "Â")
CJK = re.compile("[\u4e00-\u9fff]")


def _files(folder: Path, pattern: str = "*.xml") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file())


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def _comment(path: Path, name: str) -> list[str]:
    """The values of ``Name:`` lines in the corpus file's leading comment."""
    head = path.read_bytes()[:3000].decode("latin-1")
    head = head.split("-->", 1)[0]
    return [m.group(1).strip() for m in re.finditer(rf"^\s*{name}:\s*(.*)$", head, re.M)]


def _headers(path: Path) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in _comment(path, "Header"))
    return {key.strip(): value.strip() for key, value in pairs}


def _corpus_url(path: Path) -> str:
    return HARNESS + str(path.relative_to(CORPUS))


def _parse_corpus(path: Path) -> Feed:
    return parse_feed(path.read_bytes(), _corpus_url(path), _headers(path))


def _link_expectations(expect: str) -> list[tuple[int, str]]:
    """(entry index, link) pairs stated by ``entries[0]['link'] == entries[1]['link'] == 'X'`` clauses."""
    found = []
    for clause in expect.split(" and "):
        literal = re.search(r"==\s*'([^']*)'\s*$", clause.strip())
        if literal and "['link']" in clause and "['links']" not in clause:
            found += [(int(i), literal.group(1)) for i in re.findall(r"entries\[(\d+)\]\['link'\]", clause)]
    return sorted(found)


def _assert_clean(texts: list[str]) -> None:
    for text in texts:
        assert not any(marker in text for marker in MOJIBAKE), text
        assert not re.search("[\x80-\x9f]", text), text  # C1 controls: bytes decoded as latin-1


WELLFORMED = _files(CORPUS / "wellformed")
LINK_EXPECTED = [p for p in WELLFORMED if any(_link_expectations(e) for e in _comment(p, "Expect"))]
# feedparser 6.0.14 takes the last <link> of an Atom entry even when it is an enclosure; the corpus
# (develop branch) expects the alternate one, as crawler.discover.feeds does.
FEEDPARSER_60_GAPS = {"entry_link_no_href_link_priority.xml", "entry_link_rel_enclosure_no_href.xml"}


# --- feedparser's corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", LINK_EXPECTED, ids=_id)
def test_wellformed_links_as_feedparser_expects(path: Path) -> None:
    feed = _parse_corpus(path)
    expected = _link_expectations(_comment(path, "Expect")[0])
    wanted = list(dict.fromkeys(link for _, link in expected))  # equal links are one entry here
    assert [entry.link for entry in feed.entries][: len(wanted)] == wanted
    assert not feed.bozo


@pytest.mark.parametrize("path", LINK_EXPECTED, ids=_id)
def test_feedparser_itself_meets_the_expectation(path: Path) -> None:
    """Cross-check of the harness: the Expect line, evaluated on feedparser's own result."""
    headers = {k.lower(): v for k, v in _headers(path).items()}
    headers.setdefault("content-location", _corpus_url(path))
    headers.setdefault("content-type", "application/xml")
    raw = feedparser.parse(io.BytesIO(path.read_bytes()), response_headers=headers)
    outcome = eval(_comment(path, "Expect")[0], {"feedparser": feedparser}, raw)  # corpus's own expression
    assert outcome is (path.name not in FEEDPARSER_60_GAPS)


@pytest.mark.parametrize("path", WELLFORMED, ids=_id)
def test_wellformed_entries_agree_with_feedparser(path: Path) -> None:
    """Every well-formed file with entry links: each link we keep is one feedparser saw, all are counted."""
    feed = _parse_corpus(path)
    raw = feedparser.parse(io.BytesIO(path.read_bytes()))
    base = urljoin(feed.url, _headers(path).get("Content-Location", ""))
    seen = set()
    for entry in raw.entries:
        hrefs = [dict.get(entry, "link")] + [dict.get(link, "href") for link in dict.get(entry, "links", [])]
        seen |= {urljoin(base, h) for h in hrefs if h}
    assert {entry.link for entry in feed.entries} <= seen
    assert all(entry.link.startswith(("http://", "https://")) for entry in feed.entries)
    accounted = len(feed.entries) + feed.dropped_no_link + feed.dropped_unsafe + feed.duplicates
    assert accounted + feed.truncated == len(raw.entries)


@pytest.mark.parametrize("path", _files(CORPUS / "illformed"), ids=_id)
def test_illformed_gives_a_feed_or_parse_error(path: Path) -> None:
    try:
        feed = _parse_corpus(path)
    except ParseError as exc:
        assert path.name == "rss_empty_document.xml", exc
        return
    assert path.name != "rss_empty_document.xml"
    assert all(entry.link.startswith(("http://", "https://")) for entry in feed.entries)
    if "chardet" in path.parts:  # declared utf-8, written in another charset: flagged, not hidden
        assert feed.bozo and feed.warnings


ENCODING = [p for p in _files(CORPUS / "encoding") if _headers(p)]


@pytest.mark.parametrize("path", ENCODING, ids=_id)
def test_encoding_with_http_headers(path: Path) -> None:
    feed = _parse_corpus(path)
    for clause in _comment(path, "Expect")[0].split(" and "):
        clause = clause.strip()
        if clause in ("bozo", "not bozo"):
            assert feed.bozo is (clause == "bozo")
        elif clause.startswith("encoding == "):
            assert feed.encoding == ast.literal_eval(clause.removeprefix("encoding == "))
        elif clause.startswith("entries[0]['description'] == "):
            assert feed.entries[0].summary == ast.literal_eval(clause.split(" == ", 1)[1])
    _assert_clean([feed.title] + [e.title for e in feed.entries] + [e.summary for e in feed.entries])
    if "Iñtërnâtiônàlizætiøn".encode() in path.read_bytes():
        assert feed.title == "Iñtërnâtiônàlizætiøn"


def test_encoding_group_is_the_header_files() -> None:
    assert len(ENCODING) == 48


# --- chardet's GB2312 feeds --------------------------------------------------------------------------

GB2312 = _files(FIXTURES / "chardet_zh_gb2312")
LYING_HEADERS = {
    "no-headers": None,
    "rss-type": {"Content-Type": "application/rss+xml"},
    "text-xml-no-charset": {"Content-Type": "text/xml"},
    "latin1-charset": {"Content-Type": "text/xml; charset=ISO-8859-1"},  # a server that lies
}


@pytest.mark.parametrize("headers", LYING_HEADERS.values(), ids=LYING_HEADERS.keys())
@pytest.mark.parametrize("path", GB2312, ids=_id)
def test_gb2312_feeds_decode(path: Path, headers: dict[str, str] | None) -> None:
    feed = parse_feed(path.read_bytes(), "http://feeds.example.com/rss.xml", headers)
    assert feed.entries
    texts = [feed.title] + [e.title for e in feed.entries] + [e.summary for e in feed.entries]
    _assert_clean(texts)
    assert any(CJK.search(text) for text in texts)
    assert feed.encoding == "gb18030"  # feedparser widens gb2312 to its superset


def test_gb2312_corpus_is_complete() -> None:
    assert len(GB2312) == 18


def test_gb2312_titles_are_chinese() -> None:
    feed = parse_feed((FIXTURES / "chardet_zh_gb2312" / "lily.blogsome.com.xml").read_bytes(), "http://x.cn/f")
    assert feed.title == "午后红茶"
    assert sum(bool(CJK.search(e.title)) for e in feed.entries) == len(feed.entries)


def test_blogger_archive_fragments_stay_distinct_entries() -> None:
    feed = parse_feed((FIXTURES / "chardet_zh_gb2312" / "cnblog.org.xml").read_bytes(), "http://www.cnblog.org/rss")
    assert len(feed.entries) == 16 and feed.duplicates == 0
    assert len({e.key for e in feed.entries}) == 16
    assert len({e.canonical_link for e in feed.entries}) < 16  # several posts per archive page


# --- trafilatura's feeds, JSON Feed ------------------------------------------------------------------


def test_trafilatura_atom() -> None:
    feed = parse_feed((FIXTURES / "trafilatura" / "feed1.atom").read_bytes(), "http://example.org/feed.atom")
    assert (feed.kind, feed.version, feed.title) == ("atom", "atom10", "Example Feed")
    assert [e.link for e in feed.entries] == ["http://example.org/2003/12/13/atom03"]
    assert feed.dropped_no_link == 1  # the second entry has only rel="self"
    entry = feed.entries[0]
    assert entry.key == "guid:example.org:urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert (entry.updated, entry.summary) == ("2003-12-13T18:30:02+00:00", "Some text.")


def test_trafilatura_rss() -> None:
    feed = parse_feed((FIXTURES / "trafilatura" / "feed2.rss").read_bytes(), "http://www.example.com/rss")
    assert (feed.kind, feed.version, feed.link) == ("rss", "rss20", "http://www.example.com/main.html")
    [entry] = feed.entries
    assert entry.link == "http://www.example.com/blog/post/1"
    assert entry.guid == "7bd204c6-1655-4c27-aeee-53f933c5395f"
    assert entry.key == "guid:www.example.com:7bd204c6-1655-4c27-aeee-53f933c5395f"
    assert entry.published == "2009-09-06T16:20:00+00:00"


def test_trafilatura_json_feed() -> None:
    feed = parse_feed((FIXTURES / "trafilatura" / "feed.json").read_bytes(), "https://feeds.npr.org/1019/feed.json")
    assert (feed.kind, feed.version, feed.title, feed.bozo) == ("json", "json10", "Technology", False)
    assert len(feed.entries) == 25
    first, last = feed.entries[0], feed.entries[-1]
    assert first.link.startswith("https://www.npr.org/2021/10/29/1050315385/keller-rinaudo-how-can-delivery")
    assert last.link.startswith("https://www.npr.org/2021/10/20/1047307202/netflix-fired-trans-nonbinary")
    assert first.published == "2021-10-29T14:26:00+00:00"  # 10:26 -04:00
    assert first.key == first.canonical_link  # numeric ids are not trusted as identities
    assert all(e.link.startswith("https://www.npr.org/") and e.title for e in feed.entries)


def test_feedparser_json_example() -> None:
    feed = parse_feed((CORPUS / "json" / "example.json").read_bytes(), "https://example.org/feed.json")
    assert not feed.bozo and feed.title == "My Example Feed" and len(feed.entries) == 2  # its Expect line
    assert feed.entries[1].summary == "Hello, world!"  # content_html without its <script>


@pytest.mark.parametrize(
    "body",
    [b'{"version": "https://jsonfeed.org/version/1"}', b"[1, 2, 3]", b'{"items": ', b"[" * 100_000],
    ids=["no-items", "array", "truncated", "deeply-nested"],
)
def test_json_that_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, "https://example.org/feed.json")


# --- not feeds, caps, unsafe links ---------------------------------------------------------------------

HTML_PAGE = b"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">
<title>\xe6\x96\xb0\xe9\x97\xbb</title>
<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>
<body><h1>Not a feed</h1><a href="/item/1">item</a></body></html>"""


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"}, "HTML page"),
        (HTML_PAGE, {"Content-Type": "application/rss+xml"}, "HTML page"),
        (HTML_PAGE, None, "HTML page"),
        (b"", None, "empty"),
        (b" \r\n\t ", None, "empty"),
        (bytes(range(256)) * 40, None, "not a feed"),
        (b"<?xml version='1.0'?><nothing/>", None, "not a feed"),
    ],
    ids=["html", "html-as-rss", "html-no-headers", "empty", "blank", "binary-garbage", "other-xml"],
)
def test_not_a_feed(body: bytes, headers: dict[str, str] | None, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(body, "https://example.org/feed", headers)


def test_oversized_body_is_refused_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused on its size, before any parsing: feedparser is never called."""
    body = b"<rss version='2.0'><channel>" + b"<item><link>https://example.org/a</link></item>" * 440_000
    assert len(body) > 20_000_000

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an oversized body reached feedparser")

    monkeypatch.setattr(feedparser, "parse", never)
    with pytest.raises(ParseError, match="cap"):
        parse_feed(body, "https://example.org/feed")


def _rss(*items: str) -> bytes:
    return ("<rss version='2.0'><channel><title>t</title><link>https://news.example/</link>"
            + "".join(f"<item>{i}</item>" for i in items) + "</channel></rss>").encode()


def test_unsafe_links_are_dropped_and_counted() -> None:
    links = ["javascript:alert(1)", "mailto:desk@news.example", "file:///etc/passwd", "data:text/html,hi",
             "https://news.example/ok", "/relative/ok"]
    feed = parse_feed(_rss(*(f"<link>{link}</link>" for link in links)), "https://news.example/feeds/all.xml")
    assert [e.link for e in feed.entries] == ["https://news.example/ok", "https://news.example/relative/ok"]
    assert (feed.dropped_unsafe, feed.dropped_no_link) == (4, 0)


def test_max_entries_and_duplicates() -> None:
    items = [f"<link>https://news.example/{n}</link>" for n in range(10)] + ["<link>https://news.example/0</link>"]
    feed = parse_feed(_rss(*items, "<title>no link</title>"), "https://news.example/rss", max_entries=4)
    assert [e.link for e in feed.entries] == [f"https://news.example/{n}" for n in range(4)]
    assert (feed.truncated, feed.duplicates, feed.dropped_no_link) == (6, 1, 1)


# --- the GUID-stability rule -------------------------------------------------------------------------

LINK = "https://news.example/2024/05/story?utm_source=rss"
CANON = "https://news.example/2024/05/story"


def _canon(url: str) -> str:
    if "bad" in url:
        raise ParseError(url)
    return url.split("#")[0].replace("?utm_source=rss", "")


@pytest.mark.parametrize(
    ("guid", "key"),
    [
        (None, CANON),
        ("", CANON),
        (LINK, CANON),
        ("https://news.example/?p=123#c", "https://news.example/?p=123"),
        ("urn:uuid:60a76c80-d399-11d9-b93c", "guid:news.example:urn:uuid:60a76c80-d399-11d9-b93c"),
        ("tag:news.example,2024:story-42", "guid:news.example:tag:news.example,2024:story-42"),
        ("12", CANON),
        ("1714557600", CANON),
        ("1714557600123", CANON),
        ("story-2024-05-01T10:00:00", CANON),
        ("20240501100000-abc", CANON),
        ("abc", CANON),
    ],
    ids=["none", "blank", "same-as-link", "permalink-guid", "urn-uuid", "tag-uri", "counter", "epoch",
         "epoch-ms", "iso-timestamp", "compact-timestamp", "too-short"],
)
def test_entry_key(guid: str | None, key: str) -> None:
    assert entry_key(guid, CANON, "news.example", _canon) == key


def test_guid_shared_by_entries_is_not_an_identity() -> None:
    same = "<guid isPermaLink='false'>static-guid</guid>"
    feed = parse_feed(_rss(f"<link>{LINK}</link>{same}", f"<link>https://news.example/b</link>{same}"),
                      "https://news.example/rss", canonicalize=_canon)
    assert [e.key for e in feed.entries] == [CANON, "https://news.example/b"]


def test_canonicalizer_is_used_and_its_refusals_counted() -> None:
    feed = parse_feed(_rss(f"<link>{LINK}</link>", "<link>https://news.example/bad</link>"),
                      "https://news.example/rss", canonicalize=_canon)
    assert [(e.link, e.canonical_link, e.key) for e in feed.entries] == [(LINK, CANON, CANON)]
    assert feed.dropped_unsafe == 1


# --- autodiscovery -----------------------------------------------------------------------------------

PAGE = "https://www.news.example/world/index.html"


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<link rel="alternate" type="application/rss+xml" href="/rss.xml">', ("https://www.news.example/rss.xml",)),
        ('<link rel="alternate" type="application/atom+xml; charset=utf-8" href="atom.xml">'
         '<link rel="alternate" type="application/feed+json" href="//news.example/feed.json">',
         ("https://www.news.example/world/atom.xml", "https://news.example/feed.json")),
        ('<link rel="Alternate Feed" type="application/json" href="https://feeds.news.example/j">',
         ("https://feeds.news.example/j",)),
        ('<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">'
         '<link rel="alternate" type="application/json+oembed" href="/oembed?u=1">'
         '<link rel="alternate" type="application/rss+xml" href="/comments/feed/">', ()),
        ('<link rel="alternate" type="application/rss+xml" href="https://other.example/rss">', ()),
        ('<link rel="alternate" type="text/html" hreflang="en" href="/en/">'
         '<a href="/feed">Feed</a><a href="/rss">RSS</a><a href="/about">About</a><a href="/feed#x">2</a>',
         ("https://www.news.example/feed", "https://www.news.example/rss")),
        ('<base href="/zh/"><link rel="alternate" type="application/rss+xml" href="rss">',
         ("https://www.news.example/zh/rss",)),
        ('<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">', ()),
        ("", ()),
    ],
    ids=["rss", "atom-and-json", "rel-tokens", "not-feeds", "external", "anchor-fallback", "base-href",
         "javascript", "empty"],
)
def test_discover_feeds(html: str, found: tuple[str, ...]) -> None:
    assert discover_feeds(f"<html><head>{html}</head><body></body></html>" if html else "", PAGE) == found


def test_discover_feeds_external_when_allowed() -> None:
    html = '<link rel="alternate" type="application/rss+xml" href="https://feeds.other.example/rss">'
    assert discover_feeds(html, PAGE, allow_external=True) == ("https://feeds.other.example/rss",)


def test_discover_feeds_in_a_real_feed_page_prolog() -> None:
    assert discover_feeds(HTML_PAGE.decode(), "https://news.example/") == ("https://news.example/rss.xml",)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("www.news.example", "news.example", True), ("feeds.news.example", "www.news.example", True),
     ("news.example", "news.example.evil", False), ("othernews.example", "news.example", False)],
)
def test_same_site(a: str, b: str, same: bool) -> None:
    assert same_site(f"https://{a}/x", f"https://{b}/y") is same


def test_entity_expansion_bomb_is_not_expanded() -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]><rss version="2.0"><channel>'
        "<title>&l9;</title><item><link>https://news.example/a</link></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, "https://news.example/rss")
    assert len(feed.title) < 100 and feed.bozo  # 10**9 "lol"s, had the entities been expanded
    assert [e.link for e in feed.entries] == ["https://news.example/a"]
