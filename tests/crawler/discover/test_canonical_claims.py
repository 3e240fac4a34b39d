"""A page that claims another page's URL as its canonical, as a user sees it: two ``newswatch run``s against a
loopback site of two real Chinese articles (tests/fixtures/zh_news: news.cn's n4k-chinese_article_002 at its
own path, chinadaily's n4k-chinese_article_001 at its own path with ``<link rel=canonical>`` naming the
news.cn article's URL, as a template that copied the wrong canonical would).

In either order -- the claimant crawled first, or the real page first -- each page is its own article, with
its own corpus document and one ``article.new`` event, and no ``article.changed`` is ever raised
(``crawler.pipeline.identity``: the claimant's article moves to its own URL when the real page arrives).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from newswatch.storage.corpus.folder import load_corpus
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertEvent, Article, Version
from tests.crawler.fixture_site import fixture_bytes
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import figures, newswatch
from tests.monitor.changes.test_noise_rules import workspace

REAL = "/2023-11/17/c_1129981476.htm"  # news.cn's article, at its own URL
CLAIMANT = "/a/202311/17/WS65571297a310d5acd876f404.html"  # chinadaily's article, claiming REAL
REAL_TITLE, CLAIMANT_TITLE = "短缺药品", "中美合作"  # a word of each page's title
HTML = {"Content-Type": "text/html; charset=utf-8"}


def claimant_page() -> bytes:
    page = fixture_bytes("n4k-chinese_article_001")
    assert page.count(b"<head>") == 1 and b"rel=\"canonical\"" not in page
    return page.replace(b"<head>", f'<head>\n<link rel="canonical" href="{REAL}" />'.encode())


def serve(server: SiteServer, paths: tuple[str, ...]) -> None:
    pages = {REAL: fixture_bytes("n4k-chinese_article_002"), CLAIMANT: claimant_page()}
    links = "".join(f'<a href="{path}">新闻{n}</a>' for n, path in enumerate(paths))
    server.add("/", f"<html><body>{links}</body></html>".encode(), headers=HTML)
    for path in paths:
        server.add(path, pages[path], headers=HTML)


@pytest.mark.parametrize("first", [CLAIMANT, REAL], ids=["claimant-first", "real-page-first"])
def test_a_page_claiming_another_pages_url_stays_its_own_article(tmp_path: Path, first: str) -> None:
    with SiteServer() as server:
        serve(server, (first,))
        config = workspace(tmp_path, server.base_url, "")
        one = newswatch(config, "run", env={"K": "k"})
        assert one.returncode in (0, 1) and figures(one.stdout)["new"] == 1, one.stdout + one.stderr
        serve(server, (CLAIMANT, REAL))
        two = newswatch(config, "run", env={"K": "k"})
        assert two.returncode in (0, 1), two.stdout + two.stderr
        real, claimant = server.url(REAL), server.url(CLAIMANT)
    assert figures(two.stdout)["changed"] == 0, two.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        titles = {a.canonical_url: [v.title or "" for v in session.execute(select(Version).where(
            Version.article_id == a.id)).scalars()] for a in session.execute(select(Article)).scalars()}
        events = [(e.event_kind, e.payload["article"]["url"], e.payload["article"]["title"] or "")
                  for e in session.execute(select(AlertEvent)).scalars()]
    engine.dispose()
    assert set(titles) == {real, claimant}, titles
    assert all(REAL_TITLE in title for title in titles[real]), titles
    assert all(CLAIMANT_TITLE in title for title in titles[claimant]), titles
    assert sorted(kind for kind, _url, _title in events) == ["article.new", "article.new"], events
    assert {url for _kind, url, _title in events} == {real, claimant}
    assert all((REAL_TITLE if url == real else CLAIMANT_TITLE) in title for _kind, url, title in events), events
    documents = load_corpus(tmp_path / "data" / "corpus").documents
    found = sorted((d.document.url, (d.document.title or "")[:2]) for d in documents)
    assert found == sorted([(real, titles[real][0][:2]), (claimant, titles[claimant][0][:2])]), found
    assert not list((tmp_path / "data" / "corpus" / "changes").glob("*.txt")), "no change documents"
