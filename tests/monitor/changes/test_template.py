"""Site templates: the pure core (learning, stripping, inheritance) and the per-site counts in storage
(SQLite and PostgreSQL), which must agree with learning from the texts themselves."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler.extract.topic import Topic
from newswatch.crawler.items import FetchedArticle
from newswatch.monitor.changes.detect import DetectOptions
from newswatch.monitor.changes.record import ChangeRecorder
from newswatch.monitor.changes.template import SITE_KEY, Template, inherit, learn, learn_from_texts, line_keys, strip
from newswatch.monitor.changes.template_store import site_counts
from newswatch.storage.corpus.folder import Corpus
from newswatch.storage.engine import make_engine, session_factory, transaction
from newswatch.storage.migrate import upgrade
from newswatch.storage.models import ArticleLine, TemplateLine

TEXT = ("香港行政长官梁振英在各方压力下就其大宅的违章建筑问题公开道歉。\n\n"
        "他表示，事件处理不当，令市民失望，愿意承担责任。\n\n"
        "立法会部分议员表示，将在下周会议上提出不信任动议。")
OTHER = ("国家卫生健康委表示，短缺药品信息监测共享正在多维度推进。\n\n"
         "多部门加强医药领域监管执法，保障临床用药需求。")
SIDEBAR = ("### 24小时热点（更新于 06-0{v} 1{v}:2{v}）\n\n1. 多地发布暴雨橙色预警 {v}\n\n### 相关阅读\n\n"
           "广告 家装节 满{v}万减两千")
HOT = "### 24小时热点（更新于 06-01 11:21）"


def page(text: str, visit: int = 1) -> str:
    return text + "\n\n" + SIDEBAR.format(v=visit)


PLACES = ("洛阳", "昆明", "长春", "南京", "成都", "西宁")
TOPICS = ("农贸市场改造", "老旧小区加装电梯", "夜间公交线路", "社区食堂", "中小学课后服务", "河道治理")


def siblings(count: int) -> list[str]:
    """Articles of one site: each its own text, all with the site's sidebar."""
    return [page(f"{PLACES[n]}的{TOPICS[n]}近日有了新进展，记者走访了当地的居民和商户，听取了他们的意见。\n\n"
                 f"{PLACES[n]}有关部门表示，{TOPICS[n]}将分阶段推进，专家对此发表了看法并提出了若干建议。")
            for n in range(count)]


def test_too_few_siblings_learn_nothing() -> None:
    assert learn_from_texts(siblings(2)).keys == frozenset()
    assert strip(page(TEXT), learn_from_texts(siblings(2))) == page(TEXT)


def test_lines_shared_by_enough_siblings_are_template_and_text_is_not() -> None:
    template = learn_from_texts(siblings(3))
    assert line_keys(HOT) <= template.keys, "digits are masked: the update time does not matter"
    assert not line_keys(TEXT) & template.keys


@pytest.mark.parametrize("visit", [1, 2, 7], ids=lambda v: f"visit-{v}")
def test_the_tail_is_cut_at_the_end_of_the_article_whatever_the_furniture_says(visit: int) -> None:
    template = learn_from_texts(siblings(3))
    assert strip(page(TEXT, visit), template).strip() == TEXT


def test_a_correction_before_the_furniture_is_kept() -> None:
    corrected = TEXT + "\n\n更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。"
    assert strip(page(corrected, 3), learn_from_texts(siblings(4))).strip() == corrected


def test_a_short_correction_after_the_furniture_is_kept() -> None:
    """A short line without a full stop looks like furniture, unless it is the newsroom speaking."""
    stripped = strip(page(TEXT, 2) + "\n\n更正：会晤地点应为旧金山", learn_from_texts(siblings(4)))
    assert "更正：会晤地点应为旧金山" in stripped


def test_a_template_line_alone_inside_the_text_is_kept() -> None:
    """On this site "相关阅读" is furniture; inside this article's text it is its own line."""
    template = learn_from_texts(siblings(3))
    lines = TEXT.split("\n\n")
    body = "\n\n".join([lines[0], "相关阅读", lines[1], lines[2]])
    assert "相关阅读" in strip(page(body), template)


def test_a_body_made_only_of_template_lines_is_compared_whole() -> None:
    """Articles that differ only in their numbers (a daily price bulletin) share every line key: the template
    would take the whole article away, so the body is kept as it is and a new figure stays a change."""
    bulletin = "今日92号汽油价格为{n}.{n}元每升，较昨日上涨{n}分。\n\n数据来源：发改委价格监测中心{n}号公告。"
    template = learn_from_texts([bulletin.format(n=n) for n in range(1, 6)])
    assert template.keys  # every line of the bulletin is template on the site
    today = bulletin.format(n=7)
    assert strip(today, template) == today


