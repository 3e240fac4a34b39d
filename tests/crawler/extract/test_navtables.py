"""crawler.extract.navtables: the chrome rows of table-layout pages, on Markdown as trafilatura writes it.

The inputs are the opening lines trafilatura gives for real 2005 pages of tests/fixtures/zh_news
(``cwced-ecbe8d49``: biz.163.com, ``cwced-c3f7d079``: qianlong.com), shortened, and constructed
cases for what must stay untouched (a data table an article opens with, a lead, a heading).
"""

from __future__ import annotations

import pytest

from newswatch.crawler.extract.navtables import headline_row, is_breadcrumb, is_menu, strip_leading_navigation

NETEASE_2005 = """|  |  |  |  |

|  | 网易首页--> 主频道--> 商业·能源--> 电力 |

|  |  | 利益集团左右电力体制改革 华东上调超发电价 |  |
|  |  |  |  |

| 网易商业报道 http://biz.163.com |  | 查看商业部落 |  |  |
| 2005-01-14 17:02:30 来源: 21世纪经济报道 |  | 发表评论 |  | 查看评论 |

|  |  | 一个简单的推断是：超发电价的上调，实际上就意味着上网电价上调。 言茂松认为，电力体制改革偏离了初衷。 |
| 下一段 |"""

QIANLONG_2005 = """| 首页 组织机构 工作动态 纲要规划 国际项目 理论文摘 为您服务 文献资料 |

| 北京 >> 走近北京市妇女儿童工作委员会 >> 首页 >> 研究集萃 |

| 　　**北京市儿童心理素质发展现状调查研究报告** 为了贯彻落实北京市儿童发展规划，\
进一步了解全市儿童目前的心理发展现状，开展了本次调查。 |"""


@pytest.mark.parametrize(("markdown", "want"), [
    (NETEASE_2005, "一个简单的推断是：超发电价的上调，实际上就意味着上网电价上调。 "
                   "言茂松认为，电力体制改革偏离了初衷。\n| 下一段 |"),
    (QIANLONG_2005, "**北京市儿童心理素质发展现状调查研究报告** 为了贯彻落实北京市儿童发展规划，"
                    "进一步了解全市儿童目前的心理发展现状，开展了本次调查。"),
    ("当前位置：洛阳\n\n# 图说洛阳：剪廉洁窗花\n\n正文第一段。", "# 图说洛阳：剪廉洁窗花\n\n正文第一段。"),
], ids=["163-2005", "qianlong-2005", "breadcrumb-then-heading"])
def test_chrome_before_the_first_prose_is_dropped(markdown: str, want: str) -> None:
    assert strip_leading_navigation(markdown) == want


@pytest.mark.parametrize("markdown", [
    "| 品名 | 产地 | 价格 |\n|---|---|---|\n| 苹果 | 烟台 | 5元 |\n\n今年水果价格总体平稳，苹果、梨供应充足。",
    "【新春走基层】\n\n光明日报记者 王建宏\n\n| 首页 | 新闻 | 体育 |\n\n土豆，听名字就“土”得掉渣。可这几天不一样。",
    "# 标题\n\n| 首页 | 新闻 | 体育 |\n\n正文，第一句话在这里，然后是第二句。",
    "| 首页 | 新闻 | 体育 |",
    "31-летний Лукаш Подольски – третий по количеству матчей за сборную Германии. В футболке он провел 129 матчей.",
], ids=["data-table", "lead-first", "heading-first", "no-prose", "cyrillic-prose"])
def test_bodies_without_leading_chrome_are_unchanged(markdown: str) -> None:
    assert strip_leading_navigation(markdown) == markdown


def test_a_row_of_links_is_a_menu_bar() -> None:
    markdown = "| 全国版 | 安徽省 | 北京市 |\n\n| 汤先生夫妇二人，虽说刚三十出头，但已有存款。 |"
    assert strip_leading_navigation(markdown, links=frozenset({"全国版", "安徽省", "北京市"})) == (
        "汤先生夫妇二人，虽说刚三十出头，但已有存款。")
    assert strip_leading_navigation(markdown) == markdown  # short cells that are no links: a data table


def test_a_row_repeating_the_title_is_chrome() -> None:
    markdown = ("| 拿出10万元投资房产 |\n|---|\n| http://house.sina.com.cn 2005年03月31日 |\n"
                "| 汤先生夫妇二人，虽说刚三十出头，但已有存款。 |")
    assert strip_leading_navigation(markdown, "拿出10万元投资房产") == "汤先生夫妇二人，虽说刚三十出头，但已有存款。"


@pytest.mark.parametrize(("text", "chrome"), [
    ("首页 - 新闻 - 北京 - 体育 - 娱乐", True),
    ("首页 | 滚动 | 国内 | 国际", True),
    ("第一章│第二章│第三章", True),
    ("当前位置：首页->军事技术", True),
    ("首页 > 产经资讯 > 商贸 > 正文", True),
    ("利益集团左右电力体制改革 华东上调超发电价", False),
    ("Home News Sport", False),
], ids=["dashes", "pipes", "box-bars", "label", "arrows", "headline", "latin-words"])
def test_menu_and_breadcrumb(text: str, chrome: bool) -> None:
    assert (is_menu(text) or is_breadcrumb(text)) == chrome


def test_headline_row_is_the_last_plain_row_before_the_text() -> None:
    markdown = ("| 首页 - 新闻 - 北京 - 体育 |  |\n| 当前位置：首页->北京 |  |\n\n| 今年新建改造公交专用道一百公里 |\n"
                "| 2005-03-02 07:35:12 来源：京城晨报 |\n| 本报讯，昨天上午，市交通委召开新闻发布会宣布。 |")
    assert headline_row(markdown) == "今年新建改造公交专用道一百公里"
    assert headline_row("正文第一段，没有表格。") is None
