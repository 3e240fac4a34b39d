"""The worker's one reading of a page (``crawler.extract.reading``): on real pages the same canonical URL, feeds,
links and extraction as the str functions (each decoding and parsing on its own), and a crawl whose
process neither decodes nor parses a page (nor imports trafilatura) when extraction runs in workers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from newswatch.crawler.discover.canonical import declared_canonical
from newswatch.crawler.discover.links import discover_feeds, site_links
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.reading import Page, read
from newswatch.crawler.items import ArticleTarget
from newswatch.crawler.urls import try_canonical_url
from tests.crawler.crawl_child import crawl_plan, loopback_settings
from tests.crawler.fixture_site import ARTICLES, ZH_NEWS, fixture_bytes
from tests.crawler.site_server import SiteServer

EVAL = Path(__file__).resolve().parents[2] / "fixtures" / "extraction_eval"
EVAL_SAMPLE = 20  # every 20th page of the evaluation set (49 pages)


def _zh_news() -> list[tuple[str, bytes, str, str]]:
    found = []
    for record in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8")):
        charset = record.get("declared_charset")
        content_type = f"text/html; charset={charset}" if charset else "text/html"
        url = record.get("url") or f"https://news.example.cn/2025/02/11/{record['id']}.html"
        found.append((Path(record["file"]).name, gzip.decompress((ZH_NEWS / record["file"]).read_bytes()),
                      content_type, url))
    return found


def _eval_sample() -> list[tuple[str, bytes, str, str]]:
    data = json.loads((EVAL / "evaldata.json").read_text(encoding="utf-8"))
    found = []
    for url, record in list(data.items())[::EVAL_SAMPLE]:
        path = EVAL / "pages" / Path(record["file"]).name
        path = path if path.name.endswith(".gz") else path.with_name(path.name + ".gz")
        found.append((path.name, gzip.decompress(path.read_bytes()), "text/html", url))
    return found


PAGES = _zh_news() + _eval_sample()


@pytest.mark.parametrize(("body", "content_type", "url"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
def test_one_reading_gives_what_the_str_functions_give(body: bytes, content_type: str, url: str) -> None:
    html = decode_body(body, content_type)
    landed = try_canonical_url(url) or url
    canonical = declared_canonical(html, url)
    expected = extract(html, canonical or landed)

    reading = read(Page(body, content_type, url, landed, follow=True))

    assert (reading.canonical, reading.url) == (canonical, canonical or landed)
    assert reading.feeds == discover_feeds(html, url)
    assert reading.result == expected
    assert reading.links == (() if isinstance(expected, Article) else site_links(html, url))


@pytest.mark.parametrize(("body", "content_type", "url"), [p[1:] for p in PAGES[:8]], ids=[p[0] for p in PAGES[:8]])
def test_a_section_reading_has_links_and_feeds_and_no_extraction(body: bytes, content_type: str, url: str) -> None:
    html = decode_body(body, content_type)
    reading = read(Page(body, content_type, url, url, follow=True, extract=False))
    assert reading.result is None
    assert reading.links == site_links(html, url)
    assert reading.feeds == discover_feeds(html, url)
    assert read(Page(body, content_type, url, url, extract=False)).links == (), "links only when asked"


XHTML = b"""<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><link rel="canonical" href="https://news.example.com/a/123456.html"/>
<link rel="alternate" type="application/rss+xml" href="/rss.xml"/></head>
<body><a href="/world/">world</a></body></html>"""


def test_an_xhtml_page_with_an_xml_declaration_is_read_like_any_page() -> None:
    """parsel took such a page for XML (a namespaced tree where ``//a`` finds nothing): its canonical URL,
    feeds and links were lost; the one parse reads it as HTML."""
    url = "https://news.example.com/a/123456.html?from=home"
    reading = read(Page(XHTML, "application/xhtml+xml", url, url, follow=True, extract=False))
    assert reading.feeds == ("https://news.example.com/rss.xml",)
    assert reading.links == ("https://news.example.com/world/",)
    assert declared_canonical(XHTML.decode(), url) == "https://news.example.com/a/123456.html"


def _settings(tmp_path: Path, workers: int) -> dict[str, object]:
    return loopback_settings(tmp_path, extract_workers=workers)


@pytest.mark.parametrize("workers", [2, 1], ids=["processes", "one-thread"])
def test_the_crawls_process_parses_no_page_when_workers_read_them(site_server: SiteServer, tmp_path: Path,
                                                                   workers: int) -> None:
    for page in ARTICLES:
        site_server.add(page.path, body=fixture_bytes(page.fixture), headers={"Content-Type": page.content_type})
    targets = [ArticleTarget(site_server.url(p.path)) for p in ARTICLES]

    crawl = crawl_plan(tmp_path, _settings(tmp_path, workers), targets, spies=True)

    assert crawl.count("newswatch/fetched/article") == len(ARTICLES)
    if workers > 1:
        assert crawl.parses == {}, "the crawl's process decoded or parsed a page"
        assert crawl.extractors == (), "the crawl's process imported the extractor"
    else:  # one thread in the crawl's process reads the pages: the spies see it (the checks above can fail)
        assert crawl.parses["newswatch.crawler.extract.reading.read"] == len(ARTICLES)
        assert crawl.parses["newswatch.crawler.htmltree.parse_html"] >= len(ARTICLES)
        assert "trafilatura" in crawl.extractors
