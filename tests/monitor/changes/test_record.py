"""The change recorder on real storage (SQLite and PostgreSQL) with real extracted pages."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article as Extracted
from newswatch.crawler.extract.article import extract
from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle, RejectedPage
from newswatch.crawler.pipeline.identity import claimed_identity
from newswatch.monitor.alerts.outbox import route_events
from newswatch.monitor.alerts.registry import build_channels
from newswatch.monitor.alerts.settings import AlertsConfig, ChannelConfig
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.changes.output import export
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.monitor.changes.reextract import reextract_all
from newswatch.monitor.sources.seeds import import_seeds
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import transaction
from newswatch.storage.models import AlertEvent, AlertOutbox, Anomaly, Article, Change, Version
from tests.conftest import SEEDS
from tests.crawler.fixture_site import fixture_bytes

URL = "https://www.news.cn/fortune/2023-11/17/c_1129981476.htm"
T0 = datetime(2025, 2, 11, 8, 0, tzinfo=UTC)


def fetched(html: bytes, url: str = URL, extractor_version: str | None = None) -> FetchedArticle:
    result = extract(decode_body(html, "text/html; charset=utf-8"), url)
    assert isinstance(result, Extracted)
    meta = {"author": result.author, "date": result.date, "site_name": result.site_name,
            "language": result.language, "content_type": "text/html; charset=utf-8"}
    return FetchedArticle(url, url, None, result.title, result.body_markdown, meta, result.fingerprint,
                          result.extractor, extractor_version or result.extractor_version, html, 200, None, None)


def recorder(folder: Path) -> ChangeRecorder:
    return ChangeRecorder(Topic(()), Corpus(folder), DetectOptions())


def test_error_page_where_the_article_was_is_an_anomaly(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    page = fixture_bytes("n4k-chinese_article_002")
    with transaction(sessions) as session:
        assert rec.fetched(session, fetched(page), T0).outcome == "new"
    with transaction(sessions) as session:
        outcome = rec.rejected(session, RejectedPage(URL, "error_page", "链接已过期", None, b"<html/>", 200), T0)
        assert outcome.outcome == "anomaly"
        assert rec.rejected(session, RejectedPage("https://x.example/list", "list_page"), T0).outcome == "rejected"
    with sessions() as session:
        assert session.execute(select(Anomaly.reason)).scalars().all() == ["error_page"]
        article = session.execute(select(Article)).scalar_one()
        assert article.next_check_at is not None, "re-checked on the next visit"
        assert len(session.execute(select(Version)).scalars().all()) == 1
    with transaction(sessions) as session:
        assert rec.fetched(session, fetched(page), T0 + timedelta(hours=1)).outcome == "unchanged"


def test_seed_is_version_zero_and_first_fetch_is_a_baseline(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    import_seeds(sessions, seeds)
    import_seeds(sessions, seeds)
    url = "https://new.qq.com/rain/a/20250208A073F400"
    with sessions() as session:
        zero = session.execute(select(Version).join(Article).where(Article.canonical_url == url)).scalar_one()
        assert (zero.number, zero.extractor) == (0, "seed")
    body = (SEEDS / "000_c599c159d177af50.txt").read_text(encoding="utf-8").split("---", 2)[2]
    html = f"<html><head><title>DeepSeek火爆海外</title></head><body><article>{body}</article></body></html>"
    with transaction(sessions) as session:
        recorded = recorder(tmp_path / "corpus").fetched(session, fetched(html.encode(), url), T0)
    assert recorded.outcome == "baseline"
    with sessions() as session:
        first = session.execute(
            select(Version).join(Article).where(Article.canonical_url == url, Version.number == 1)
        ).scalar_one()
        assert 0 < first.meta["baseline_similarity"] <= 1
        assert session.execute(select(Change)).first() is None, "a baseline is not an alerted change"


def test_reextract_rebaselines_without_phantom_changes(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    page = fixture_bytes("n4k-chinese_article_002")
    old = fetched(page, extractor_version="0.9")
    old = FetchedArticle(**{**old.__dict__, "body": old.body + "\n\n分享到微博 | 打开App阅读全文 | 推荐给好友阅读"})
    with transaction(sessions) as session:
        rec.fetched(session, old, T0)
    report = reextract_all(sessions, Corpus(tmp_path))
    assert (report.checked, report.rebaselined) == (1, 1)
    assert reextract_all(sessions, Corpus(tmp_path)).rebaselined == 0, "idempotent"
    with transaction(sessions) as session:
        assert rec.fetched(session, fetched(page), T0 + timedelta(days=1)).outcome == "unchanged"
    with sessions() as session:
        versions = session.execute(select(Version).order_by(Version.number)).scalars().all()
        assert [v.meta.get("reextracted_from") for v in versions] == [None, 1]
        assert session.execute(select(Change)).first() is None


def test_storage_and_corpus_agree_with_export(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    rec = recorder(corpus_dir)
    page = fixture_bytes("n4k-chinese_article_002").decode()
    anchor = "据了解，短缺药品信息监测共享"
    assert page.count(anchor) == 1
    edited = page.replace(anchor, "记者另悉，相关清单将每季度更新一次，并向社会公开。</p><p>" + anchor)
    for hour, html in enumerate((page, edited)):
        with transaction(sessions) as session:
            rec.fetched(session, fetched(html.encode()), T0 + timedelta(hours=hour))
    with sessions() as session:
        written = export(session, tmp_path / "export")
    assert (written.articles, written.changes) == (1, 1)
    for path in corpus_dir.rglob("*.txt"):
        assert (tmp_path / "export" / path.relative_to(corpus_dir)).read_bytes() == path.read_bytes()


def test_events_name_the_registered_source_so_source_rules_match_it(sessions: sessionmaker[Session],
                                                                     tmp_path: Path) -> None:
    """A channel's ``sources`` rule names registry sources; the page calls itself something else."""
    hook = ChannelConfig(name="desk", kind="webhook", url="https://hooks.example.org/in", secret_env="S",
                         sources=("新华网",))
    rec = ChangeRecorder(Topic(()), Corpus(tmp_path), DetectOptions())
    item = fetched(fixture_bytes("n4k-chinese_article_002"))
    item = dataclasses.replace(item, meta={**item.meta, "source": "新华网", "site_name": "Xinhua"})
    with transaction(sessions) as session:
        assert rec.fetched(session, item, T0).outcome == "new"
    with sessions() as session:  # recorded: the event, nothing per channel
        [event] = session.execute(select(AlertEvent)).scalars().all()
        assert event.payload["source"] == "新华网" and event.routed_at is None
        assert session.execute(select(AlertOutbox)).first() is None
    route_events(sessions, build_channels(AlertsConfig(channels=(hook,)), {"S": "x" * 32}), lambda: T0)
    with sessions() as session:  # the channel's rule, applied at delivery, accepts it
        [row] = session.execute(select(AlertOutbox)).scalars().all()
        assert (row.channel, row.payload["source"]) == ("desk", "新华网")


