"""Volatile blocks of one page (monitor.changes.volatile): eight real pages of eight sites, five visits each
(tests/monitor/volatile_pages.py), each page with a block of its own after the article — a hot list with
its update time, a ranking with reading counts, an ad — that changes on every visit, appears late or
vanishes. Visits that differ only there are unchanged; the six real edits mixed in are each found once,
with their class, and their diffs show no furniture. Then the pure rules one by one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from newswatch.crawler.extract.article import Article as Extracted
from newswatch.crawler.extract.article import extract
from newswatch.monitor.changes.detect import Detection, Snapshot, detect
from newswatch.monitor.changes.diff import diff_texts
from newswatch.monitor.changes.normalize import content_lines, fingerprint
from newswatch.monitor.changes.render import to_text
from tests.monitor.volatile_pages import (
    BLOCK_WORDS,
    EDIT_SHOWN,
    EXPECTED,
    PAGES,
    VISITS,
    Page,
    page_html,
)


@dataclass(frozen=True)
class Visit:
    body: str  # as extracted
    detection: Detection
    diff: str


def visits_of(page: Page) -> list[Visit]:
    """Every visit of ``page`` through extraction and detection, against the versions a recorder keeps
    (the latest for the comparison, the earlier ones for reverts)."""
    kept: list[Snapshot] = []
    out = []
    for visit in range(1, VISITS + 1):
        result = extract(page_html(page, visit), page.url)
        assert isinstance(result, Extracted), (page.fixture, visit, result)
        current = Snapshot(result.title, result.body_markdown, result.author, result.date, None, result.language)
        earlier = {snapshot.fingerprint: number for number, snapshot in enumerate(kept[:-1], start=1)}
        detection = detect(kept[-1] if kept else None, current, earlier=earlier)
        if detection.outcome in ("new", "changed", "revert"):
            kept.append(current)
        out.append(Visit(result.body_markdown, detection, to_text(detection.diff) if detection.diff else ""))
    return out


@pytest.fixture(scope="module")
def scenario() -> dict[str, list[Visit]]:
    return {page.fixture: visits_of(page) for page in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.fixture)
def test_the_block_reaches_the_extracted_text(scenario: dict[str, list[Visit]], page: Page) -> None:
    """The scenario is real: the extractor keeps some of each page's block in its body on two visits or
    more (not always on every one: trafilatura drops it now and then, one more thing that must not count),
    and none of it on the visits without it."""
    kept = [visit for visit, seen in enumerate(scenario[page.fixture], start=1)
            if any(word in seen.body for word in BLOCK_WORDS)]
    assert len(kept) >= 2 and all(page.appears <= visit < page.gone for visit in kept), kept


def test_visits_differing_only_in_the_block_are_unchanged(scenario: dict[str, list[Visit]]) -> None:
    false = [(fixture, visit, seen.detection.change_class, seen.diff)
             for fixture, seen_visits in scenario.items() for visit, seen in enumerate(seen_visits, start=1)
             if visit > 1 and seen.detection.outcome != "unchanged"
             and visit not in {edit[0] for edit in EXPECTED.get(fixture, ())}]
    assert false == []
    assert all(seen[0].detection.outcome == "new" for seen in scenario.values())


@pytest.mark.parametrize("fixture", sorted(EXPECTED), ids=str)
def test_each_real_edit_is_found_with_its_class(scenario: dict[str, list[Visit]], fixture: str) -> None:
    found = [(visit, seen.detection.outcome, seen.detection.change_class)
             for visit, seen in enumerate(scenario[fixture], start=1)
             if seen.detection.outcome in ("changed", "revert")]
    assert found == list(EXPECTED[fixture])
    for visit, _outcome, change_class in EXPECTED[fixture]:
        diff = scenario[fixture][visit - 1].diff
        assert change_class == "title" or EDIT_SHOWN[fixture] in diff, diff
        assert [word for word in BLOCK_WORDS if word in diff] == [], diff


BODY = ("记者从市教育局获悉，今年全市共有335名学生获得省级奖学金，比去年增加了四成。\n\n"
        "教育局有关负责人表示，将继续加大对家庭经济困难学生的资助力度，确保每一名学生都不因家庭经济困难而失学。\n\n"
        "据介绍，奖学金评审今年首次引入社会监督，评审结果在各校公示七天，公示期间未收到异议。")
ISSUE_BLOCK = "热点推荐更新于 2025-02-11 08:15:32\n\n多地出台措施稳就业促增收\n\n广告 新春特惠 爆款家电低至五折"
ISSUE_LATER = "热点推荐更新于 2025-02-12 14:02:09\n\n两部门部署春季农业生产\n\n广告 年货节 满三百减五十"


@pytest.mark.parametrize(("before", "after"), [
    (BODY, BODY + "\n\n" + ISSUE_BLOCK),
    (BODY + "\n\n" + ISSUE_BLOCK, BODY + "\n\n" + ISSUE_LATER),
    (BODY + "\n\n（记者 胡晓蓉）", BODY + "\n\n" + ISSUE_BLOCK + "\n\n（记者 胡晓蓉）"),
    ("2025-02-11 08:15 来源：新华社\n\n" + BODY, "2025-02-12 14:02 来源：新华社\n\n" + BODY),
    (BODY, BODY + "\n\n24小时热榜 数据更新：02-11 16:29\n\n1春运返程高峰到来15838阅读\n\n2元宵节假期20576阅读"),
    (BODY, BODY + "\n\n猜你喜欢\n\n[多地出台措施稳就业促增收](https://news.example.cn/1.html)"),
    (BODY, "[广告] 品质家装 免费上门量房\n\n" + BODY),
], ids=["appears", "stamp-and-list-move-on", "credit-after-block", "head-stamp", "ranking", "links", "ad-line"])
def test_furniture_of_the_page_alone_is_no_change(before: str, after: str) -> None:
    assert fingerprint(["标题", before]) == fingerprint(["标题", after])
    assert detect(Snapshot("标题", before), Snapshot("标题", after)).outcome == "unchanged"


@pytest.mark.parametrize(("after", "change_class"), [
    (BODY.replace("335名", "353名") + "\n\n" + ISSUE_LATER, "body_edit"),
    (BODY + "\n\n更正：本文此前版本将获奖人数误写为353名，现已更正。\n\n" + ISSUE_LATER, "addition"),
    (BODY + "\n\n" + ISSUE_LATER + "\n\n更新：2025-02-12 14:00 教育局公布了获奖学生名单", "addition"),
    (BODY.replace("据介绍，奖学金评审今年首次引入社会监督，评审结果在各校公示七天，公示期间未收到异议。", "")
     + "\n\n" + ISSUE_LATER, "deletion"),
], ids=["prose-number", "appended-correction", "editorial-update", "deleted-paragraph"])
def test_edits_around_the_block_stay_found(after: str, change_class: str) -> None:
    before = BODY + "\n\n" + ISSUE_BLOCK
    detection = detect(Snapshot("标题", before), Snapshot("标题", after))
    assert (detection.change_class or detection.outcome) == change_class
    if detection.diff is not None:
        assert [word for word in ("热点推荐", "广告", "稳就业", "春季农业") if word in to_text(detection.diff)] == []


def test_a_body_of_furniture_only_is_kept_whole() -> None:
    bulletin = "热点推荐更新于 2025-02-11 08:15:32\n\n多地出台措施稳就业促增收\n\n广告 新春特惠"
    assert content_lines(bulletin) == bulletin.split("\n\n")
    assert content_lines("2月11日 08:15 新闻联播") == ["2月11日 08:15 新闻联播"], "a title that is a stamp stays"


def test_stamps_inside_sentences_are_text() -> None:
    text = "发布会于2025-02-11 08:15举行，会上公布了335名获奖学生的名单。"
    assert content_lines(text) == [text]
    assert fingerprint([text]) != fingerprint([text.replace("08:15", "09:15")])


def test_a_block_that_comes_and_goes_takes_no_stable_line_along() -> None:
    """The lines after a block are cut with it; in the fetch without the block they stay; compared as a
    pair, what both fetches have stays in both (the diff of `newswatch diff` and the web view too)."""
    tail = "\n\n【纠错】\n\n【责任编辑:张樵苏\n】\n\n原创版权禁止商业转载 授权>>"
    without, with_block = BODY + tail, BODY + "\n\n" + ISSUE_BLOCK + tail
    assert detect(Snapshot("标题", without), Snapshot("标题", with_block)).outcome == "unchanged"
    assert diff_texts(without, with_block).is_empty
    edited = detect(Snapshot("标题", without), Snapshot("标题", with_block.replace("【纠错】", "【纠错】 已更正")))
    assert edited.outcome == "changed", "a line after the block that changes is still a change"
