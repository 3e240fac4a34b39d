"""crawler.extract.publisher and the corpus ``source`` key: the publisher's name, never a copyright notice.

Every page of tests/fixtures/zh_news is extracted as the crawler extracts it, and the ``source`` its
corpus document would get (``crawler.pipeline.store.corpus_source``) is listed in the test output (``-s``) and
checked: no copyright line, no host with a port, WeChat articles named by their account.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.publisher import PublisherCandidates, choose_publisher, is_copyright, publisher_name
from newswatch.crawler.pipeline.store import corpus_source
from tests.crawler.test_encoding import PAGES, crawler_text, fixture_url

CANDIDATES = [
    ("jsonld-first", PublisherCandidates(jsonld=("人民网",), og_site_name="人民网首页"), "人民网"),
    ("og-site-name", PublisherCandidates(og_site_name="RFI - 法国国际广播电台"), "RFI - 法国国际广播电台"),
    ("application-name-over-copyright",
     PublisherCandidates(application_name="查报纸网", copyright="2001-2013 Comsenz Inc."),
     "查报纸网"),
    ("title-suffix", PublisherCandidates(title="美国新冠肺炎确诊病例超278万例_网易新闻", copyright="网易版权所有"),
     "网易新闻"),
    ("title-suffix-last-part", PublisherCandidates(title="17种产品入选 - 要闻云南 - 云南日报网"), "云南日报网"),
    ("title-suffix-not-a-host", PublisherCandidates(title="海姑娘 | blog.wenxuecity.com"), None),
    ("copyright-trimmed-last", PublisherCandidates(copyright="网易版权所有"), "网易"),
    ("copyright-english-is-no-name",
     PublisherCandidates(og_site_name="Copyright © 2017 Sohu.com Inc. All Rights Reserved."), None),
    ("copyright-list-of-hosts", PublisherCandidates(copyright="www.chinanews.com,版权所有"), None),
    ("list-first-name", PublisherCandidates(copyright="www.yunnan.cn,云南日报网,云南日报报业集团新闻网络信息中心"),
     "云南日报网"),
    ("host-port-is-no-name", PublisherCandidates(og_site_name="127.0.0.1:8080", application_name="localhost:8080"),
     None),
    ("nothing", PublisherCandidates(), None),
]


@pytest.mark.parametrize(("found", "want"), [(f, w) for _, f, w in CANDIDATES], ids=[c[0] for c in CANDIDATES])
def test_choose_publisher(found: PublisherCandidates, want: str | None) -> None:
    assert choose_publisher(found) == want


@pytest.mark.parametrize(
    "notice",
    ["网易版权所有", "Copyright © 2017 Sohu.com Inc. All Rights Reserved.", "2001-2013 Comsenz Inc.",
     "© BBC", "人民网版权所有", "All rights reserved"],
)
def test_copyright_notices_are_no_names(notice: str) -> None:
    assert is_copyright(notice)
    assert publisher_name(notice) is None


def test_registered_name_wins_then_publisher_then_host() -> None:
    url = "http://127.0.0.1:8080/2023/11/17/a.html"
    assert corpus_source({"source": "澎湃新闻", "site_name": "The Paper"}, url) == "澎湃新闻"
    assert corpus_source({"site_name": "网易新闻"}, url) == "网易新闻"
    assert corpus_source({"site_name": "网易版权所有"}, url) == "127.0.0.1"  # an old version's meta
    assert corpus_source({}, "https://www.news.cn:8443/a.htm") == "news.cn"


ARTICLES = [page for page in PAGES if page["page_type"] == "article"]


def source_of(page: dict[str, Any]) -> str:
    result = extract(crawler_text(page["id"]), fixture_url(page))
    assert isinstance(result, Article), result
    return corpus_source({"site_name": result.site_name}, fixture_url(page))


def test_every_zh_news_source_names_a_publisher() -> None:
    sources = {page["id"]: source_of(page) for page in ARTICLES}
    print("\n".join(f"{page_id}: {source}" for page_id, source in sources.items()))
    bad = {page_id: s for page_id, s in sources.items() if is_copyright(s) or re.fullmatch(r"\S+:\d+", s)}
    assert not bad, bad
    wechat = {p["id"]: p["expected"]["account_nickname"] for p in ARTICLES if p["is_wechat"]}
    assert {page_id: sources[page_id] for page_id in wechat} == wechat
    named = {"gerapy-netease_news1": "网易新闻", "cwced-b26fbb82": "人民网", "cwced-47f387e6": "查报纸网",
             "gerapy-china_news1": "中新网", "cwced-9890f458": "云南日报网"}  # the site names these pages show
    assert {page_id: sources[page_id] for page_id in named} == named
