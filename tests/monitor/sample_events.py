"""Sample alert events for channel tests: built from a real diff of Chinese text."""

from __future__ import annotations

from datetime import UTC, datetime

from newswatch.monitor.changes.diff import diff_texts
from newswatch.monitor.changes.events import ArticleInfo, ChangeInfo, Event, RemovalInfo, event_id
from newswatch.monitor.changes.render import to_json, to_text

URL = "https://www.news.cn/fortune/2023-11/17/c_1129981476.htm"
OLD = "记者17日从国家卫生健康委获悉，相关部门持续优化短缺药品监测体系。国家医保局密切监测药品价格。"
NEW = ("记者17日从国家卫生健康委获悉，相关部门持续完善短缺药品监测预警体系。国家医保局密切监测药品价格。"
       "\n\n更正：本文此前将发布日期误写为16日，现已更正。")
WHEN = datetime(2025, 2, 11, 8, 30, tzinfo=UTC)


def article(version: int) -> ArticleInfo:
    return ArticleInfo(URL, "短缺药品保供稳价 全力保障临床用药需求", "张樵苏", "2023-11-17", None, "zh",
                       "www.news.cn", version, OLD[:80])


def new_event() -> Event:
    return Event(event_id("article.new", URL, 1), "article.new", WHEN, "新华网", article(1))


def changed_event() -> Event:
    diff = diff_texts(OLD, NEW)
    change = ChangeInfo("addition", ("body",), 1, 2, diff.inserted_chars, diff.deleted_chars, to_text(diff),
                        {**to_json(diff), "fields": {}})
    return Event(event_id("article.changed", URL, 2), "article.changed", WHEN, "新华网", article(2), change)


def anomaly_event() -> Event:
    return Event(event_id("article.anomaly", URL, "2025-02-11T08:30"), "article.anomaly", WHEN, "新华网",
                 article(2), anomaly="error_page", detail="the page became an error page (链接已过期)")


def failing_event() -> Event:
    return Event(event_id("source.failing", "新华网", "2025-02-10"), "source.failing", WHEN, "新华网",
                 detail="3 consecutive runs failed: HTTP 503")


def all_events() -> list[Event]:
    return [new_event(), changed_event(), anomaly_event(), failing_event()]


def removed_event() -> Event:
    removal = RemovalInfo("withdrawn", 200, "该内容已被发布者删除", None, WHEN.isoformat())
    return Event(event_id("article.removed", URL, 2, 1), "article.removed", WHEN, "新华网", article(2),
                 removal=removal, detail="withdrawn: 该内容已被发布者删除")


def restored_event() -> Event:
    removal = RemovalInfo("gone", 404, None, None, WHEN.isoformat(), WHEN.isoformat())
    return Event(event_id("article.restored", URL, 1), "article.restored", WHEN, "新华网", article(2),
                 removal=removal)