def test_a_claimant_with_a_history_moves_and_the_corpus_still_agrees_with_export(sessions: sessionmaker[Session],
                                                                                  tmp_path: Path) -> None:
    """A page (chinadaily's) landed at its own URL but claimed news.cn's article URL, was stored there, and
    changed once; then news.cn's page arrives at that URL. The claimant's article, its change included, moves
    to its own URL; news.cn's is new; the corpus is what export writes, with no stale change document."""
    corpus_dir, rec = tmp_path / "corpus", recorder(tmp_path / "corpus")
    home = "https://www.news.cn/a/202311/17/WS65571297a310d5acd876f404.html"
    claimant = fixture_bytes("n4k-chinese_article_001").decode()
    anchor = "这是两国面临的抉择。"
    assert claimant.count(anchor) == 1
    for hour, html in enumerate((claimant, claimant.replace(anchor, anchor + "记者补充：此段为更新。"))):
        with transaction(sessions) as session:
            item = dataclasses.replace(fetched(html.encode(), home), url=URL)  # claims URL
            assert rec.fetched(session, claimed_identity(session, item), T0 + timedelta(hours=hour)).outcome in (
                "new", "changed")
    with transaction(sessions) as session:
        real = claimed_identity(session, fetched(fixture_bytes("n4k-chinese_article_002")))
        assert rec.fetched(session, real, T0 + timedelta(hours=2)).outcome == "new"
    with sessions() as session:
        versions = {a.canonical_url: len(a.versions) for a in session.execute(select(Article)).scalars()}
        events = sorted((e.event_kind, e.payload["article"]["url"])
                        for e in session.execute(select(AlertEvent)).scalars())
        written = export(session, tmp_path / "export")
    assert versions == {home: 2, URL: 1}
    assert events == [("article.changed", home), ("article.new", home), ("article.new", URL)]
    assert (written.articles, written.changes) == (2, 1)
    found = sorted(str(path.relative_to(corpus_dir)) for path in corpus_dir.rglob("*.txt"))
    assert found == sorted(str(path.relative_to(tmp_path / "export")) for path in (tmp_path / "export").rglob("*.txt"))
    for name in found:
        assert (tmp_path / "export" / name).read_bytes() == (corpus_dir / name).read_bytes(), name