def test_the_template_never_leaves_a_real_page_near_empty() -> None:
    """Copies of one page that differ in a short sentence: stripping would leave only that sentence, which
    change detection would call a near-empty page; the body is compared whole instead."""
    copy = TEXT + "\n\n" + OTHER + "\n\n{place}市今日发布通报。"
    template = learn_from_texts([copy.format(place=place) for place in PLACES[:5]])
    today = copy.format(place=PLACES[5])
    assert strip(today, template) == today


def test_the_head_block_is_cut() -> None:
    texts = ["首页 > 新闻 > 正文\n\n" + text for text in siblings(3)]
    assert strip("首页 > 新闻 > 正文\n\n" + TEXT, learn_from_texts(texts)).strip() == TEXT


def test_learning_does_not_count_the_article_itself() -> None:
    counts = {SITE_KEY: 4, "a": 3, "b": 4}
    assert learn(counts, own={"a", "b", SITE_KEY}).keys == {"b"}
    assert learn(counts, own={SITE_KEY}).keys == {"a", "b"}
    assert learn({SITE_KEY: 3, "a": 3}, own={SITE_KEY, "a"}).keys == frozenset(), "too few others"


def test_a_line_held_by_enough_pages_at_once_stays_template_while_they_move_on() -> None:
    counts = {SITE_KEY: 6, "dropped": 1, "rare": 1}
    mine = {SITE_KEY, "dropped", "rare"}
    assert learn(counts, mine, peaks={"dropped": 6, "rare": 3}).keys == {"dropped"}, \
        "a peak of 3 may count the page itself: 2 others"
    assert learn(counts, mine).keys == frozenset(), "without peaks, only today's counts"


def test_rotated_furniture_inherits_the_template_it_replaces() -> None:
    before = TEXT + "\n\n广告 夏日清凉特惠 全场空调低至五折"
    after = TEXT + "\n\n广告 新车上市 到店试驾赢好礼"
    template = Template(line_keys("广告 夏日清凉特惠 全场空调低至五折"))
    assert inherit(before, after, template).keys == line_keys("广告 新车上市 到店试驾赢好礼")
    edited = TEXT + "\n\n更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。"
    assert inherit(before, edited, template).keys == frozenset(), "a sentence does not look like furniture"


def fetched(url: str, body: str) -> FetchedArticle:
    meta = {"language": "zh", "content_type": "text/html; charset=utf-8"}
    return FetchedArticle(url, url, None, "标题", body, meta, "f", "trafilatura", "1", b"<html/>", 200, None, None)


def test_site_counts_are_kept_incrementally_and_agree_with_the_texts(sessions: sessionmaker[Session],
                                                                     tmp_path: Path) -> None:
    recorder = ChangeRecorder(Topic(()), Corpus(tmp_path), DetectOptions())
    now = datetime(2025, 6, 1, tzinfo=UTC)
    bodies = {f"https://news.example.cn/a/{n}.html": text for n, text in enumerate(siblings(5))}
    bodies["https://other.example.org/b.html"] = page(OTHER + "\n\n" + TEXT)
    outcomes: dict[int, list[str]] = {1: [], 2: []}
    for visit in (1, 2):
        for url, body in list(bodies.items()):
            if visit == 2:  # the hot list moved on: one line's key leaves every page, another arrives
                bodies[url] = body.replace("多地发布暴雨橙色预警", "高考成绩今起陆续放榜")
            with transaction(sessions) as session:
                recorded = recorder.fetched(session, fetched(url, bodies[url]), now + timedelta(hours=visit))
                outcomes[visit].append(recorded.outcome)
    # one article is no site to learn from, but its hot list is still no part of it: the page's own volatile
    # block (a stamp line and what follows it, monitor.changes.volatile)
    assert outcomes == {1: ["new"] * 6, 2: ["unchanged"] * 6}
    texts = [body for url, body in bodies.items() if "news.example.cn" in url]
    expected: dict[str, int] = {}
    for text in texts:
        for key in (*line_keys(text), SITE_KEY):
            expected[key] = expected.get(key, 0) + 1
    with sessions() as session:
        stored = {row.line_hash: row.articles for row in session.execute(
            select(TemplateLine).where(TemplateLine.site == "news.example.cn")).scalars()}
        assert stored == expected, "the hot-list line that moved on is forgotten, the new one counted"
        assert site_counts(session, "other.example.org", line_keys(HOT))[SITE_KEY] == 1, "sites are apart"
        contributed = session.execute(select(ArticleLine)).scalars().all()
        assert len(contributed) == sum(len(line_keys(text)) + 1 for text in bodies.values())
    assert learn(expected).keys == learn_from_texts(texts).keys


