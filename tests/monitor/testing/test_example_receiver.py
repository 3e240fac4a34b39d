"""Testing a webhook receiver with newswatch's pytest plugin, the way an outside project does it.

Nothing here comes from newswatch's own test helpers: only the fixtures the plugin gives
(``newswatch_workspace``, ``newswatch_replay``, ``webhook_receiver``) and the committed cassettes, which
hold a small Chinese news site at three moments (recorded on loopback by tests/monitor/record_moments.py):

    moment 1   five articles, a-e
    moment 2   a correction appended to a; e's headline rewritten; d briefly an error page; f new
    moment 3   a's correction withdrawn again (back to moment 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from newswatch.monitor.testing import Replayer, ReplayResult, WebhookReceiver, Workspace

SITE = "http://127.0.0.1:38527"  # where the cassettes were recorded; replayed, never contacted
SOURCES = {"测试新闻": f"{SITE}/"}
EVENTS = ["article.new", "article.changed", "article.anomaly"]
MOMENTS = [f"tests/cassettes/moments_{n}.yaml" for n in (1, 2, 3)]


@pytest.fixture
def replay(newswatch_workspace: Workspace, newswatch_replay: Replayer,
           webhook_receiver: WebhookReceiver) -> Callable[[int], list[ReplayResult]]:
    """Replays moments 1..n on one workspace, the receiver as its webhook channel."""
    newswatch_workspace.configure(crawl={"allow_networks": ["127.0.0.0/8"]})  # the site was on loopback
    channel = webhook_receiver.channel(events=EVENTS)
    return lambda n: list(newswatch_replay.series(MOMENTS[:n], sources=SOURCES, channels=[channel]))


def received(result: ReplayResult, kind: str) -> dict[str, dict[str, Any]]:
    """Article URL -> payload of the verified deliveries of one type in one run."""
    found = {}
    for delivery in result.deliveries:
        assert delivery.verified, f"bad signature on {delivery.event_id}"
        assert delivery.payload is not None
        if delivery.payload["type"] == kind:
            found[delivery.payload["article"]["url"]] = dict(delivery.payload)
    return found


def test_three_moments_reach_the_receiver(replay: Callable[[int], list[ReplayResult]]) -> None:
    """One series of the three moments (three runs, not one series per moment: each replay is a newswatch
    run in a child process); each moment's deliveries are checked on their own below."""
    first, second, third = replay(3)
    first_moment_announces_each_article_once(first)
    second_moment_sends_the_changes_and_the_new_article(second)
    third_moment_reports_the_withdrawn_correction(third)


def first_moment_announces_each_article_once(first: ReplayResult) -> None:
    new = received(first, "article.new")
    assert sorted(new) == [f"{SITE}/2025/05/01/{page}.html" for page in "abcde"]
    assert new[f"{SITE}/2025/05/01/a.html"]["article"]["title"] == "外国专家：中美合作共赢符合国际社会利益"
    assert len({d.event_id for d in first.deliveries}) == len(first.deliveries) == 5


def second_moment_sends_the_changes_and_the_new_article(second: ReplayResult) -> None:
    changed = received(second, "article.changed")
    assert {url: p["change"]["change_class"] for url, p in changed.items()} == {
        f"{SITE}/2025/05/01/a.html": "addition",  # the correction appended
        f"{SITE}/2025/05/01/e.html": "title",  # the headline rewritten
    }
    assert changed[f"{SITE}/2025/05/01/e.html"]["article"]["title"] == "故宫首开元宵夜场：紫禁城上元之夜灯火璀璨"
    assert "+ 更正：本文此前版本将会晤地点误写为洛杉矶" in changed[f"{SITE}/2025/05/01/a.html"]["change"]["diff_text"]
    new = received(second, "article.new")
    assert [p["article"]["title"] for p in new.values()] == ["短缺药品保供稳价 全力保障临床用药需求"]
    anomaly = received(second, "article.anomaly")
    assert {url: p["anomaly"] for url, p in anomaly.items()} == {f"{SITE}/2025/05/01/d.html": "error_page"}


def third_moment_reports_the_withdrawn_correction(third: ReplayResult) -> None:
    changed = received(third, "article.changed")
    assert list(changed) == [f"{SITE}/2025/05/01/a.html"]
    change = changed[f"{SITE}/2025/05/01/a.html"]["change"]
    assert (change["change_class"], change["from_version"], change["to_version"], change["reverted_to"]) == (
        "deletion", 2, 3, 1)
    assert received(third, "article.new") == {} and received(third, "article.anomaly") == {}
