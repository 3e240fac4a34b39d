"""The plan's stored-article side: which articles are due, with their latest version's validators, and the
known-URL set; on SQLite and PostgreSQL (one query over the columns a target needs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.items import ArticleTarget
from newswatch.monitor.runs.plan import due_articles, known_urls
from newswatch.monitor.schedule.intervals import parse_ladder
from newswatch.storage.models import Article, Version

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LADDER = parse_ladder(["1d=1h", "30d=1d"])  # younger than a day: hourly; up to 30 days: daily; then never


def version(number: int, etag: str | None, modified: str | None) -> Version:
    return Version(number=number, title="t", body=f"body {number}", content_hash=f"{number:064d}", etag=etag,
                   last_modified=modified, extractor="trafilatura", extractor_version="x", raw_html=b"x" * 1000)


def add(session: Session, url: str, *, age: timedelta, checked_ago: timedelta | None, versions: list[Version],
        status: str = "active", flagged: bool = False, removed_ago: timedelta | None = None) -> None:
    session.add(Article(canonical_url=url, first_seen_at=NOW - age, discovered_from="seed:000.txt",
                        last_checked_at=NOW - checked_ago if checked_ago is not None else None,
                        next_check_at=NOW - timedelta(minutes=1) if flagged else None, status=status,
                        versions=versions, removed_at=NOW - removed_ago if removed_ago is not None else None))


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as session:
        add(session, "https://a.example/1", age=timedelta(hours=5), checked_ago=timedelta(hours=2),
            versions=[version(1, '"old"', None), version(2, '"new"', "Sat, 01 Mar 2025 00:00:00 GMT")])
        add(session, "https://a.example/2", age=timedelta(hours=5), checked_ago=timedelta(minutes=10),
            versions=[version(1, '"e2"', None)])  # checked 10 minutes ago: not due
        add(session, "https://a.example/3", age=timedelta(days=90), checked_ago=timedelta(days=5),
            versions=[version(1, None, None)], flagged=True)  # past the ladder, but flagged by an anomaly
        add(session, "https://a.example/4", age=timedelta(hours=1), checked_ago=None, versions=[])  # never checked
        add(session, "https://a.example/5", age=timedelta(hours=5), checked_ago=timedelta(hours=2),
            versions=[version(1, '"g"', None)], status="gone")
        # removed two days ago, last checked then: due on the removed ladder (daily), without validators
        add(session, "https://a.example/6", age=timedelta(days=90), checked_ago=timedelta(days=2),
            versions=[version(1, '"r"', "Sat, 01 Mar 2025 00:00:00 GMT")], status="removed",
            removed_ago=timedelta(days=2))
        add(session, "https://a.example/7", age=timedelta(hours=5), checked_ago=timedelta(hours=2),
            versions=[version(1, '"r"', None)], status="removed", removed_ago=timedelta(hours=3))  # 6-hourly
    return sessions


def test_due_articles_carry_the_latest_versions_validators(stored: sessionmaker[Session]) -> None:
    with stored() as session:
        due = due_articles(session, LADDER, NOW)
    assert due == [
        ArticleTarget("https://a.example/1", "seed:000.txt", '"new"', "Sat, 01 Mar 2025 00:00:00 GMT", stored=True),
        ArticleTarget("https://a.example/3", "seed:000.txt", None, None, stored=True),
        ArticleTarget("https://a.example/4", "seed:000.txt", None, None, stored=True),
        ArticleTarget("https://a.example/6", "seed:000.txt", stored=True),
    ]


def test_known_urls_are_every_stored_url(stored: sessionmaker[Session]) -> None:
    with stored() as session:
        assert known_urls(session) == {f"https://a.example/{i}" for i in range(1, 8)}


def test_a_version_that_landed_elsewhere_is_rechecked_without_its_date(sessions: sessionmaker[Session]) -> None:
    """A page that claimed another page's URL as its canonical holds that URL with its own validators: the page
    living there, unchanged since that date, would answer 304 to them and never be read. Its ETag still goes."""
    claimed = version(1, '"b-tag"', "Sat, 01 Mar 2025 00:00:00 GMT")
    claimed.meta = {"landed": "https://a.example/b"}
    same = version(1, '"a-tag"', "Sat, 01 Mar 2025 00:00:00 GMT")
    same.meta = {"landed": "https://a.example/own"}  # landed at its own URL: nothing to suspect
    with sessions.begin() as session:
        add(session, "https://a.example/a", age=timedelta(hours=5), checked_ago=timedelta(hours=2), versions=[claimed])
    with sessions.begin() as session:
        add(session, "https://a.example/own", age=timedelta(hours=5), checked_ago=timedelta(hours=2), versions=[same])
    with sessions() as session:
        due = {target.url: target for target in due_articles(session, LADDER, NOW)}
    assert (due["https://a.example/a"].etag, due["https://a.example/a"].last_modified) == ('"b-tag"', None)
    assert due["https://a.example/own"].last_modified == "Sat, 01 Mar 2025 00:00:00 GMT"