@pytest.mark.postgres
def test_concurrent_fetches_of_one_site_keep_the_counts_exact(postgres_url: str, tmp_path: Path) -> None:
    """Six fetches of one site at once, twice (the hot list moving on in between): no deadlock, no lost
    update, the counts are those of the texts."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = session_factory(engine)
    recorder = ChangeRecorder(Topic(()), Corpus(tmp_path), DetectOptions())
    texts = siblings(6)
    urls = [f"https://news.example.cn/c/{n}.html" for n in range(len(texts))]

    def fetch(job: tuple[str, str, int]) -> str:
        url, body, hour = job
        with transaction(sessions) as session:
            return recorder.fetched(session, fetched(url, body), datetime(2025, 6, 1, hour, tzinfo=UTC)).outcome

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        first = list(pool.map(fetch, [(url, body, 1) for url, body in zip(urls, texts, strict=True)]))
        texts = [body.replace("多地发布暴雨橙色预警", "高考成绩今起陆续放榜") for body in texts]
        second = list(pool.map(fetch, [(url, body, 2) for url, body in zip(urls, texts, strict=True)]))
    assert first == ["new"] * len(texts) and len(second) == len(texts)
    expected: dict[str, int] = {}
    for text in texts:
        for key in (*line_keys(text), SITE_KEY):
            expected[key] = expected.get(key, 0) + 1
    with sessions() as session:
        stored = {row.line_hash: row.articles for row in session.execute(select(TemplateLine)).scalars()}
    engine.dispose()
    assert stored == expected


NEWS = tuple(f"{PLACES[n]}的{TOPICS[n]}近日有了新进展，记者走访了当地的居民和商户，听取了他们的意见。\n\n"
             f"{PLACES[n]}有关部门表示，{TOPICS[n]}将分阶段推进，专家对此发表了看法并提出了若干建议。"
             for n in range(len(PLACES)))
HEADLINES = ("多地发布暴雨橙色预警 防汛应急响应提升", "央行宣布降准0.25个百分点 释放长期资金",
             "高考成绩今起陆续放榜 各地公布查分渠道", "国产大飞机开通第三条定期商业航线",
             "夏粮收购进度过半 主产区价格总体平稳", "文旅部发布暑期出游安全提示",
             "全国铁路暑运今日启动 预计发送旅客9亿人次", "新一轮消费券今晚开抢 覆盖餐饮零售")


def rotated(text: str, visit: int) -> str:
    """An article with the site's hot list as it stood at ``visit``, as the extractor keeps qq.com's (no
    heading: numbered headlines with their times, then an ad): two headlines leave its top, two arrive at
    its bottom, every time and the ad change."""
    hot = "\n\n".join(f"{i + 1}\\. {HEADLINES[(2 * visit + i) % len(HEADLINES)]} {8 + i}:{7 * visit % 60:02d}"
                      for i in range(4))
    return f"{text}\n\n{hot}\n\n广告 {('夏日清凉特惠 全场空调低至五折', '新车上市 到店试驾赢好礼')[visit % 2]}"


ORDERS = {  # where the watched article is recorded among its site's six, at visits 1, 2 and 3
    "first-then-last": (0, 5, 0), "last-then-first": (5, 0, 5), "first-always": (0, 0, 0),
    "last-always": (5, 5, 5), "middle-then-last": (2, 5, 1),
}


@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
def test_a_rotated_hot_list_is_no_change_whatever_the_order_pages_are_recorded_in(
        sessions: sessionmaker[Session], tmp_path: Path, order: tuple[int, int, int]) -> None:
    """The template a site's pages share does not depend on which page a run records first: the lines a
    hot list dropped stay furniture of the pages still showing them (CI saw a rotated hot list reported
    as a deletion when the watched page was recorded first on one visit and last on the next)."""
    recorder = ChangeRecorder(Topic(()), Corpus(tmp_path), DetectOptions())
    urls = [f"https://news.example.cn/r/{n}.html" for n in range(len(NEWS))]
    watched = urls[0]
    outcomes = []
    for visit, place in enumerate(order, start=1):
        others = urls[1:]
        for url in [*others[:place], watched, *others[place:]]:
            with transaction(sessions) as session:
                recorded = recorder.fetched(session, fetched(url, rotated(NEWS[urls.index(url)], visit)),
                                            datetime(2025, 6, 1, visit, tzinfo=UTC))
            if url == watched:
                outcomes.append(recorded.outcome)
    assert outcomes == ["new", "unchanged", "unchanged"]
