"""A loopback news site whose page furniture changes on every visit, built from real pages
(tests/fixtures/zh_news, original encodings kept).

Every page gets the site's template after the end of its article text, as real sites render it and as
the extractor keeps it: a "24小时热点" heading with its update time and a hot list whose headlines
rotate, related links that change, an ad, a footer with a visit counter. The template differs on every
visit (``template_html``); the same on every page of one visit.

Eleven *noise* pages (eleven sites) change only there. Four *edit* pages also carry real edits:

    visit 2   chinadaily: a correction appended                     -> addition
    visit 3   163.com: a number changed (9488 -> 9688 new cases)    -> body_edit
              ifeng.com: the headline rewritten                     -> title
    visit 4   chinadaily: the correction withdrawn (back to visit 1) -> revert (deletion)
              gmw.cn: a paragraph deleted                           -> deletion
    visit 5   nothing but the template
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.crawler.fixture_site import ZH_NEWS, fixture_bytes
from tests.crawler.site_server import SiteServer

VISITS = 5


@dataclass(frozen=True)
class Page:
    fixture: str
    end: str  # verbatim text at the end of the article in the page: the template follows its element


NOISE = (
    Page("wechatsogou-backgroud-image", "迎分享到朋友圈~"),  # mp.weixin.qq.com
    Page("readability-youth", "”卢宇恳切地说。"),  # youth.cn
    Page("n4k-chinese_article", "提出不信任动议。"),  # bbc.co.uk/zhongwen
    Page("readability-qq", "转载、摘编等。】"),  # qq.com
    Page("cwced-500b350d", "祝大会圆满成功！"),  # bynr.gov.cn
    Page("cwced-b26fbb82", "分享让更多人看到"),  # people.com.cn
    Page("cwced-e8847578", "22年1月27日"),  # jl.gov.cn
    Page("cwced-3e1af229", "62523496"),  # shjnet.cn
    Page("cwced-9890f458", "（记者 胡晓蓉）"),  # yndaily.com
    Page("cwced-91bdf33e", "书香 马丹阳 ）"),  # henandaily.cn
    Page("cwced-f70d9c97", "56807194"),  # cnr.cn
)
CHINADAILY = Page("n4k-chinese_article_001", "（编辑：严玉洁 王辉）")
NETEASE = Page("gerapy-netease_news1", "经济活动开放或限制措施。")
IFENG = Page("gerapy-ifeng_news1", "你期待吗？")
GMW = Page("readability-gmw", "学人栏目组 胖胖")
EDITS = (CHINADAILY, NETEASE, IFENG, GMW)

CORRECTION_AFTER = "并采取更多令人安心的行动。</p>"
CORRECTION = "<p>更正：本文此前版本将会晤地点误写为洛杉矶，现已更正为旧金山。特此说明。</p>"
NUMBER_OLD, NUMBER_NEW = "今日统计再新增9488例", "今日统计再新增9688例"
OLD_HEADLINE = "故宫，你低调点！故宫：不，实力已不允许我继续低调"
NEW_HEADLINE = "故宫首开元宵夜场：紫禁城上元之夜灯火璀璨"
DELETED = ("为此，国际空间站上的宇航员甚至没有被提供含有酒精的产品，例如漱口水、香水或须后水。"
           "如果在国际空间站上饮酒狂欢，溢出的啤酒也可能存在损坏设备的风险。")
EXPECTED = {  # page -> (visit, outcome, change class) of each real edit, in order
    CHINADAILY.fixture: ((2, "changed", "addition"), (4, "revert", "deletion")),
    NETEASE.fixture: ((3, "changed", "body_edit"),),
    IFENG.fixture: ((3, "changed", "title"),),
    GMW.fixture: ((4, "changed", "deletion"),),
}

HOT = (
    "多地发布暴雨橙色预警 防汛应急响应提升", "央行宣布降准0.25个百分点 释放长期资金",
    "高考成绩今起陆续放榜 各地公布查分渠道",
    "国产大飞机开通第三条定期商业航线", "夏粮收购进度过半 主产区价格总体平稳", "文旅部发布暑期出游安全提示",
    "全国铁路暑运今日启动 预计发送旅客9亿人次", "新一轮消费券今晚开抢 覆盖餐饮零售", "供应链促进博览会在京开幕",
    "多家银行下调存款利率 三年期跌破2%",
)
ADS = ("夏日清凉特惠 全场空调低至五折", "新车上市 到店试驾赢好礼", "暑期英语集训营火热报名中",
       "家装节 满一万减两千", "手机以旧换新 最高补贴八百元")


def template_html(visit: int) -> str:
    """The site's furniture at one visit: it changes every time."""
    hot = "".join(f"<p>{i + 1}. {HOT[(2 * visit + i) % len(HOT)]} {8 + i}:{(7 * visit + 11 * i) % 60:02d}</p>"
                  for i in range(5))
    related = "".join(f'<p><a href="/related/{visit}-{i}.html">{HOT[(3 * visit + i) % len(HOT)]}</a></p>'
                      for i in range(3))
    return (f'<div class="side"><h3>24小时热点（更新于 06-0{visit} {9 + visit}:{13 * visit % 60:02d}）</h3>'
            f'<div class="hot">{hot}</div><h3>相关阅读</h3><div class="related">{related}</div>'
            f'<p class="ad">广告 {ADS[visit % len(ADS)]}</p>'
            f'<p class="footer">本站访问量 {1_234_567 + 9_876 * visit} 次 · 版权所有 © 2025 环球快讯网 · '
            f"京ICP备12345678号</p>"
            f"</div>")


