"""Decoding fetched bytes: crawler.encoding over the 57 real pages of tests/fixtures/zh_news.

Also the shared loader for the zh_news fixtures (used by test_extract.py and test_wechat.py): each
page is decoded the way the crawler decodes it -- a Scrapy ``HtmlResponse`` built from the raw bytes,
then ``decode_body(response.body, response.headers.get(b"Content-Type"))``.  The fixtures carry no
HTTP headers, so the response says ``text/html`` without a charset, like many real servers.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from newswatch.crawler.encoding import decode_body, detect_encoding, looks_like_gb18030

ZH_NEWS = Path(__file__).resolve().parent.parent / "fixtures" / "zh_news"
PAGES: list[dict[str, Any]] = json.loads((ZH_NEWS / "index.json").read_text(encoding="utf-8"))
PAGE_IDS = [page["id"] for page in PAGES]

# Mojibake of UTF-8 read as Latin-1/cp1252 ("ä¸\xad", "Ã©").  U+FFFD is counted separately,
# against what the page itself contains; text in the wrong legacy code page shows as a loss of
# Han characters (cjk_count).
MOJIBAKE = re.compile(r"[ÂÃäåæçèé][\u0080-\u00bf\u0152-\u0178\u2018-\u203a\u20ac\u2122]|Ã")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CODECS = {"utf-8": ("utf-8", "strict"), "gb18030": ("gb18030", "strict"), "gb18030-lossy": ("gb18030", "replace")}


def fixture_url(page: dict[str, Any]) -> str:
    """The page's URL when known; WeChat pages get theirs back from their ``wechat_ids``."""
    url = page.get("url") or ""
    if url.startswith(("http://", "https://")):
        return str(url)
    if url.startswith("//"):
        return f"https:{url}"
    if url:
        return f"https://{url}"
    if ids := page.get("wechat_ids"):
        return f"https://mp.weixin.qq.com/s?__biz={ids['biz']}&mid={ids['mid']}&idx={ids['idx']}"
    return f"https://{page.get('site') or 'fixtures.invalid'}/zh_news/{page['id']}.html"


@cache
def raw_bytes(page_id: str) -> bytes:
    page = next(page for page in PAGES if page["id"] == page_id)
    return gzip.decompress((ZH_NEWS / page["file"]).read_bytes())


def response_for(page: dict[str, Any]) -> HtmlResponse:
    return HtmlResponse(url=fixture_url(page), body=raw_bytes(page["id"]), headers={"Content-Type": "text/html"})


@cache
def crawler_text(page_id: str) -> str:
    """The page as the crawler hands it to ``extract``: bytes -> Scrapy response -> decode_body."""
    response = response_for(next(page for page in PAGES if page["id"] == page_id))
    return decode_body(response.body, response.headers.get(b"Content-Type"))


def reference_text(page: dict[str, Any]) -> str:
    """The page decoded with its known encoding (index.json ``actual_encoding``)."""
    codec, errors = _CODECS[page["actual_encoding"]]
    return raw_bytes(page["id"]).decode(codec, errors).removeprefix("\ufeff")


def cjk_count(text: str) -> int:
    return len(_HAN.findall(text))


def page_params(pages: list[dict[str, Any]] | None = None) -> list[Any]:
    return [pytest.param(page, id=page["id"]) for page in (PAGES if pages is None else pages)]


# --- the fixture pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", page_params())
def test_decodes_like_the_known_encoding(page: dict[str, Any]) -> None:
    assert crawler_text(page["id"]) == reference_text(page)


@pytest.mark.parametrize("page", page_params())
def test_no_mojibake(page: dict[str, Any]) -> None:
    text = crawler_text(page["id"])
    assert not MOJIBAKE.search(text), MOJIBAKE.search(text)
    assert text.count("\ufffd") == reference_text(page).count("\ufffd")
    assert cjk_count(text) >= 0.9 * cjk_count(reference_text(page))
    if page["actual_encoding"] != "gb18030-lossy":
        assert text.count("\ufffd") == raw_bytes(page["id"]).count("\ufffd".encode())


MISLABELLED = [
    page
    for page in PAGES
    if page["charset_mismatch"] or (page["declared_charset"] is None and page["actual_encoding"] == "gb18030-lossy")
]


