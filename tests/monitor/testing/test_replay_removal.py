"""newswatch_replay of a withdrawal (删稿): a replayed cassette pair where four stored articles are taken
down (a CMS notice and WeChat's notice in their place, a 410, a 301 home) shows them in
``removed_articles``; the run stays ok and exits 0, and the events go out."""

from __future__ import annotations

import pytest

from newswatch.monitor.testing import RemovalRecord, Replayer, WebhookReceiver, Workspace
from tests.monitor.removal_site import CASSETTE_PORT, CMS_NOTICE, WECHAT_NOTICE

SITE = f"http://127.0.0.1:{CASSETTE_PORT}"


@pytest.fixture
def loopback(newswatch_workspace: Workspace) -> Workspace:
    newswatch_workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"]})
    return newswatch_workspace


def test_a_withdrawal_replayed_shows_removed_articles(
        loopback: Workspace, newswatch_replay: Replayer, webhook_receiver: WebhookReceiver) -> None:
    channel = webhook_receiver.channel(events=["article.removed"])
    first, second = newswatch_replay.series(["tests/cassettes/removal_1.yaml", "tests/cassettes/removal_2.yaml"],
                                            sources={"测试新闻": f"{SITE}/"}, channels=[channel])
    assert first.removed_articles == ()
    assert second.summary.outcome == "ok" and second.summary.exit_status == 0
    assert second.summary.figure("removed") == len(second.removed_articles) == 4
    assert second.anomalies == () and second.summary.errors == ()
    found = {r.url.rsplit("/", 1)[-1][0]: (r.kind, r.http_status, r.notice) for r in second.removed_articles}
    assert found == {"a": ("withdrawn", 200, CMS_NOTICE), "b": ("gone", 410, None),
                     "e": ("withdrawn", 200, WECHAT_NOTICE), "f": ("redirected", 301, None)}
    record = second.removed(f"{SITE}/2025/05/01/e.html")
    assert isinstance(record, RemovalRecord) and record.version == 1 and record.title
    assert sorted(d.event.type for d in second.events) == ["article.removed"] * 4 == \
        sorted(str((d.payload or {}).get("type")) for d in second.deliveries)
    assert {d.name.rsplit(".", 2)[-2] for d in second.documents if d.is_change} == {"removed"}
