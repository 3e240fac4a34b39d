"""OPML import and export: a real feed reader's export, a round trip, hostile files refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newswatch.monitor.sources.opml import parse_opml, render_opml
from newswatch.monitor.sources.registry import RegisteredSource, Registry, load_registry
from newswatch.storage.errors import ParseError
from tests.conftest import ROOT, SEEDS

REAL = ROOT / "tests" / "fixtures" / "opml" / "news_explorer_export.opml"  # see tests/fixtures/opml/README.md
WHEN = datetime(2025, 2, 11, 8, 0, tzinfo=UTC)


def test_a_real_export_is_read_whole() -> None:
    found = parse_opml(REAL.read_bytes())
    assert found.title == "News Explorer iCloud Feeds"
    assert found.outlines == 85 and found.problems == ()  # 13 folders (3 empty), 73 feeds
    by_name = {s.name: s for s in found.sources}
    assert len(found.sources) == 72, "one name with two feeds is one source"
    assert by_name["Channel [K]"].feeds == ("http://www.dbform.com/feed", "http://feeds.feedburner.com/dbform")
    assert by_name["Channel [K]"].site == "https://www.dbform.com/"
    assert by_name["南都周刊"] == RegisteredSource("南都周刊", site="http://www.nbweekly.com/",
                                                feeds=("http://www.nbweekly.com/rss/smw/",))
    assert "Fengchunpei's Blog" in by_name and "Java & Oracle" in by_name, "entities decoded"
    assert by_name["MySQL Blogs"].feeds == ("http://tusacentral.net/joomla/index.php/mysql-blogs?format=feed&type=rss",)
    assert not {"Apple", "Cloud", "IBM", "Mac", "MySQL"} & set(by_name), "folders are not sources"


def test_export_then_import_gives_the_registry_back() -> None:
    registry = Registry((
        *load_registry(SEEDS).sources,
        RegisteredSource("澎湃新闻", aliases=("澎湃", "The Paper"), site="https://www.thepaper.cn/",
                         pages=("https://www.thepaper.cn/channel_25950",),
                         feeds=("https://www.thepaper.cn/rss.xml", "https://www.thepaper.cn/rss_zh.xml"),
                         sitemaps=("https://www.thepaper.cn/sitemap.xml",), include=("div.news_txt",),
                         exclude=(".ad", "xpath://div[@id='share']"), ignore=(r"阅读\s*\d+", "^编辑：.*$")),
    ))
    document = render_opml(registry, "newswatch sources", WHEN)
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"')
    assert b"<dateCreated>Tue, 11 Feb 2025 08:00:00 GMT</dateCreated>" in document
    back = parse_opml(document)
    assert back.problems == () and back.sources == registry.sources


def test_what_feed_readers_see_is_plain_opml() -> None:
    document = render_opml(load_registry(SEEDS), "t", WHEN).decode()
    assert ('<outline type="rss" text="网易新闻" title="网易新闻" xmlUrl="https://news.163.com/special/00011K6L/'
            'rss_newstop.xml" htmlUrl="https://news.163.com/"') in document
    assert '<outline text="华商报" title="华商报" type="link" url="https://news.hsw.cn/"' in document


HOSTILE = {
    "billion-laughs": b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                      b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://a.example/rss"/></body></opml>',
    "external-entity": b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                       b'<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/rss"/></body></opml>',
    "dtd": b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd">'
           b'<opml version="2.0"><body/></opml>',
}


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=str)
def test_hostile_files_are_refused(case: str) -> None:
    with pytest.raises(ParseError, match="refused"):
        parse_opml(HOSTILE[case])


@pytest.mark.parametrize(
    ("data", "match"),
    [(b"<rss version='2.0'><channel/></rss>", "not OPML"), (b"<opml><body>", "not XML"), (b"x" * (10 * 1024 * 1024 + 1),
                                                                                     "larger than")],
    ids=["rss-not-opml", "broken-xml", "too-large"],
)
def test_not_opml(data: bytes, match: str) -> None:
    with pytest.raises(ParseError, match=match):
        parse_opml(data)


def test_bad_outlines_are_reported_and_skipped() -> None:
    found = parse_opml(
        b'<opml version="2.0"><body><outline text="ok" xmlUrl="https://a.example/rss"/>'
        b'<outline text="ftp" xmlUrl="ftp://b.example/rss"/><outline text="js" xmlUrl="javascript:alert(1)"/>'
        b'<outline type="link" url="https://c.example/"/>'
        b'<outline text="same name, other site" xmlUrl="https://d.example/rss" htmlUrl="https://d.example/"/>'
        b'<outline text="same name, other site" xmlUrl="https://e.example/rss" htmlUrl="https://e.example/"/>'
        b"</body></opml>")
    assert [p.where for p in found.problems] == ["outline 2 (ftp)", "outline 3 (js)"]
    assert [s.name for s in found.sources] == ["ok", "c.example", "same name, other site",
                                               "same name, other site (e.example)"]