@pytest.mark.parametrize("page", page_params(MISLABELLED))
def test_scrapy_text_alone_garbles_these_pages(page: dict[str, Any]) -> None:
    """Why the crawler calls decode_body instead of ``response.text``: Scrapy trusts a wrong
    ``<meta charset>`` and guesses a Cyrillic code page for unlabelled GBK.  If this starts failing
    after a Scrapy upgrade, decode_body may no longer be needed."""
    scrapy_text, reference = response_for(page).text, reference_text(page)
    assert scrapy_text != reference
    assert scrapy_text.count("\ufffd") > reference.count("\ufffd") or cjk_count(scrapy_text) < cjk_count(reference) / 2


def test_fixture_set_has_the_advertised_cases() -> None:
    encodings = {page["actual_encoding"] for page in PAGES}
    assert encodings == {"utf-8", "gb18030", "gb18030-lossy"}
    assert len(MISLABELLED) >= 4
    assert sum(page["declared_charset"] is None and page["actual_encoding"] != "utf-8" for page in PAGES) >= 5


# --- decode_body / detect_encoding on constructed bytes -------------------------------------------

CHINESE = "香港行政长官梁振英在各方压力下到立法会接受质询，就其大宅的违章建筑问题道歉。" * 8


def _html(body: bytes, meta: bytes = b"") -> bytes:
    return b"<html><head>" + meta + b"<title>t</title></head><body><p>" + body + b"</p></body></html>"


def test_valid_utf8_wins_over_a_gb2312_label() -> None:
    body = _html(CHINESE.encode("utf-8"), b'<meta charset="gb2312">')
    assert detect_encoding(body) == "utf-8"
    assert CHINESE in decode_body(body, "text/html; charset=gbk")


def test_chinese_labels_decode_as_gb18030() -> None:
    text = CHINESE + "𠀀"  # a character outside GBK, only in GB18030
    body = _html(text.encode("gb18030"), b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    assert detect_encoding(body) == "gb18030"
    assert text in decode_body(body)


def test_http_header_label_is_honoured_and_may_be_bytes() -> None:
    text = "Привет, мир: новости дня " * 10
    body = _html(text.encode("cp1251"))
    assert decode_body(body, b"text/html; charset=windows-1251").count("Привет") == 10


def test_bom_wins() -> None:
    body = codecs.BOM_UTF16_LE + _html(b"x").decode("ascii").replace("x", "新闻").encode("utf-16-le")
    assert detect_encoding(body, "text/html; charset=gbk") == "utf-16-le"
    assert "新闻" in decode_body(body)


def test_unlabelled_gbk_with_a_bad_byte_is_still_gb18030() -> None:
    raw = CHINESE.encode("gbk")
    body = _html(raw[:40] + b"\xff" + raw[40:])
    assert detect_encoding(body) == "gb18030"
    text = decode_body(body)
    assert text.count("\ufffd") == 1
    assert CHINESE[30:] in text


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Les élèves ont été très contents de l'été à Montréal, où ils ont goûté des crêpes. " * 10, "latin-1"),
        ("香港行政長官梁振英在各方壓力下到立法會接受質詢，就其大宅的違章建築問題道歉。" * 10, "big5"),
        ("한국어 텍스트입니다. 서울은 맑습니다. 오늘의 뉴스를 전해 드립니다. 감사합니다." * 10, "euc-kr"),
        ("東京都は晴れています。今日のニュースをお伝えします。ありがとうございました。" * 10, "shift_jis"),
    ],
    ids=["latin-1", "big5", "euc-kr", "shift_jis"],
)
def test_unlabelled_non_gb_text_is_not_taken_for_gb18030(text: str, codec: str) -> None:
    body = _html(text.encode(codec))
    assert detect_encoding(body) != "gb18030"
    assert text[:20] in decode_body(body)


def test_looks_like_gb18030() -> None:
    assert looks_like_gb18030(_html(CHINESE.encode("gb18030")))
    assert not looks_like_gb18030(b"<html>plain ascii</html>")
    assert not looks_like_gb18030(_html(("café crème " * 50).encode("latin-1")))


def test_empty_body() -> None:
    assert decode_body(b"") == ""
