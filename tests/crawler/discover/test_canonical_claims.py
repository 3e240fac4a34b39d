"""A page that claims another page's URL as its canonical, as a user sees it: two ``newswatch run``s against a
loopback site of two real Chinese articles (tests/fixtures/zh_news: news.cn's n4k-chinese_article_002 at its
own path, chinadaily's n4k-chinese_article_001 at its own path with ``<link rel=canonical>`` naming the
news.cn article's URL, as a template that copied the wrong canonical would).

In either order -- the claimant crawled first, or the real page first -- each page is its own article, with
its own corpus document and one ``article.new`` event, and no ``article.changed`` is ever raised
(``crawler.pipeline.identity``: the claimant's article moves to its own URL when the real page arrives). When
both have changed since, each change reaches the webhook receiver under an id of its own.
"""

from __future__ import annotations

import json
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
from tests.monitor.receiver import Receiver, free_port

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


def edited(page: bytes, anchor: str) -> bytes:
    """``page`` with a sentence added after ``anchor``: a change of its text."""
    assert page.count(anchor.encode()) == 1
    return page.replace(anchor.encode(), (anchor + "记者补充：此段为更新。").encode())


def test_the_real_page_changes_after_the_claimant_moved_and_its_change_is_delivered(tmp_path: Path) -> None:
    """Four runs: the claimant alone (stored under the real page's URL, which does not answer yet), the claimant
    changed (its ``article.changed`` numbered 2, under that URL), both pages (the claimant moves, the real page
    is new), the real page changed: its own ``article.changed`` numbered 2 is stored and delivered, not dropped
    as a duplicate of the claimant's (their ids derive from ``storage.models.event_key``)."""
    claimant = edited(claimant_page(), "这是两国面临的抉择。")
    real = edited(fixture_bytes("n4k-chinese_article_002"), "国家药监局持续采集短缺药品生产供应及停产报告信息。")
    moments: list[dict[str, bytes]] = [{CLAIMANT: claimant_page()}, {CLAIMANT: claimant},
                                       {CLAIMANT: claimant, REAL: fixture_bytes("n4k-chinese_article_002")},
                                       {CLAIMANT: claimant, REAL: real}]
    port = free_port()
    receiver = Receiver(["200"]).start(port)
    counts, sent = [], []  # per run: (new, changed), and what the receiver got (type, URL, version)
    try:
        with SiteServer() as server:
            config = workspace(tmp_path, server.base_url, "")
            config.write_text(config.read_text(encoding="utf-8").replace(
                "http://127.0.0.1:9/never", f"http://127.0.0.1:{port}/in"), encoding="utf-8")
            for pages in moments:
                links = "".join(f'<a href="{path}">新闻{n}</a>' for n, path in enumerate(pages))
                server.add("/", f"<html><body>{links}</body></html>".encode(), headers=HTML)
                for path, page in pages.items():
                    server.add(path, page, headers=HTML)
                before = len(receiver.seen)
                run = newswatch(config, "run", env={"K": "k"})
                assert run.returncode in (0, 1), run.stdout + run.stderr
                counts.append((figures(run.stdout)["new"], figures(run.stdout)["changed"]))
                sent.append(sorted((d["type"], d["article"]["url"], d["article"]["version"])
                                   for d in (json.loads(body) for _headers, body in receiver.seen[before:])))
            urls = {server.url(REAL): "real", server.url(CLAIMANT): "claimant"}
    finally:
        receiver.stop()
    assert counts == [(1, 0), (0, 1), (1, 0), (0, 1)], counts
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        stored = {(urls[e.payload["article"]["url"]], e.event_kind, e.payload["article"]["version"]): e.event_id
                  for e in session.execute(select(AlertEvent)).scalars()}
    engine.dispose()
    assert sorted(stored) == [("claimant", "article.changed", 2), ("claimant", "article.new", 1),
                              ("real", "article.changed", 2), ("real", "article.new", 1)], stored
    real_url = next(url for url, name in urls.items() if name == "real")
    assert sent == [[("article.new", real_url, 1)], [("article.changed", real_url, 2)],  # the claimant, there
                    [("article.new", real_url, 1)], [("article.changed", real_url, 2)]], sent  # the real page
    assert receiver.delivered == [stored[key] for key in (("claimant", "article.new", 1), (
        "claimant", "article.changed", 2), ("real", "article.new", 1), ("real", "article.changed", 2))]
    assert len(set(receiver.delivered)) == 4, "a receiver de-duplicating on event ids keeps all four"
