"""Pages that carry a volatile block of their own, built from real pages (tests/fixtures/zh_news, original
encodings kept; provenance in tests/fixtures/zh_news/README.md and index.json).

Each page gets, after the end of its article, a block no other page shares (so no site template can learn
it), rendered as Chinese portals render it, and different on every visit:

    lines   <p>热点推荐更新于 2025-02-12 07:13:29</p>, link paragraphs, <p>广告 ...</p>   (the issue's page)
    portal  a "hot-recommend" div: title and update-time spans, a <ul> of links, an ad div
    rank    a 24小时热榜 with 数据更新：MM-DD HH:MM, each link followed by its reading count
    news    今日推荐 · 更新时间：2025年02月12日 07:13, link paragraphs, <p>推广 ...</p>

The block appears on the page's first visit or later (``appears``) and may vanish again (``gone``). Its
time stamp, hot list, counters and ad change on every visit. Real edits are mixed in (``EXPECTED``):

    visit 2   chinadaily: a correction appended (the visit its block appears)   -> addition
    visit 3   yndaily: a two-character number change (14家 -> 41家)            -> body_edit
              people.com.cn: the headline rewritten                            -> title
    visit 4   chinadaily: the correction withdrawn                             -> revert (deletion)
              gmw.cn: a paragraph deleted                                      -> deletion
    visit 5   yndaily: the number back to 14家                                 -> revert (body_edit)
              henandaily.cn: the block removed again; nothing else             -> (nothing)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.crawler.fixture_site import fixture_bytes
from tests.monitor.template_site import encoding_of

VISITS = 5


@dataclass(frozen=True)
class Page:
    fixture: str
    url: str
    end: str  # verbatim text at the end of the article: the block follows its element
    style: str
    appears: int  # the first visit with the block
    gone: int = VISITS + 1  # the first visit without it again


PAGES = (
    Page("cwced-f70d9c97", "https://military.cnr.cn/zgjq/20220101/t20220101_525704567.html", "敏捷高效的工作制度。",
         "rank", 2),  # followed by the editor, copyright and contact lines
    Page("n4k-chinese_article", "http://www.bbc.co.uk/zhongwen/simp/chinese_news/2012/12/121210_hongkong_politics.shtml",
         "提出不信任动议。", "news", 2),
    Page("n4k-chinese_article_002", "https://www.news.cn/fortune/2023-11/17/c_1129981476.htm",
         "推动中药材供需总体平衡。", "portal", 1),  # followed by 【纠错】【责任编辑:张樵苏】
    Page("cwced-91bdf33e", "https://www.henandaily.cn/content/2022/0120/341001.html", "（常书香 马丹阳 ）", "lines", 3,
         gone=5),  # a stamp line of its own at the head: 2022.01.20 16:31 来源：河南日报客户端
    Page("cwced-9890f458", "https://yndaily.yunnan.cn/content/202201/18/content_54563.html", "（记者 胡晓蓉）",
         "lines", 2),
    Page("n4k-chinese_article_001", "https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html",
         "（编辑：严玉洁 王辉）", "rank", 2),
    Page("cwced-b26fbb82", "http://js.people.com.cn/n2/2022/0212/c360301-35131466.html",
         "开学报到前完成第一次常态化核酸检测工作。", "news", 1),  # followed by □ 本报记者 葛灵丹, a share bar
    Page("readability-gmw", "https://tech.gmw.cn/2017-03/21/content_24020126.htm", "学人栏目组 胖胖", "news", 3),
)
BY_FIXTURE = {page.fixture: page for page in PAGES}

EXPECTED = {  # page -> (visit, outcome, change class) of each real edit, in order
    "n4k-chinese_article_001": ((2, "changed", "addition"), (4, "revert", "deletion")),
    "cwced-9890f458": ((3, "changed", "body_edit"), (5, "revert", "body_edit")),
    "cwced-b26fbb82": ((3, "changed", "title"),),
    "readability-gmw": ((4, "changed", "deletion"),),
}
# (page, visits, old, new): a verbatim replacement made on those visits
EDITS = (
    ("n4k-chinese_article_001", (2, 3), "并采取更多令人安心的行动。</p>",
     "并采取更多令人安心的行动。</p><p>更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。特此说明。</p>"),
    ("cwced-9890f458", (3, 4), "新增省级绿色工厂14家", "新增省级绿色工厂41家"),
    ("cwced-b26fbb82", (3, 4, 5), "江苏多地要求中高风险地区师生员工暂不返校", "江苏：中高风险地区师生员工暂缓返校"),
    ("readability-gmw", (4, 5), "为此，国际空间站上的宇航员甚至没有被提供含有酒精的产品，例如漱口水、香水或须后水。"
     "如果在国际空间站上饮酒狂欢，溢出的啤酒也可能存在损坏设备的风险。", ""),
)
# what each edit shows in its diff
EDIT_SHOWN = {"n4k-chinese_article_001": "更正：本文此前版本将会晤地点误写为洛杉矶", "cwced-9890f458": "绿色工厂",
              "cwced-b26fbb82": "暂缓返校",
              "readability-gmw": "国际空间站上的宇航员甚至没有被提供含有酒精的产品"}

HOT = ("春运返程高峰到来 多地铁路加开夜间列车", "元宵节假期全国接待游客同比增长", "多地出台措施稳就业促增收",
       "寒潮蓝色预警发布 中东部气温将下降", "新能源汽车下乡活动启动 覆盖百余款车型", "两部门部署春季农业生产",
       "全国首条跨海高铁进入联调联试", "多所高校公布研究生复试分数线")
ADS = ("新春特惠 爆款家电低至五折", "年货节 满三百减五十", "驾校春季班火热报名中", "品质家装 免费上门量房")
BLOCK_WORDS = ("热点推荐", "24小时热榜", "今日推荐", "广告", "推广", "阅读", *HOT, *ADS)  # none may reach a diff


def stamp(visit: int) -> datetime:
    """The block's update time at a visit: a new one every visit."""
    return datetime(2025, 2, 10, 6, 2, 17) + timedelta(days=visit - 1, hours=visit * 5 % 11, minutes=visit * 13,
                                                         seconds=visit * 29)


