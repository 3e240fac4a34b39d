"""newswatch_replay: full runs from cassettes, read back as typed records; failures as clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from newswatch.monitor.changes.events import Event
from newswatch.monitor.testing import (
    ArticleRecord,
    ChangeRecord,
    ChannelSpec,
    CorpusFile,
    OutboxEntry,
    Replayer,
    WebhookReceiver,
    Workspace,
)
from newswatch.storage.corpus.document import Document
from newswatch.storage.errors import ReplayError
from tests.conftest import ROOT

SITE = "http://127.0.0.1:38527"
SOURCES = {"测试新闻": f"{SITE}/"}
MOMENT = "tests/cassettes/moments_{}.yaml"
ALL_EVENTS = ["article.new", "article.changed", "article.anomaly"]


@pytest.fixture
def loopback(newswatch_workspace: Workspace) -> Workspace:
    newswatch_workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"]})
    return newswatch_workspace


def test_the_plugin_is_loaded_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("newswatch")
    assert plugin is not None and plugin.__name__ == "newswatch.monitor.testing.plugin"


def test_results_are_typed_records_that_agree_with_the_run_summary(
        loopback: Workspace, newswatch_replay: Replayer, webhook_receiver: WebhookReceiver) -> None:
    channel = webhook_receiver.channel(events=ALL_EVENTS)
    first, second = newswatch_replay.series([MOMENT.format(1), MOMENT.format(2)], sources=SOURCES,
                                            channels=[channel])
    for result in (first, second):
        assert result.summary.outcome == "ok" and result.summary.exit_status == 0
        assert result.summary.figure("new") == len(result.new_articles)
        assert result.summary.figure("changed") == len(result.changed_articles)
        assert result.summary.figure("anomalies") == len(result.anomalies)
        assert result.summary.figure("corpus_written") == len(result.documents)
        assert result.summary.figure("alerts_sent") == len(result.events) == len(result.deliveries)
    record = first.new_article(f"{SITE}/2025/05/01/a.html")
    assert isinstance(record, ArticleRecord) and record.version == 1 and record.language == "zh"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.title = "x"  # type: ignore[misc]
    assert all(isinstance(d, CorpusFile) and isinstance(d.document, Document) for d in first.documents)
    assert sorted(d.name for d in first.documents) == sorted(str(a.corpus_file) for a in first.new_articles)
    assert all(d.path.is_file() for d in first.documents + second.documents)
    assert {d.document.title for d in first.documents} == {a.title for a in first.new_articles}
    entry = second.events[0]
    assert isinstance(entry, OutboxEntry) and isinstance(entry.event, Event)
    assert (entry.channel, entry.state, entry.attempts) == ("receiver", "sent", 1)
    change = second.change(f"{SITE}/2025/05/01/e.html")
    assert isinstance(change, ChangeRecord)
    assert (change.change_class, change.changed_fields, change.from_version, change.to_version) == (
        "title", ("title",), 1, 2)
    assert [(a.url, a.reason) for a in second.anomalies] == [(f"{SITE}/2025/05/01/d.html", "error_page")]
    assert sorted(d.name for d in second.documents if d.is_change) == sorted(
        f"changes/{d.name.removesuffix('.txt')}.v002.txt" for d in first.documents
        if d.document.url in {f"{SITE}/2025/05/01/a.html", f"{SITE}/2025/05/01/e.html"})
    with pytest.raises(KeyError, match=r"no change for .*b\.html"):
        second.change(f"{SITE}/2025/05/01/b.html")


def test_a_channel_signing_with_another_secret_is_received_unverified(
        loopback: Workspace, newswatch_replay: Replayer, webhook_receiver: WebhookReceiver) -> None:
    impostor = ChannelSpec({"name": "impostor", "kind": "webhook", "url": webhook_receiver.url,
                            "secret_env": "IMPOSTOR_SECRET"}, {"IMPOSTOR_SECRET": "not the shared secret"},
                           receiver=webhook_receiver)
    result = newswatch_replay(MOMENT.format(1), sources=SOURCES, channels=[webhook_receiver, impostor])
    verdicts = sorted((d.event_id or "", d.verified) for d in result.deliveries)
    ids = sorted({e.event.id for e in result.events})
    assert len(ids) == 5
    assert verdicts == sorted([(i, True) for i in ids] + [(i, False) for i in ids])


def test_an_alert_the_receiver_refused_stays_in_the_outbox_and_arrives_next_run(
        loopback: Workspace, newswatch_replay: Replayer, webhook_receiver: WebhookReceiver) -> None:
    loopback.configure(alerts={"backoff_seconds": 0.0})  # retried on the very next run
    webhook_receiver.respond_with(500)
    first = newswatch_replay(MOMENT.format(1), sources=SOURCES, channels=[webhook_receiver])
    refused = [e for e in first.events if e.state == "pending"]
    assert len(refused) == 1 and refused[0].attempts == 1 and "HTTP 500" in (refused[0].last_error or "")
    assert first.summary.figure("alerts_failed") == 1 and first.summary.outcome == "ok"
    assert [d.status for d in first.deliveries].count(500) == 1
    second = newswatch_replay(MOMENT.format(2))  # same sources and channel as before
    retried = [d for d in second.deliveries if d.event_id == refused[0].event.id]
    assert [(d.status, d.verified) for d in retried] == [(200, True)]
    accepted = {d.event_id for d in webhook_receiver.deliveries if d.status == 200}
    assert {e.event.id for e in first.events} <= accepted


def test_a_request_missing_from_the_cassette_is_a_counted_error(
        loopback: Workspace, newswatch_replay: Replayer) -> None:
    result = newswatch_replay(MOMENT.format(1), sources={"测试新闻": "http://127.0.0.1:38528/"})
    assert result.summary.exit_status == 1 and result.summary.cassette_missing > 0
    assert result.summary.errors and result.new_articles == ()


def test_a_missing_cassette_fails_with_how_to_record_it(newswatch_replay: Replayer) -> None:
    with pytest.raises(ReplayError, match=r"no cassette at .*nothing\.yaml: record it once with `pytest "
                                          r"--newswatch-record`"):
        newswatch_replay("tests/cassettes/nothing.yaml", sources=SOURCES)


def test_nothing_to_crawl_fails_before_running(newswatch_replay: Replayer) -> None:
    with pytest.raises(ReplayError, match="nothing to crawl"):
        newswatch_replay(MOMENT.format(1))


def test_newswatch_refusing_the_config_fails_with_its_message(loopback: Workspace, newswatch_replay: Replayer,
                                                               tmp_path: Path) -> None:
    bad = {"name": "ftp", "kind": "webhook", "url": "ftp://127.0.0.1/x", "secret_env": "X_SECRET"}
    with pytest.raises(ReplayError, match=r"exited 2 without a summary: .*alerts\.channels\[0\]\.url"):
        newswatch_replay(MOMENT.format(1), sources=SOURCES, channels=[bad], env={"X_SECRET": "s"})
    assert list(loopback.corpus_dir.glob("*.txt")) == []


def test_outside_pytest_a_later_moment_is_not_recorded_in_the_same_session(loopback: Workspace) -> None:
    first = ROOT / MOMENT.format(1)
    replay = Replayer(loopback, record_missing=True, recorded={first})  # as if this session had recorded it
    assert replay(first, sources=SOURCES).summary.outcome == "ok"
    later = loopback.root / "later.yaml"
    with pytest.raises(ReplayError, match=r"not recording .*later\.yaml now: it follows .*moments_1\.yaml"):
        replay(later)
    assert not later.exists()