def encoding_of(fixture: str) -> str:
    index = {p["id"]: p for p in json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8"))}
    return "gb18030" if index[fixture]["actual_encoding"].startswith("gb18030") else "utf-8"


def _after_element(html: str, text: str, insert: str) -> str:
    """``html`` with ``insert`` placed after the (last) element that holds ``text`` (closed and reopened
    there; an earlier copy of the text may sit in a script)."""
    assert text in html, text
    at = html.rindex(text) + len(text)
    ends = [found for tag in ("</p>", "</div>", "<br") if (found := html.lower().find(tag, at)) >= 0]
    at = min(ends) if ends else at
    return html[:at] + "</p>" + insert + "<p>" + html[at:]


def _edited(page: Page, html: str, visit: int) -> str:
    if page is CHINADAILY and visit in (2, 3):
        assert html.count(CORRECTION_AFTER) == 1
        html = html.replace(CORRECTION_AFTER, CORRECTION_AFTER + CORRECTION)
    if page is NETEASE and visit >= 3:
        assert html.count(NUMBER_OLD) == 1
        html = html.replace(NUMBER_OLD, NUMBER_NEW)
    if page is IFENG and visit >= 3:
        html = html.replace(OLD_HEADLINE, NEW_HEADLINE)
    if page is GMW and visit >= 4:
        assert html.count(DELETED) == 1
        html = html.replace(DELETED, "")
    return html


def page_bytes(page: Page, visit: int) -> bytes:
    encoding = encoding_of(page.fixture)
    html = _edited(page, fixture_bytes(page.fixture).decode(encoding), visit)
    return _after_element(html, page.end, template_html(visit)).encode(encoding)


def path(page: Page) -> str:
    return f"/2025/06/01/{page.fixture}.html"


def build_visit(server: SiteServer, visit: int) -> None:
    pages = (*NOISE, *EDITS)
    links = "".join(f'<li><a href="{path(p)}">{p.fixture}</a></li>' for p in pages)
    home = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>环球快讯网</title></head>' \
           f"<body><ul>{links}</ul></body></html>"
    server.add("/", home.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})
    server.add_robots("User-agent: *\nAllow: /\n")
    for page in pages:
        charset = "gbk" if encoding_of(page.fixture) == "gb18030" else "utf-8"
        server.add(path(page), page_bytes(page, visit), headers={"Content-Type": f"text/html; charset={charset}"},
                   gzip=True)