def _links(visit: int, count: int, *, counts: bool = False) -> list[str]:
    items = []
    for i in range(count):
        title = HOT[(visit + 2 * i) % len(HOT)]
        read = f" <span class=\"num\">{(visit * 7919 + i * 104729) % 99991}阅读</span>" if counts else ""
        items.append(f'<a href="https://news.example.cn/{visit}{i}.html" target="_blank">{title}</a>{read}')
    return items


def block_html(style: str, visit: int) -> str:
    """The page's own volatile block at a visit."""
    when, ad = stamp(visit), ADS[visit % len(ADS)]
    if style == "lines":
        links = "".join(f"<p>{item}</p>" for item in _links(visit, 3))
        return f"<p>热点推荐更新于 {when:%Y-%m-%d %H:%M:%S}</p>{links}<p>广告 {ad}</p>"
    if style == "portal":
        links = "".join(f"<li>{item}</li>" for item in _links(visit, 4))
        return (f'<div class="hot-recommend"><div class="hd"><span class="tit">热点推荐</span>'
                f'<span class="time">更新于 {when:%Y-%m-%d %H:%M:%S}</span></div><ul>{links}</ul>'
                f'<div class="ad"><a href="https://ad.example.cn/c?v={visit}">{ad}</a><span>广告</span></div></div>')
    if style == "rank":  # a hot list drawn by script: no <a>, the titles open on click
        rows = "".join(f'<p><span class="idx">{i + 1}</span><span class="t" data-id="{visit}{i}">'
                       f'{HOT[(visit + 2 * i) % len(HOT)]}</span>'
                       f'<span class="num">{(visit * 7919 + i * 104729) % 99991}阅读</span></p>' for i in range(3))
        return f'<div class="rank-list"><p>24小时热榜 数据更新：{when:%m-%d %H:%M}</p>{rows}</div>'
    assert style == "news", style
    links = "".join(f"<p>{item}</p>" for item in _links(visit, 2))
    return f"<p>今日推荐 · 更新时间：{when:%Y年%m月%d日 %H:%M}</p>{links}<p>推广 {ad}</p>"


def _after_element(html: str, text: str, insert: str) -> str:
    """``html`` with ``insert`` after the (last) element holding ``text`` (closed and reopened there)."""
    assert text in html, text
    at = html.rindex(text) + len(text)
    ends = [found for tag in ("</p>", "</div>", "<br") if (found := html.lower().find(tag, at)) >= 0]
    at = min(ends) if ends else at
    return html[:at] + "</p>" + insert + "<p>" + html[at:]


def page_html(page: Page, visit: int) -> str:
    """The page as served at a visit (decoded text)."""
    html = fixture_bytes(page.fixture).decode(encoding_of(page.fixture))
    for fixture, visits, old, new in EDITS:
        if fixture == page.fixture and visit in visits:
            assert old in html, (fixture, old)
            html = html.replace(old, new)
    if page.appears <= visit < page.gone:
        html = _after_element(html, page.end, block_html(page.style, visit))
    return html
