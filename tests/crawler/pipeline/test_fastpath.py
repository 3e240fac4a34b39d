"""The re-check fast path (``crawler.pipeline.fastpath``): page keys, batched check times, and real crawls of the
loopback fixture pages where a 304 and a 200 with the stored bytes skip extraction and a real change
still takes the full path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.items import ArticleTarget, NotModified, SiteTarget
from newswatch.crawler.options import OPTIONS
from newswatch.crawler.pipeline.fastpath import (
    Check,
    CheckBatch,
    PageKeys,
    extraction_context,
    mark_checked,
    page_key,
    stored_key,
)
from newswatch.crawler.pipeline.store import latest_version
from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import Article, Version
from newswatch.storage.repository import ensure_article
from tests.crawler.crawl_child import ChildCrawl, crawl_plan, loopback_settings
from tests.crawler.fixture_site import ARTICLES, fixture_bytes
from tests.crawler.site_server import SiteServer

BODY = "<html><body><p>正文</p></body></html>".encode()
CONTEXT = extraction_context("v1", None, ("AI",))


@pytest.mark.parametrize(("body", "context", "same"), [
    (BODY, CONTEXT, True),
    (BODY + b" ", CONTEXT, False),
    (BODY, extraction_context("v2", None, ("AI",)), False),
    (BODY, extraction_context("v1", {"exclude": ["#ad"]}, ("AI",)), False),
    (BODY, extraction_context("v1", None, ("AI", "芯片")), False),
    (BODY, extraction_context("v1", {"ignore": ["x"]}, ("AI",)), True),
], ids=["same", "one-byte-more", "other-extractor", "other-selectors", "other-keywords", "ignore-rules-only"])
def test_page_key_changes_with_what_decides_the_extraction(body: bytes, context: str, same: bool) -> None:
    assert (page_key(body, context) == page_key(BODY, CONTEXT)) is same


def test_page_keys_follow_the_source_rules_by_site() -> None:
    keys = PageKeys({"a.example": {"exclude": ["#ad"]}}, ("AI",), versions="v1")
    assert keys.key("https://news.a.example/1", BODY) != keys.key("https://b.example/1", BODY)
    assert keys.key("https://b.example/1", BODY) == page_key(BODY, CONTEXT)


def test_the_batch_is_due_by_count_or_age() -> None:
    batch = CheckBatch(max_items=3, max_seconds=3600)
    now = datetime.now(UTC)
    for i in range(2):
        batch.add(NotModified(f"https://a.example/{i}"), now)
    assert not batch.due()
    batch.add(NotModified("https://a.example/2"), now)
    assert batch.due()
    assert len(batch.take()) == 3 and not batch.due()
    aged = CheckBatch(max_items=1000, max_seconds=0.0)
    aged.add(NotModified("https://a.example/x"), now)
    assert aged.due()


def test_mark_checked_writes_a_batch_in_one_transaction(sessions: sessionmaker[Session]) -> None:
    then, now = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with sessions.begin() as session:
        for i in range(3):
            article = ensure_article(session, f"https://a.example/{i}", first_seen_at=then)
            article.last_checked_at, article.next_check_at = then, then
            session.flush()
            session.add(Version(article_id=article.id, number=1, body="b", content_hash="h", etag='"old"',
                                extractor="trafilatura", extractor_version="x", fetched_at=then))
    checks = [Check("https://a.example/0", now), Check("https://a.example/1", now, etag='"new"'),
              Check("https://a.example/unknown", now)]
    with sessions.begin() as session:
        mark_checked(session, checks)
    with sessions() as session:
        rows = {a.canonical_url: a for a in session.execute(select(Article)).scalars()}
        assert [rows[f"https://a.example/{i}"].last_checked_at for i in range(3)] == [now, now, then]
        assert rows["https://a.example/0"].next_check_at is None
        assert rows["https://a.example/2"].next_check_at == then
        etags = {a.canonical_url: latest_version(session, a.id).etag for a in rows.values()}  # type: ignore[union-attr]
        assert etags == {"https://a.example/0": '"old"', "https://a.example/1": '"new"', "https://a.example/2": '"old"'}


# --- crawls of the fixture pages ------------------------------------------------------------------

ETAGGED = ARTICLES[0].path  # answers 304 to its ETag; the others have no validators: a 200 every time


def serve(server: SiteServer, changed: str | None = None) -> None:
    for page in ARTICLES:
        body = fixture_bytes(page.fixture)
        if page.path == changed:
            body = body.replace(b"</p>", b" (updated 2025-03-01 08:00)</p>", 1)
        headers = {"Content-Type": page.content_type}
        if page.path == ETAGGED:
            headers["ETag"] = '"v1"' if changed is None else '"v2"'
        server.add(page.path, body=body, headers=headers)


def setup(tmp_path: Path) -> dict[str, Any]:
    return loopback_settings(tmp_path, concurrency_per_domain=4)


def stored_targets(settings: dict[str, Any]) -> tuple[list[ArticleTarget], dict[str, int]]:
    """What the plan hands the spider for every stored article, and url -> latest version number."""
    engine = make_engine(settings[OPTIONS]["database_url"])
    targets, numbers = [], {}
    with session_factory(engine)() as session:
        for article in session.execute(select(Article)).scalars():
            latest = latest_version(session, article.id)
            assert latest is not None
            targets.append(ArticleTarget(article.canonical_url, None, latest.etag, latest.last_modified,
                                         stored_key(latest)))
            numbers[article.canonical_url] = latest.number
    engine.dispose()
    return targets, numbers


def check_times(settings: dict[str, Any]) -> list[datetime | None]:
    engine = make_engine(settings[OPTIONS]["database_url"])
    with session_factory(engine)() as session:
        times = [a.last_checked_at for a in session.execute(select(Article)).scalars()]
    engine.dispose()
    return times


@pytest.fixture
def first_crawl(site_server: SiteServer, tmp_path: Path) -> tuple[dict[str, Any], ChildCrawl]:
    serve(site_server)
    settings = setup(tmp_path)
    first = crawl_plan(tmp_path / "first", settings, [ArticleTarget(site_server.url(p.path)) for p in ARTICLES])
    return settings, first


def test_a_recheck_of_unchanged_pages_extracts_nothing(first_crawl: tuple[dict[str, Any], ChildCrawl],
                                                        tmp_path: Path) -> None:
    settings, first = first_crawl
    assert first.count("newswatch/articles/new") == len(ARTICLES)
    assert first.count("newswatch/extract/pages") == len(ARTICLES)
    targets, before = stored_targets(settings)
    assert all(t.page_key for t in targets), "every version keeps its page key"
    started = datetime.now(UTC) - timedelta(seconds=1)

    again = crawl_plan(tmp_path / "again", settings, targets)

    assert again.count("newswatch/fetched/not_modified") == 1  # the ETag page
    assert again.count("newswatch/fastpath/same_bytes") == len(ARTICLES) - 1
    assert again.count("newswatch/extract/pages") == 0
    assert again.count("newswatch/articles/unchanged") + again.count("newswatch/articles/not_modified") \
        == len(ARTICLES)
    assert again.count("newswatch/fastpath/checks_written") == len(ARTICLES)
    assert again.count("newswatch/fastpath/check_batches") == 1  # one transaction for all of them
    assert stored_targets(settings)[1] == before  # no new version
    assert all(t is not None and t >= started for t in check_times(settings))


def test_a_changed_page_still_takes_the_full_path(site_server: SiteServer,
                                                  first_crawl: tuple[dict[str, Any], ChildCrawl],
                                                  tmp_path: Path) -> None:
    settings, _ = first_crawl
    changed = ARTICLES[1].path
    serve(site_server, changed=changed)  # and the ETag page has a new ETag: a full 200, same bytes
    targets, before = stored_targets(settings)

    again = crawl_plan(tmp_path / "again", settings, targets)

    assert again.count("newswatch/extract/pages") == 1
    assert again.count("newswatch/articles/changed") == 1
    assert again.count("newswatch/fastpath/same_bytes") == len(ARTICLES) - 1  # the ETag page's bytes too
    after = stored_targets(settings)[1]
    assert after == {url: n + (url.endswith(changed)) for url, n in before.items()}
    etag_page = next(t for t in stored_targets(settings)[0] if t.url.endswith(ETAGGED))
    assert etag_page.etag == '"v2"'  # the new validator reached the stored version through the batch


def test_a_recheck_with_a_configured_home_page_starts_no_extraction_worker(
        first_crawl: tuple[dict[str, Any], ChildCrawl], site_server: SiteServer, tmp_path: Path) -> None:
    settings, first = first_crawl
    assert first.count("newswatch/extract/pool_started") == 1
    links = "".join(f'<li><a href="{p.path}">{p.path}</a></li>' for p in ARTICLES)
    site_server.add("/", body=f"<html><body><ul>{links}</ul></body></html>".encode(),
                    headers={"Content-Type": "text/html; charset=utf-8"})
    home = SiteTarget("site", pages=(site_server.url("/"),), robots=False)
    targets, _numbers = stored_targets(settings)

    again = crawl_plan(tmp_path / "again", settings, targets, sites=[home])

    assert again.count("newswatch/fetched/page") == 1, "the home page was read"
    assert again.count("newswatch/fastpath/same_bytes") + again.count("newswatch/fetched/not_modified") \
        == len(ARTICLES)
    assert again.count("newswatch/extract/pool_started") == 0, "the home page woke the extraction pool"
