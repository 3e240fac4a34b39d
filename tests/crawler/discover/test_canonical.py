"""Which declared canonical URLs a page is filed under (``crawler.discover.canonical``), and two pages claiming one
canonical (``crawler.pipeline.identity``): pure rules, real pages at their real URLs, and one crawl of real pages on
a loopback site through the spider, the extraction workers and the storage pipeline.

Real pages: trafilatura's evaluation set (``tests/fixtures/extraction_eval/``, Apache-2.0, README there)
and the Chinese pages of ``tests/fixtures/zh_news/`` (provenance per page in its ``index.json``)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from newswatch.crawler.discover.canonical import (
    accepted_canonical,
    canonical_of,
    declared_canonical,
    registrable_domain,
)
from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article as Extracted
from newswatch.crawler.extract.article import extract
from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.htmltree import parse_html
from newswatch.crawler.items import ArticleTarget, FetchedArticle
from newswatch.crawler.options import OPTIONS
from newswatch.crawler.pipeline.identity import DISPLACED_KEY, LANDED_KEY, claimed_identity, same_story
from newswatch.crawler.pipeline.store import Recorder
from newswatch.crawler.urls import try_canonical_url
from newswatch.storage.corpus.folder import Corpus, load_corpus
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.models import Article, Version
from tests.crawler.crawl_child import crawl_plan, loopback_settings
from tests.crawler.fixture_site import ZH_NEWS
from tests.crawler.site_server import SiteServer

EVAL = Path(__file__).resolve().parents[2] / "fixtures" / "extraction_eval"
PAGE = "https://news.example.com/2025/02/11/a-123456.html"


def eval_page(key: str) -> tuple[str, bytes]:
    """(real URL, original bytes) of the evaluation page whose URL contains ``key``."""
    data = json.loads((EVAL / "evaldata.json").read_text(encoding="utf-8"))
    url = next(u for u in data if key in u)
    name = Path(data[url]["file"]).name
    return url, gzip.decompress((EVAL / "pages" / (name if name.endswith(".gz") else f"{name}.gz")).read_bytes())


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("/2025/02/11/a-123456.html?utm_source=x", PAGE),
        ("https://news.example.com/2025/02/11/a-123456.html", PAGE),
        ("https://www.example.com/2025/02/11/a-123456.html", "https://www.example.com/2025/02/11/a-123456.html"),
        ("https%3A%2F%2Fnews.example.com%2F2025%2F02%2F11%2Fb-7.html", "https://news.example.com/2025/02/11/b-7.html"),
        ("https://news.example.com/2025/02/11/p%25C3%25A4.html", None),
        ("https%3A%2F%2Fnews.example.com%2F2025%2F02%2F11%2Fp%25C3%25A4.html", "https://news.example.com/2025/02/11/p%C3%A4.html"),
        ("https:/x/y", None),
        ("/eval/https://news.example.com/2025/02/11/a.html", None),
        ("https://other.example.net/2025/02/11/a-123456.html", None),
        ("javascript:void(0)", None),
        ("/", None),
        ("index.html", None),
        ("/en/", None),
        ("/2025/02/11/", None),
        ("/news/index.shtml", None),
        ("https://news.example.com/2025/02/11/a-123456.html#top", PAGE),
        ("", None),
        ("/" + "a" * 3000, None),
    ],
    ids=["relative-tracking", "absolute-self", "www-same-domain", "encoded-once-decoded-once", "double-encoded",
         "encoded-once-keeps-its-escapes", "scheme-only", "url-pasted-as-path", "other-domain", "javascript",
         "home", "index-file-home", "language-home", "section-above-article", "section-index", "fragment", "empty",
         "too-long"],
)
def test_accepted_canonical_rules(declared: str, expected: str | None) -> None:
    assert accepted_canonical(declared, PAGE) == expected


def test_a_blog_on_a_blog_platform_cannot_claim_another_blogs_url() -> None:
    page = "http://stevenhgm.pixnet.net/blog/post/39926056"
    assert accepted_canonical("http://someone.pixnet.net/blog/post/1", page) is None
    assert accepted_canonical("https://stevenhgm.pixnet.net/blog/post/39926056-x", page) == (
        "https://stevenhgm.pixnet.net/blog/post/39926056-x")


def test_a_canonical_dropping_the_id_query_is_the_list_page_and_a_session_id_is_no_id() -> None:
    page = "https://www.example.ch/de/medien/mitteilungen.html?newsID=c3aa546f"
    assert accepted_canonical("/de/medien/mitteilungen.html", page) is None
    kept = "https://example.org/a/45292/quarantaene"
    assert accepted_canonical(kept, f"{kept}?cHash=39ac749d&PHPSESSID=1") == kept


@pytest.mark.parametrize(("host", "domain"), [("news.sina.com.cn", "sina.com.cn"), ("edition.cnn.com", "cnn.com"),
                                              ("www.bbc.co.uk", "bbc.co.uk"), ("127.0.0.1", "127.0.0.1"),
                                              ("stevenhgm.pixnet.net", "stevenhgm.pixnet.net")],
                         ids=["com.cn", "com", "co.uk", "ip", "blog-platform"])
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("siegessaeule", "https://www.siegessaeule.de/magazin/p%C3%A4dophilie-als-politisches-machtinstrument/"),
        ("tageswoche", "https://tageswoche.ch/gesellschaft/wir-sind-dann-mal-weg-und-dieser-titel-muss-auch-weg-oder/index.html"),
        ("duengebehoerde", None),
        ("be.ch/de/start", None),
        ("heise.de/newsticker", "https://www.heise.de/newsticker/meldung/Lithium-aus-dem-Schredder-4451133.html"),
        ("edition.cnn.com", "https://www.cnn.com/2021/03/08/uk/meghan-harry-oprah-interview-recap-scli-gbr-intl/index.html"),
        ("redtri.com", "https://redtri.com/best-jokes-for-kids/"),
    ],
    ids=["og-url-encoded-once", "relative-index-is-itself", "section-above", "list-without-id", "relative",
         "other-subdomain", "slideshow-to-its-article"],
)
def test_real_pages_at_their_real_urls(key: str, expected: str | None) -> None:
    url, body = eval_page(key)
    assert declared_canonical(decode_body(body, None), url) == expected


def test_the_chinese_pages_canonicals_hold_at_their_own_urls_and_never_elsewhere() -> None:
    """Every zh_news page with a known URL and a declared canonical: used at its own URL, refused when the
    same bytes are served from another site; never encoded twice."""
    checked = 0
    for record in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8")):
        if not record.get("url") or record["url"].startswith("www."):
            continue
        tree = parse_html(decode_body(gzip.decompress((ZH_NEWS / record["file"]).read_bytes()), None))
        assert tree is not None
        own = canonical_of(tree, record["url"])
        if own is None:
            continue
        checked += 1
        assert urlsplit(own).hostname == urlsplit(record["url"]).hostname and "%25" not in own, record["id"]
        assert canonical_of(tree, "http://127.0.0.1:8000/eval/p0001.html") is None, record["id"]
    assert checked >= 5


def test_same_story() -> None:
    body = "\n".join(f"第{n}段，足够长的一行文字。" for n in "一二三四五")
    assert same_story(("旧标题", body), ("新标题", body + "\n补充的一段文字，足够长。"))
    rewritten = "第一段，足够长的一行文字。\n改写的第二段文字内容。\n改写的第三段文字内容。"
    assert same_story(("标题", body), ("标题 ", rewritten))
    assert not same_story(("松花江网", body), ("松花江网", "另一篇文章的第一段文字。\n另一篇文章的第二段文字。"))
    assert not same_story(("标题一", body), ("标题二", "另一篇文章的第一段文字。\n另一篇文章的第二段文字。"))


def _fetched(url: str, landed: str, title: str, body: str) -> FetchedArticle:
    return FetchedArticle(url=url, fetched_url=landed, discovered_from=None, title=title, body=body, meta={},
                          fingerprint=None, extractor="t", extractor_version="1", raw_body=b"", http_status=200,
                          etag=None, last_modified=None)


def test_the_second_story_claiming_a_canonical_keeps_its_own_url(tmp_path: Path) -> None:
    settings = loopback_settings(tmp_path)
    sessions = session_factory(make_engine(settings[OPTIONS]["database_url"]))
    recorder = Recorder(Topic(()), Corpus(tmp_path / "corpus"))
    claimed = "https://example.com/a/1.html"
    first = _fetched(claimed, "https://example.com/a/1.html?from=home", "第一篇", "第一篇文章的正文，足够长的一段。")
    with transaction(sessions) as session:
        kept = claimed_identity(session, first)
        assert (kept.url, kept.meta[LANDED_KEY]) == (claimed, "https://example.com/a/1.html?from=home")
        recorder.fetched(session, kept, datetime.now(UTC))
        other = claimed_identity(session, _fetched(claimed, "https://example.com/b/2.html", "第二篇", "另一篇的正文。"))
        assert other.url == "https://example.com/b/2.html"
        again = claimed_identity(session, _fetched(claimed, "https://example.com/a/1.html?from=home", "改过的标题",
                                                   "改过的正文。"))
        assert again.url == claimed  # the first page, retitled: still its article (a change)
        amp = claimed_identity(session, _fetched(claimed, "https://example.com/a/1/amp", "第一篇",
                                                 "第一篇文章的正文，足够长的一段。"))
        assert amp.url == claimed  # the same story at another URL: what a canonical is for


def test_a_crawl_of_real_pages_files_them_under_trusted_canonicals_only(tmp_path: Path) -> None:
    """One crawl of real pages on a loopback site (before: the encoded og:url filed under
    ``/siegessaeule/https://www.siegessaeule.de/...%25C3%25A4...``, ``index.html`` under the site's index, the
    section canonical under ``/duengebehoerde/news``, and the hpd article into another story's history)."""
    settings = loopback_settings(tmp_path, extract_workers=1)  # one thread: no worker processes to start
    pages = {
        "/siegessaeule/p.html": eval_page("siegessaeule")[1],
        "/tageswoche/p.html": eval_page("tageswoche")[1],
        "/duengebehoerde/news/38853_Sperrfristende_01._Februar": eval_page("duengebehoerde")[1],
        "/heise/a.html": eval_page("heise.de/newsticker")[1],
        "/heise/b.html": eval_page("heise.de/newsticker")[1],
        "/hpd/p.html": eval_page("hpd.de")[1],
    }
    with SiteServer() as server:
        for path, body in pages.items():
            server.add(path, body, headers={"Content-Type": "text/html"})
        hpd_claim = server.url("/artikel/sie-wissen-nicht-sie-tun-identitaetspolitische-linke-unterschlaegt-den-"
                               "homosexuellenhass-neuer-21664")
        _hold(settings[OPTIONS]["database_url"], tmp_path, hpd_claim)  # an earlier crawl stored another story there
        crawl = crawl_plan(tmp_path, settings, [ArticleTarget(server.url(path)) for path in pages])
        expected = {server.url(p) for p in ("/siegessaeule/p.html", "/tageswoche/p.html", "/hpd/p.html",
                                            "/duengebehoerde/news/38853_Sperrfristende_01._Februar")}
        expected |= {hpd_claim, server.url("/newsticker/meldung/Lithium-aus-dem-Schredder-4451133.html")}
    assert crawl.count("newswatch/fetched/article") == len(pages)
    with session_factory(make_engine(settings[OPTIONS]["database_url"]))() as session:
        stored = set(session.execute(select(Article.canonical_url)).scalars())
        held_versions = session.execute(select(Version.number).join(Article).where(
            Article.canonical_url == hpd_claim)).scalars().all()
    assert stored == expected
    assert held_versions == [1], "the other story's history is untouched"


def _hold(database_url: str, folder: Path, url: str) -> None:
    """Store a real, different story (creativecommons.at's page) under ``url``, as an earlier crawl would."""
    source, body = eval_page("creativecommons.at")
    article = extract(decode_body(body, None), source)
    assert isinstance(article, Extracted)
    item = _fetched(url, url, article.title or "", article.body_markdown)
    with transaction(session_factory(make_engine(database_url))) as session:
        Recorder(Topic(()), Corpus(folder / "corpus")).fetched(session, item, datetime.now(UTC))
    assert try_canonical_url(url) == url


CLAIMED, HOME_B = "https://example.com/a/1.html", "https://example.com/b/2.html"
STORY_A = ("第一篇", "第一篇文章的正文，足够长的一段。\n第一篇文章的第二段，也足够长。")
STORY_B = ("第二篇", "另一篇文章的正文，足够长的一段。\n另一篇文章的第二段，也足够长。")


@pytest.mark.parametrize(("real", "held_at_b", "moved"), [
    (STORY_A, False, True),  # another story at home: the claimant's article moves to its own URL
    (STORY_B, False, False),  # the same story at home: still one article
    (STORY_A, True, False),  # the claimant's own URL is taken: nothing moves
], ids=["another-story-moves", "same-story-stays", "own-url-taken-stays"])
def test_the_page_at_home_displaces_a_claimant_stored_first(tmp_path: Path, real: tuple[str, str], held_at_b: bool,
                                                           moved: bool) -> None:
    settings = loopback_settings(tmp_path)
    sessions = session_factory(make_engine(settings[OPTIONS]["database_url"]))
    corpus = Corpus(tmp_path / "corpus")
    recorder, now = Recorder(Topic(()), corpus), datetime.now(UTC)
    with transaction(sessions) as session:
        if held_at_b:
            recorder.fetched(session, _fetched(HOME_B, HOME_B, "别的", "别的文章的正文，足够长的一段。"), now)
        claimant = claimed_identity(session, _fetched(CLAIMED, HOME_B, *STORY_B))  # B claims A's URL, first
        assert claimant.url == CLAIMED
        recorder.fetched(session, claimant, now)
        at_home = claimed_identity(session, _fetched(CLAIMED, CLAIMED, *real))
        assert (DISPLACED_KEY in at_home.meta) is moved
        recorded = recorder.fetched(session, at_home, now)
        histories = {a.canonical_url: [v.title for v in a.versions] for a in session.execute(select(Article)).scalars()}
    assert recorded.outcome == ("new" if moved else "changed" if real != STORY_B else "unchanged")
    if moved:
        assert histories == {CLAIMED: [STORY_A[0]], HOME_B: [STORY_B[0]]}
        documents = {d.document.url: d.document.title for d in load_corpus(tmp_path / "corpus").documents}
        assert documents == {CLAIMED: STORY_A[0], HOME_B: STORY_B[0]}, "each page its own corpus document"
    else:
        assert histories[CLAIMED][0] == STORY_B[0] and len(histories) == 1 + held_at_b
